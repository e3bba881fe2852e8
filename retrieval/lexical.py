"""BM25 over Vietnamese tokens (bm25s), as two twin indexes: accented and diacritic-folded.

Accented queries are scored against the accented index, so the folded twin cannot blur
"cán bộ" with "cạn bỗ"; queries typed without diacritics are folded and scored against the
folded index. Rows are addressed by position; the caller maps positions to chunk ids.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

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

    def __init__(self, corpus: Sequence[Sequence[str]]) -> None:
        self.size = len(corpus)
        self.model = bm25s.BM25(k1=K1, b=B)
        if self.size:
            # An empty token list is allowed by bm25s (it adds an empty token).
            self.model.index([list(doc) for doc in corpus], show_progress=False)
        self.vocab: dict[str, int] = dict(self.model.vocab_dict) if self.size else {}

    def scores(self, tokens: list[str]) -> tuple[np.ndarray, int]:
        """BM25 score of every row, and how many query tokens the corpus knows."""
        known = [t for t in tokens if t in self.vocab]
        if not self.size or not known:
            return np.zeros(self.size, dtype=np.float32), 0
        return np.asarray(self.model.get_scores(known), dtype=np.float32), len(known)


class LexicalIndex:
    """Accented and folded BM25 over the same rows."""

    def __init__(self, accented: Sequence[Sequence[str]]) -> None:
        # The folded twin is derived, so only the accented tokens need caching on disk.
        self.accented = _Bm25(accented)
        fold_cache: dict[str, str] = {}
        folded = [
            [fold_cache.get(t) or fold_cache.setdefault(t, fold(t)) for t in doc]
            for doc in accented
        ]
        self.folded = _Bm25(folded)

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
