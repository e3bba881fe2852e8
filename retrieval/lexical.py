"""BM25 over Vietnamese tokens (bm25s), as two twin indexes: accented and diacritic-folded.

Accented queries are scored against the accented index, so the folded twin cannot blur
"cán bộ" with "cạn bỗ"; queries typed without diacritics are folded and scored against the
folded index. Rows are addressed by position; the caller maps positions to chunk ids.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from core.text import fold
from retrieval.text import QueryTokens
from retrieval.tokencache import TokenCache, token_rows

# Lucene BM25 constants (bm25s defaults); k1 1.2-1.5 and b 0.75 are the usual choice for
# passages of ~150 words, and no dev-set tuning is done here on purpose.
K1 = 1.5
B = 0.75


class _Bm25:
    """One bm25s index plus its vocabulary, scoring every row for a query."""

    def __init__(self, model: bm25s.BM25, size: int) -> None:
        self.size = size
        self.model = model
        self.vocab: dict[str, int] = dict(model.vocab_dict) if size else {}

    @classmethod
    def build(cls, ids: np.ndarray, offsets: np.ndarray, vocab: Sequence[str]) -> _Bm25:
        """The index bm25s' `index` builds (same float32 scores: the same operations on the
        same values, checked by tests), computed with whole-array numpy operations from token
        ids instead of a Python loop over every token. At 100k passages that is ~10x faster
        and mostly runs with the GIL released, so searches are not held up meanwhile."""
        model = bm25s.BM25(k1=K1, b=B)
        n = len(offsets) - 1
        if n == 0:
            return cls(model, 0)
        # Only the words present get a column (a cache's vocabulary may hold retired ones).
        present = np.bincount(ids, minlength=len(vocab)) > 0
        used = np.flatnonzero(present)
        tok_of = (np.cumsum(present) - 1)[ids]
        bits = max(len(used) - 1, 1).bit_length()
        lengths = np.diff(offsets)
        doc_of = token_rows(offsets)
        # Row-major keys are nearly sorted already: a cheap sort, then one stable sort by word.
        keys = (doc_of << bits) | tok_of
        del doc_of, tok_of  # peak memory: a few arrays of every token at a time
        pairs, tf = np.unique(keys, return_counts=True)
        del keys
        doc, tok = pairs >> bits, pairs & ((1 << bits) - 1)
        order = np.argsort(tok.astype(np.uint16 if bits <= 16 else np.uint32), kind="stable")
        doc, tok, tf = doc[order], tok[order], tf[order]  # token-major (CSC), rows ascending
        df = np.bincount(tok, minlength=len(used))
        idf = np.array(
            [math.log(1 + (n - d + 0.5) / (d + 0.5)) for d in df.tolist()], dtype=np.float32
        )
        tf32 = tf.astype(np.float32)
        # bm25s' Lucene term weight, term for term: tf / (k1 * (1 - b + b * dl / avgdl) + tf).
        tfc = tf32 / (K1 * ((1 - B) + B * lengths[doc] / lengths.mean()) + tf32)
        indptr = np.zeros(len(used) + 1, dtype=np.int64)
        np.cumsum(df, out=indptr[1:])
        model.scores = {
            "data": (idf[tok] * tfc).astype(np.float32),
            "indices": doc.astype(np.int32),
            "indptr": indptr,
            "num_docs": n,
        }
        words = [vocab[int(i)] for i in used]
        model.vocab_dict = {w: i for i, w in enumerate(words)}
        # bm25s adds an empty token (no column) for queries that match nothing.
        model.vocab_dict.setdefault("", len(words))
        model.unique_token_ids_set = set(model.vocab_dict.values())
        model.nonoccurrence_array = None
        return cls(model, n)

    @classmethod
    def load(cls, directory: Path, size: int) -> _Bm25:
        """An index saved by `save`, its score matrix memory-mapped (read-only, shared with
        the page cache: a replica does not copy it into its own memory)."""
        model = bm25s.BM25.load(directory, mmap=True, show_progress=False)
        scores = model.scores
        if scores.get("num_docs") != size or (model.k1, model.b) != (K1, B):
            raise ValueError(f"BM25 index in {directory.name} does not match its rows")
        if len(scores["indptr"]) - 1 > len(model.vocab_dict):
            raise ValueError(f"BM25 index in {directory.name} is inconsistent")
        return cls(model, size)

    def save(self, directory: Path) -> None:
        self.model.save(directory, show_progress=False)

    def scores(self, tokens: list[str]) -> tuple[np.ndarray, int]:
        """BM25 score of every row, and how many query tokens the corpus knows."""
        known = [t for t in tokens if t in self.vocab]
        if not self.size or not known:
            return np.zeros(self.size, dtype=np.float32), 0
        return np.asarray(self.model.get_scores(known), dtype=np.float32), len(known)


class LexicalIndex:
    """Accented and folded BM25 over the same rows."""

    def __init__(self, accented: _Bm25, folded: _Bm25) -> None:
        self.accented = accented
        self.folded = folded

    @classmethod
    def build(cls, accented: Sequence[Sequence[str]]) -> LexicalIndex:
        """Both twins from the accented tokens (the folded ones are derived: each word of the
        vocabulary is folded once, and the rows' ids mapped)."""
        cache = TokenCache.encode(accented)
        words: list[str] = cache.vocab.tolist()
        folded: dict[str, int] = {}
        to_folded = np.array([folded.setdefault(fold(w), len(folded)) for w in words], np.uint32)
        return cls(
            _Bm25.build(cache.ids, cache.offsets, words),
            _Bm25.build(to_folded[cache.ids], cache.offsets, list(folded)),
        )

    @classmethod
    def load(cls, directory: Path, size: int) -> LexicalIndex:
        """The twins saved by `save` under `directory`, for `size` rows."""
        return cls(_Bm25.load(directory / "accented", size), _Bm25.load(directory / "folded", size))

    def save(self, directory: Path) -> None:
        """bm25s' own files (npy arrays and JSON, no pickle), one folder per twin."""
        self.accented.save(directory / "accented")
        self.folded.save(directory / "folded")

    def __len__(self) -> int:
        return self.accented.size

    def folded_idf(self) -> dict[str, float]:
        """Inverse document frequency (over rows) of every folded token."""
        index = self.folded
        if not index.size:
            return {}
        # Column lengths of bm25s' token-major score matrix = rows containing each token
        # (its vocabulary may end with an empty placeholder token that has no column).
        df = np.diff(np.asarray(index.model.scores["indptr"]))
        n = index.size
        return {
            t: math.log(1 + (n - int(df[i]) + 0.5) / (int(df[i]) + 0.5))
            for t, i in index.vocab.items()
            if i < len(df)
        }

    def scores(self, query: QueryTokens) -> tuple[np.ndarray, int]:
        """Score of every row for the query (from the index matching how it was typed)."""
        index = self.folded if query.folded else self.accented
        return index.scores(query.tokens)
