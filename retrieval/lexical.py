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
    def build(cls, corpus: Sequence[Sequence[str]]) -> _Bm25:
        model = bm25s.BM25(k1=K1, b=B)
        if corpus:
            # An empty token list is allowed by bm25s (it adds an empty token).
            model.index([list(doc) for doc in corpus], show_progress=False)
        return cls(model, len(corpus))

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
        """Both twins from the accented tokens (the folded ones are derived)."""
        fold_cache: dict[str, str] = {}
        folded = [
            [fold_cache.get(t) or fold_cache.setdefault(t, fold(t)) for t in doc]
            for doc in accented
        ]
        return cls(_Bm25.build(accented), _Bm25.build(folded))

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
