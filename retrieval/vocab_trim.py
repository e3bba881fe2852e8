"""The encoder's vocabulary cut to the scripts Vietnamese is written in (issue 13: memory).

multilingual-e5 carries XLM-R's 250,002-piece vocabulary for a hundred languages. Loaded, its
tokenizer alone took ~265 MB and the embedding matrix ~190 MB, more than the rest of the
model. Vietnamese, however it is typed, uses Latin letters (with or without its diacritics),
digits, punctuation and a few symbols. The built model keeps every piece made only of such
characters (about 112k) and the special tokens, renumbered in their original order, with the
embedding rows following their pieces.

Why this changes no vector for such text: the Unigram tokenizer picks the most likely
segmentation among pieces that spell the (normalised) text, and every piece that can spell a
text made of kept characters is itself made of kept characters, so it is still there. Ids
differ only by the renumbering, and each id's embedding row is the same row. Characters of
other scripts (Chinese, Cyrillic…) become <unk>, as characters the vocabulary never had
already did.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import numpy.typing as npt

from retrieval.e5_format import E5Weights

# Code point ranges whose characters a kept piece may contain.
KEPT_RANGES: tuple[tuple[int, int], ...] = (
    (0x0000, 0x024F),  # ASCII, Latin-1, Latin Extended-A/B (ă â đ ê ô ơ ư)
    (0x0300, 0x036F),  # combining diacritics (tone marks typed as separate characters)
    (0x1E00, 0x1EFF),  # Latin Extended Additional (ạ ả ấ … ỹ)
    (0x2000, 0x214F),  # general punctuation (“ ” – — …), super/subscripts, currency, №
    (0x2150, 0x218F),  # number forms (½ Ⅳ)
    (0x2190, 0x27BF),  # arrows, maths, bullets and shapes, symbols, dingbats
    (0xFE00, 0xFE0F),  # variation selectors (emoji presentation)
    (0x1F000, 0x1FAFF),  # emoji
    (0x2581, 0x2581),  # "▁", the word-start marker inside pieces
)


def _kept_char(char: str) -> bool:
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in KEPT_RANGES)


def kept_ids(vocab: list[tuple[str, float]], specials: set[int]) -> npt.NDArray[np.int64]:
    """Old ids of the pieces kept, ascending: the specials and pieces of kept characters."""
    return np.array(
        [i for i, (piece, _) in enumerate(vocab) if i in specials or all(map(_kept_char, piece))],
        dtype=np.int64,
    )


def trim_vocabulary(weights: E5Weights, tokenizer_json: bytes) -> tuple[E5Weights, bytes]:
    """The weights and tokenizer.json over the kept pieces only (see the module docstring)."""
    tok = json.loads(tokenizer_json)
    vocab = [(str(p), float(s)) for p, s in tok["model"]["vocab"]]
    # The embedding matrix may have spare rows past the tokenizer's pieces (padded to a round
    # size); no id reaches them.
    if len(vocab) > weights.config.vocab_size or len(weights.pieces) < len(vocab):
        raise ValueError("the tokenizer has pieces the weights do not")
    specials = {int(t["id"]) for t in tok.get("added_tokens", [])} | {int(tok["model"]["unk_id"])}
    keep = kept_ids(vocab, specials)
    new_id = {int(old): new for new, old in enumerate(keep.tolist())}

    tok["model"]["vocab"] = [list(vocab[i]) for i in keep.tolist()]
    tok["model"]["unk_id"] = new_id[int(tok["model"]["unk_id"])]
    for added in tok.get("added_tokens", []):
        added["id"] = new_id[int(added["id"])]
    post = tok.get("post_processor") or {}
    for special in (post.get("special_tokens") or {}).values():
        special["ids"] = [new_id[int(i)] for i in special["ids"]]

    tensors = dict(weights.tensors)
    tensors["emb.word"] = np.ascontiguousarray(tensors["emb.word"][keep])
    trimmed = replace(
        weights,
        config=replace(weights.config, vocab_size=len(keep)),
        pieces=[weights.pieces[i] for i in keep.tolist()],
        scores=[weights.scores[i] for i in keep.tolist()],
        bos_id=new_id[weights.bos_id],
        eos_id=new_id[weights.eos_id],
        pad_id=new_id[weights.pad_id],
        unk_id=new_id[weights.unk_id],
        tensors=tensors,
    )
    return trimmed, json.dumps(tok, ensure_ascii=False).encode("utf-8")
