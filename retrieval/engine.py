"""The in-memory index (BM25 twins + FAISS + per-row metadata) and the ranking pipeline.

An `IndexState` is never mutated once built: `sync` builds the next one beside it and swaps
the reference, so searches running in worker threads always see one consistent state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from retrieval.calibration import Features
from retrieval.dense import DenseIndex
from retrieval.filters import DocMeta
from retrieval.fusion import best_per_group, fuse, fuse_articles
from retrieval.lexical import LexicalIndex
from retrieval.text import QueryTokens

# Fuse at the article level (each engine's article score = its best chunk's) rather than per
# chunk: a long article may match lexically in one window and semantically in another. On the
# development set it was a small, consistent gain at every weight tried (benchmarks/README.md).
ARTICLE_FUSION = True


@dataclass(frozen=True)
class ChunkRow:
    """What the index keeps per active chunk (text stays in the database)."""

    id: int
    document_id: int
    group: str  # article key: results are deduplicated on it


def group_key(chunk_id: int, document_id: int, external_id: str | None, article: str | None) -> str:
    """Article identity: the external id when imported with one, else document + article."""
    if external_id:
        return f"x:{external_id}"
    if article:
        return f"d:{document_id}#{article}"
    return f"c:{chunk_id}"


@dataclass(frozen=True)
class Ranking:
    """Ranked chunk ids (one per article, best first), their fused scores and the features."""

    chunk_ids: list[int]
    scores: list[float]
    features: Features


@dataclass(frozen=True)
class IndexState:
    """One consistent generation of the index, reflecting `revision` of the knowledge base."""

    revision: int
    rows: list[ChunkRow]
    tokens: list[list[str]]
    lexical: LexicalIndex
    dense: DenseIndex | None
    model: str | None
    docs: dict[int, DocMeta]
    chunk_ids: np.ndarray = field(init=False)
    doc_ids: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "chunk_ids", np.array([r.id for r in self.rows], dtype=np.int64))
        object.__setattr__(
            self, "doc_ids", np.array([r.document_id for r in self.rows], dtype=np.int64)
        )

    @classmethod
    def build(
        cls,
        *,
        revision: int,
        rows: list[ChunkRow],
        tokens: list[list[str]],
        dense: DenseIndex | None,
        model: str | None,
        docs: dict[int, DocMeta],
    ) -> IndexState:
        """Assemble a state; rows must be sorted by chunk id and aligned with tokens."""
        return cls(revision, rows, tokens, LexicalIndex(tokens), dense, model, docs)

    def row_mask(self, allowed_docs: set[int] | None) -> np.ndarray | None:
        """Boolean mask of rows whose document is allowed (None: everything is allowed)."""
        if allowed_docs is None:
            return None
        return np.isin(self.doc_ids, np.fromiter(allowed_docs, dtype=np.int64))

    def rank(
        self,
        query: QueryTokens,
        qvec: np.ndarray | None,
        *,
        mask: np.ndarray | None,
        candidates: int,
        dense_weight: float,
        k: int,
    ) -> Ranking:
        """Hybrid ranking: BM25 and dense candidates, exact scores for their union on both
        sides, min-max fusion, best chunk per article."""
        lex, known = self.lexical.scores(query)
        if mask is not None:
            lex = np.where(mask, lex, -1.0).astype(np.float32)
        positive = np.flatnonzero(lex > 0)
        if len(positive) > candidates:
            part = np.argpartition(-lex[positive], candidates - 1)[:candidates]
            positive = positive[part]
        rows = set(positive.tolist())
        dense_on = self.dense is not None and qvec is not None and len(self.rows) > 0
        if dense_on:
            assert self.dense is not None and qvec is not None
            allowed_ids = None if mask is None else self.chunk_ids[mask]
            if allowed_ids is None or len(allowed_ids):
                ids, _ = self.dense.search(qvec, candidates, allowed_ids)
                rows.update(np.searchsorted(self.chunk_ids, ids).tolist())
        if not rows:
            return Ranking([], [], Features.empty(len(query.tokens), known))
        cand = np.array(sorted(rows), dtype=np.int64)
        lex_c = np.maximum(lex[cand], 0.0)
        dense_c = None
        if dense_on:
            assert self.dense is not None and qvec is not None
            dense_c = self.dense.similarities(qvec, self.chunk_ids[cand])
        groups = [self.rows[int(r)].group for r in cand]
        if ARTICLE_FUSION:
            fused = fuse_articles(lex_c, dense_c, groups, dense_weight)
        else:
            fused = fuse(lex_c, dense_c, dense_weight)
        ranked = best_per_group(fused, groups, max(k, 2))
        features = Features.of(
            lexical=[float(lex_c[r.index]) for r in ranked],
            dense=None if dense_c is None else [float(dense_c[r.index]) for r in ranked],
            fused=[r.score for r in ranked],
            max_dense=None if dense_c is None else float(dense_c.max()),
            query_tokens=len(query.tokens),
            known_tokens=known,
        )
        top = ranked[:k]
        return Ranking(
            [int(self.chunk_ids[cand[r.index]]) for r in top], [r.score for r in top], features
        )
