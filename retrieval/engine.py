"""The in-memory index (BM25 twins + FAISS + per-row metadata) and the ranking pipeline.

An `IndexState` is never mutated once built: `sync` builds the next one beside it and swaps
the reference, so searches running in worker threads always see one consistent state.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from core.text import fold
from retrieval import rerank
from retrieval.calibration import Features
from retrieval.dense import DenseIndex
from retrieval.filters import DocMeta
from retrieval.fusion import Ranked, best_per_group, fuse, fuse_articles
from retrieval.lexical import LexicalIndex
from retrieval.restore import DiacriticModel
from retrieval.text import QueryTokens, cited_articles
from retrieval.understand import is_stop

_NON_WORD = re.compile(r"[^\w]+")
# "Điều 6" in a question (folded, punctuation gone): officials cite the article they mean.

# Fuse at the article level (each engine's article score = its best chunk's) rather than per
# chunk: a long article may match lexically in one window and semantically in another. On the
# development set it was a small, consistent gain at every weight tried (benchmarks/README.md).
ARTICLE_FUSION = True


@dataclass(frozen=True, slots=True)  # slots: 100k of them, no dict each
class ChunkRow:
    """What the index keeps per active chunk (text stays in the database)."""

    id: int
    document_id: int
    group: str  # article key: results are deduplicated on it
    heading: str = ""  # the article's title (reranking compares it with the question)
    article: str | None = None  # the article's number ("6" for Điều 6)


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
class Pool:
    """The first stage's candidates: chunk rows, both engines' scores, best articles."""

    cand: np.ndarray  # row positions of candidate chunks
    lexical: np.ndarray  # BM25 per candidate (>= 0)
    dense: np.ndarray | None  # cosine per candidate (None: no dense side)
    ranked: list[Ranked]  # best articles, each by its best candidate, fused score first


@dataclass(frozen=True)
class IndexState:
    """One consistent generation of the index, reflecting `revision` of the knowledge base."""

    revision: int
    rows: list[ChunkRow]
    tokens: Sequence[list[str]]  # per row (a list, or the store's lazily decoded cache)
    lexical: LexicalIndex
    dense: DenseIndex | None
    model: str | None
    docs: dict[int, DocMeta]
    diacritics: DiacriticModel  # learned from these passages: restores phone-typed questions
    # Rows that may be served (None: all). A warm start serves the persisted rows as they are,
    # aligned with the saved BM25 files, and masks those whose chunk is no longer active or
    # whose document was renamed since; the catch-up then re-indexes them.
    live: np.ndarray | None = None
    chunk_ids: np.ndarray = field(init=False)
    doc_ids: np.ndarray = field(init=False)
    # Reranking inputs: rows of each article, token rarity, and article texts built on demand
    # (a plain dict: concurrent fills compute the same value, so a race costs only time).
    group_rows: dict[str, list[int]] = field(init=False)
    idf: dict[str, float] = field(init=False)
    titles: dict[str, set[int]] = field(init=False)
    _articles: dict[str, rerank.ArticleText] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "chunk_ids", np.array([r.id for r in self.rows], dtype=np.int64))
        object.__setattr__(
            self, "doc_ids", np.array([r.document_id for r in self.rows], dtype=np.int64)
        )
        group_rows: dict[str, list[int]] = {}
        for i, r in enumerate(self.rows):
            group_rows.setdefault(r.group, []).append(i)
        object.__setattr__(self, "group_rows", group_rows)
        object.__setattr__(self, "idf", self.lexical.folded_idf())
        titles: dict[str, set[int]] = {}
        for d in self.docs.values():
            key = title_key(d.title)
            if len(key.split()) >= 2:  # a one-word title would match too many questions
                titles.setdefault(key, set()).add(d.id)
        object.__setattr__(self, "titles", titles)

    @classmethod
    def build(
        cls,
        *,
        revision: int,
        rows: list[ChunkRow],
        tokens: Sequence[list[str]],
        dense: DenseIndex | None,
        model: str | None,
        docs: dict[int, DocMeta],
        lexical: LexicalIndex | None = None,
        diacritics: DiacriticModel | None = None,
        live: np.ndarray | None = None,
    ) -> IndexState:
        """Assemble a state; rows must be sorted by chunk id and aligned with tokens. BM25 and
        the diacritic model are built from the tokens unless given (prebuilt over exactly
        these rows, e.g. loaded from the persisted generation)."""
        if lexical is None:
            lexical = LexicalIndex.build(tokens)
        if diacritics is None:
            diacritics = DiacriticModel.from_passages(tokens)
        if len(lexical) != len(rows) or len(tokens) != len(rows):
            raise ValueError("rows, tokens and BM25 index disagree")
        return cls(revision, rows, tokens, lexical, dense, model, docs, diacritics, live)

    def with_lexical(self, lexical: LexicalIndex) -> IndexState:
        """This state served from `lexical`, a copy of its BM25 over the same rows (the saved
        twins, memory-mapped). The derived fields and the article cache are carried over, not
        recomputed as `dataclasses.replace` would (its idf table alone holds the GIL for
        tens of milliseconds on a large index)."""
        if len(lexical) != len(self.rows):
            raise ValueError("rows and BM25 index disagree")
        twin = copy.copy(self)
        object.__setattr__(twin, "lexical", lexical)
        return twin

    def row_mask(self, allowed_docs: set[int] | None) -> np.ndarray | None:
        """Boolean mask of rows whose document is allowed (None: everything is allowed)."""
        if allowed_docs is None:
            return None
        return np.isin(self.doc_ids, np.fromiter(allowed_docs, dtype=np.int64))

    def first_stage(
        self,
        query: QueryTokens,
        qvec: np.ndarray | None,
        *,
        mask: np.ndarray | None,
        candidates: int,
        dense_weight: float,
        depth: int,
        fallback: QueryTokens | None = None,
    ) -> Pool:
        """BM25 and dense candidates, exact scores for their union on both sides, min-max
        fusion, best chunk per article (the `depth` best articles)."""
        if self.live is not None:
            mask = self.live if mask is None else mask & self.live
        lex, _ = self.lexical.scores(query)
        if fallback is not None:
            # Restored question: the folded twin scores what was typed, so a word the
            # restorer got wrong still matches; each side is scaled to its own best row.
            back, _ = self.lexical.scores(fallback)
            lex = _scaled(lex) + _scaled(back)
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
        cand = np.array(sorted(rows), dtype=np.int64)
        lex_c = np.maximum(lex[cand], 0.0).astype(np.float32)
        dense_c = None
        if dense_on and len(cand):
            assert self.dense is not None and qvec is not None
            dense_c = self.dense.similarities(qvec, self.chunk_ids[cand])
        groups = [self.rows[int(r)].group for r in cand]
        if ARTICLE_FUSION:
            fused = fuse_articles(lex_c, dense_c, groups, dense_weight)
        else:
            fused = fuse(lex_c, dense_c, dense_weight)
        ranked = best_per_group(fused, groups, max(depth, 2)) if len(cand) else []
        return Pool(cand, lex_c, dense_c, ranked)

    def rank(
        self,
        query: QueryTokens,
        qvec: np.ndarray | None,
        *,
        mask: np.ndarray | None,
        candidates: int,
        dense_weight: float,
        k: int,
        rerank_depth: int = rerank.DEPTH,
        fallback: QueryTokens | None = None,
    ) -> Ranking:
        """The first stage, then its top `rerank_depth` articles reranked."""
        pool = self.first_stage(
            query, qvec, mask=mask, candidates=candidates, dense_weight=dense_weight,
            depth=max(k, rerank_depth), fallback=fallback,
        )  # fmt: skip
        if not pool.ranked:
            return Ranking([], [], Features.empty())
        ranked = pool.ranked
        # The reranker's features also feed the confidence, so they are computed even when
        # reranking is switched off.
        head = ranked[: max(rerank_depth, 2)]
        matrix = self.rerank_features(query, head, pool)
        content = content_syllables(query)
        brevity = rerank.brevity(len(content))
        new = rerank.scores(matrix, brevity)
        reranked = rerank_depth > 1 and len(ranked) > 1
        order = np.argsort(-new, kind="stable") if reranked else np.arange(len(head))
        if reranked:
            # Displayed scores stay in [0, 1]: a logistic squash of the margin to the best.
            squashed = 1.0 / (1.0 + np.exp(-(new - new.max())))
            ranked = [Ranked(head[int(i)].index, float(squashed[int(i)])) for i in order] + ranked[
                len(head) :
            ]
        dense_c = pool.dense
        features = Features.of(
            dense=None if dense_c is None else [float(dense_c[r.index]) for r in ranked[:2]],
            top_row=matrix[int(order[0])],
            rerank_scores=[float(new[int(i)]) for i in order[:2]],
            known=self.known_share(content),
            brevity=brevity,
        )
        top = ranked[:k]
        return Ranking(
            [int(self.chunk_ids[pool.cand[r.index]]) for r in top], [r.score for r in top], features
        )

    def known_share(self, content: list[str]) -> float:
        """Share of the question's content syllables (`content_syllables`) found anywhere in
        the index: a question about a subject no document mentions uses words the KB lacks."""
        if not content:
            return 0.0
        return sum(1 for t in content if t in self.idf) / len(content)

    def rerank_features(self, query: QueryTokens, ranked: list[Ranked], pool: Pool) -> np.ndarray:
        """The reranker's feature matrix for the first stage's top articles."""
        cand, lex_c, dense_c = pool.cand, pool.lexical, pool.dense
        groups = [self.rows[int(cand[r.index])].group for r in ranked]
        # Article-level engine scores: each engine's best chunk of the article.
        by_group: dict[str, list[int]] = {}
        for i, r in enumerate(cand.tolist()):
            by_group.setdefault(self.rows[r].group, []).append(i)
        lex_a = np.array([lex_c[by_group[g]].max() for g in groups], dtype=np.float32)
        dense_a = (
            None
            if dense_c is None
            else np.array([dense_c[by_group[g]].max() for g in groups], dtype=np.float32)
        )
        syllables = tuple(fold(t) for t in query.tokens if "_" not in t)
        folded_query = " ".join(syllables)
        named = frozenset(
            key for key in self.titles if f" {key} " in f" {title_key(folded_query)} "
        )
        cited = frozenset(cited_articles(folded_query))
        q = rerank.QueryText(syllables, named, cited, rerank.question_kinds(folded_query))
        articles = [self._article(g) for g in groups]
        fused = np.array([r.score for r in ranked], dtype=np.float32)
        return rerank.features(q, self.idf, articles, fused, lex_a, dense_a)

    def _article(self, group: str) -> rerank.ArticleText:
        cached = self._articles.get(group)
        if cached is None:
            rows = self.group_rows[group]
            first = self.rows[rows[0]]
            doc = self.docs.get(first.document_id)
            cached = rerank.article_text(
                [[fold(t) for t in self.tokens[r]] for r in rows],
                fold(first.heading),
                title_key(doc.title) if doc else "",
                first.article or "",
            )
            self._articles[group] = cached
        return cached


def content_syllables(query: QueryTokens) -> list[str]:
    """The question's content syllables, folded (no compounds, no stop words)."""
    return [fold(t) for t in query.tokens if "_" not in t and not is_stop(t)]


def title_key(title: str) -> str:
    """A document title as matched inside a question: folded, lower-case, punctuation-free."""
    return " ".join(_NON_WORD.sub(" ", fold(title.lower())).split())


def _scaled(scores: np.ndarray) -> np.ndarray:
    """Scores divided by their maximum (all-zero stays zero)."""
    top = float(scores.max()) if len(scores) else 0.0
    return (scores / top).astype(np.float32) if top > 0 else scores
