"""The Retriever: hybrid search over the knowledge base with a persisted, never-stale index.

Freshness rule: every search first reads KnowledgeState.revision (one tiny query); when it
differs from the revision the in-memory index reflects, a background sync starts and the search
waits for it at most TROLY_INDEX_WAIT_SECONDS, then is answered from the last consistent index
while /readyz and /metrics show the lag (retrieval/freshness.py).
Sync reads the revision *before* the chunks, so a concurrent import can only make the index
look older than it is (and be synced again), never newer.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

import faiss
import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.config import Settings
from core.text import fold, normalize
from core.users.models import Unit
from knowledge.models import Chunk, Document, KnowledgeState
from retrieval import pinpoint
from retrieval.calibration import confidence
from retrieval.dense import DenseIndex
from retrieval.embedder import Embedder, load_embedder
from retrieval.engine import ChunkRow, IndexState, Pool, Ranking, group_key
from retrieval.filters import DocMeta, allowed, validity_text
from retrieval.freshness import CatchUp, IndexLag, kb_revision
from retrieval.model_install import find_model
from retrieval.models import Hit, QueryPlan, SearchRequest, SearchResponse, Timer
from retrieval.store import IndexStore, Persisted
from retrieval.text import QueryTokens, passage_tokens, query_tokens
from retrieval.understand import understand
from retrieval.warmup import ModelLoad

log = logging.getLogger(__name__)

# Chunks whose text is read and encoded per round trip while syncing.
_BATCH = 512
# Questions typed without diacritics are restored first (retrieval/understand.py) and then
# ranked like accented ones. e5 saw little unaccented Vietnamese: its cosines for such text
# are flat and noisy, so a question that could not be restored (no diacritic model) skips the
# encoder and is ranked by the folded BM25 twin alone.
# A question with too little content ("a", "alo") is never shown as an answer with more
# confidence than this (the fronts show a hint on how to ask instead).
SHORT_QUESTION_CONFIDENCE = 0.05


def calibrated(plan: QueryPlan, ranking: Ranking) -> float:
    """The confidence shown for a ranking (capped for questions with too little content)."""
    conf = confidence(ranking.features, hybrid=plan.vector is not None)
    if plan.understood.too_short:
        conf = min(conf, SHORT_QUESTION_CONFIDENCE)
    return conf


@dataclass(frozen=True)
class IndexStatus:
    """What `troly doctor`, the API and the web console show about the index."""

    mode: Literal["hybrid", "lexical"]
    model: str | None
    chunks: int
    revision: int
    index_dir: str
    model_loading: bool = False  # a model is expected: lexical-only until it serves


@dataclass
class _DbView:
    revision: int
    docs: dict[int, DocMeta]
    rows: list[ChunkRow]


def passage_text(title: str, heading: str, text: str) -> str:
    """What is indexed for a chunk: the document's name and the article's title lead, because
    questions often name the law and the subject of the article."""
    return "\n".join(p for p in (title, heading, text) if p)


class Retriever:
    """Hybrid (BM25 + dense) search; lexical-only when no embedding model is installed."""

    def __init__(
        self,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        embedder: Embedder | None,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.embedder = embedder
        self.store = IndexStore(settings.index_dir)
        self._state: IndexState | None = None
        self._lock = asyncio.Lock()
        self.catchup = CatchUp(self.sync, settings.index_wait_seconds)
        # Set while the model loads in the background (start_model_load): nothing lexical is
        # persisted meanwhile, so the vectors on disk stay for the switch to hybrid.
        self._awaiting_model = False
        self.model_load = ModelLoad(lambda: load_embedder(settings), self.adopt, self._no_model)

    @classmethod
    async def create(
        cls,
        settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        sync: bool = True,
        model_in_background: bool = False,
    ) -> Retriever:
        """Load the model (if installed) and the persisted index, syncing it with the DB (or,
        with `sync=False`, serving what is on disk at once and leaving the catch-up to run in
        the background). With `model_in_background` the model loads after this returns and
        search is lexical-only until it is in (see retrieval/warmup.py)."""
        if model_in_background and find_model(settings) is not None:
            retriever = cls(settings, sessionmaker, None)
            retriever.start_model_load()
            await (retriever.sync() if sync else retriever.warm_start())
            return retriever
        embedder = await asyncio.to_thread(load_embedder, settings)
        if embedder is None:
            log.warning(
                "No embedding model installed (%s): search runs LEXICAL-ONLY (BM25). "
                "Run `troly models install` for hybrid search.",
                settings.embedding_model,
            )
        retriever = cls(settings, sessionmaker, embedder)
        if sync:
            await retriever.sync()
        else:
            await retriever.warm_start()
        return retriever

    def start_model_load(self) -> None:
        """Load the model in the background, then switch to hybrid (see `adopt`)."""
        self._awaiting_model = True
        self.model_load.start()

    def _no_model(self) -> None:
        self._awaiting_model = False

    async def adopt(self, embedder: Embedder) -> None:
        """Switch a lexical-only retriever to hybrid: build the next state from the persisted
        generation (its vectors reused, only newer chunks encoded) while the lexical state
        keeps serving, then swap it in."""
        async with self._lock:
            self.embedder = embedder
            self._awaiting_model = False
            await self._sync_from(None)

    @property
    def model_loading(self) -> bool:
        """A model is expected but does not serve yet (loading, or its index being built)."""
        state = self._state
        return self._awaiting_model or (
            self.embedder is not None and state is not None and state.dense is None
        )

    def _mode_of(self, state: IndexState | None) -> Literal["hybrid", "lexical"]:
        # From the state served, not the model alone: while the hybrid index is being built
        # after the model came in, answers are still lexical and say so.
        hybrid = self.embedder is not None and (state is None or state.dense is not None)
        return "hybrid" if hybrid else "lexical"

    @property
    def mode(self) -> Literal["hybrid", "lexical"]:
        return self._mode_of(self._state)

    @property
    def model_name(self) -> str | None:
        return self.settings.embedding_model if self.embedder is not None else None

    def status(self) -> IndexStatus:
        """Mode, model, indexed chunk count and the knowledge-base revision it reflects."""
        state = self._state
        return IndexStatus(
            mode=self.mode,
            model=self.model_name,
            chunks=len(state.rows) if state else 0,
            revision=state.revision if state else -1,
            index_dir=str(self.settings.index_dir),
            model_loading=self.model_loading,
        )

    # --- search -------------------------------------------------------------------------

    async def search(self, request: SearchRequest) -> SearchResponse:
        """Best passages (one per article) for the question, with confidence and novel flag."""
        timer = Timer()
        await self._ensure_fresh()
        state = self._state
        assert state is not None
        timer.lap("freshness")
        mode = self._mode_of(state)
        if not normalize(request.query):
            return SearchResponse(query=request.query, mode=mode)
        units = await self._unit_chain(request.unit_id) if request.unit_id else None
        on_date = request.on_date or datetime.now(ZoneInfo(self.settings.timezone)).date()
        mask = state.row_mask(self._allowed_docs(state, request, units, on_date))
        timer.lap("filters")
        plan, ranking = await asyncio.to_thread(
            self._plan_and_rank, state, request.query, mask, max(request.k, 1), timer
        )
        conf = calibrated(plan, ranking)
        hits = await self._hits(state, ranking)
        timer.lap("read")
        if hits:
            hits[0] = await self._pinpoint(state, plan, hits[0])
            timer.lap("pinpoint")
        return SearchResponse(
            query=request.query,
            understood=plan.understood,
            hits=hits,
            confidence=round(conf, 4),
            novel=conf < self.settings.novel_threshold,
            mode=mode,
            timings=timer.laps,
        )

    def plan(self, query: str, state: IndexState | None = None) -> QueryPlan:
        """Understand the question and prepare both engines' inputs (runs in a worker thread)."""
        state = state or self._state
        assert state is not None
        understood = understand(query, state.diacritics)
        tokens = query_tokens(understood.text)
        fallback = None
        if understood.unaccented:
            fallback = QueryTokens(query_tokens(fold(understood.typed)).tokens, folded=True)
        qvec = None
        if self.embedder is not None and state.dense is not None and not tokens.folded:
            qvec = self.embedder.encode_queries([understood.text])[0]
        return QueryPlan(understood, tokens, fallback, qvec)

    def pool(self, state: IndexState, plan: QueryPlan, mask: np.ndarray | None, depth: int) -> Pool:
        """The first stage for a planned question (what the reranker starts from)."""
        return state.first_stage(
            plan.tokens, plan.vector, mask=mask, candidates=self.settings.candidates,
            dense_weight=self.settings.dense_weight, depth=depth, fallback=plan.fallback,
        )  # fmt: skip

    def rank(self, state: IndexState, plan: QueryPlan, mask: np.ndarray | None, k: int) -> Ranking:
        """Rank a planned question on `state` with this retriever's settings."""
        return state.rank(
            plan.tokens, plan.vector, mask=mask, candidates=self.settings.candidates,
            dense_weight=self.settings.dense_weight, k=k, fallback=plan.fallback,
            rerank_depth=self.settings.rerank_depth,
        )  # fmt: skip

    def _plan_and_rank(
        self, state: IndexState, query: str, mask: np.ndarray | None, k: int, timer: Timer
    ) -> tuple[QueryPlan, Ranking]:
        plan = self.plan(query, state)
        timer.lap("understand+encode")
        ranking = self.rank(state, plan, mask, k)
        timer.lap("rank+rerank")
        return plan, ranking

    @staticmethod
    def _allowed_docs(
        state: IndexState, request: SearchRequest, units: set[int] | None, on_date: date
    ) -> set[int] | None:
        ok = {
            d.id
            for d in state.docs.values()
            if allowed(
                d, units=units, position=request.position, on_date=on_date, kinds=request.kinds
            )
        }
        return None if len(ok) == len(state.docs) else ok

    async def _unit_chain(self, unit_id: int) -> set[int]:
        """The asker's unit and its ancestors (commune -> province)."""
        chain: set[int] = set()
        async with self.sessionmaker() as session:
            current: int | None = unit_id
            while current is not None and current not in chain:
                chain.add(current)
                current = await session.scalar(select(Unit.parent_id).where(Unit.id == current))
        return chain

    async def _hits(self, state: IndexState, ranking: Ranking) -> list[Hit]:
        if not ranking.chunk_ids:
            return []
        async with self.sessionmaker() as session:
            result = await session.execute(select(Chunk).where(Chunk.id.in_(ranking.chunk_ids)))
            chunks = {c.id: c for c in result.scalars()}
        hits = []
        for cid, score in zip(ranking.chunk_ids, ranking.scores, strict=True):
            chunk = chunks.get(cid)
            doc = state.docs.get(chunk.document_id) if chunk else None
            if chunk is None or doc is None:
                continue  # deleted between ranking and reading: skip rather than fail
            hits.append(
                Hit(
                    chunk_id=chunk.id,
                    document_id=chunk.document_id,
                    external_id=chunk.external_id,
                    citation=chunk.citation,
                    heading=chunk.heading,
                    text=chunk.text,
                    document_title=doc.title,
                    kind=doc.kind,
                    validity=validity_text(doc),
                    score=round(float(score), 4),
                    article=chunk.article,
                )
            )
        return hits

    async def _pinpoint(self, state: IndexState, plan: QueryPlan, hit: Hit) -> Hit:
        """The best hit, led by the clause of its article that answers the question."""
        if hit.article is None:
            windows = [hit.text]
        else:
            async with self.sessionmaker() as session:
                windows = list(
                    await session.scalars(
                        select(Chunk.text)
                        .where(
                            Chunk.document_id == hit.document_id,
                            Chunk.article == hit.article,
                            Chunk.active.is_(True),
                        )
                        .order_by(Chunk.id)
                    )
                )
        body = pinpoint.stitch(windows or [hit.text])
        encode = None
        if self.embedder is not None and self.settings.pinpoint_dense:
            encode = self.embedder.encode_passages
        unit = await asyncio.to_thread(
            pinpoint.choose, plan.understood.text, pinpoint.parts(body), state.idf,
            plan.vector, encode,
        )  # fmt: skip
        base = pinpoint.article_citation(hit.citation) if hit.article else hit.citation
        return replace(
            hit,
            lead_citation=unit.cite(base) if hit.article else base,
            lead_text=unit.text,
            article_text=body,
        )

    # --- sync ---------------------------------------------------------------------------

    async def _ensure_fresh(self) -> None:
        revision = await kb_revision(self.sessionmaker)
        await self.catchup.ensure(revision, self._state.revision if self._state else None)

    async def lag(self, *, catch_up: bool = True) -> IndexLag:
        """The knowledge base revision against the served index's; starts a background
        catch-up when they differ (unless `catch_up` is False), never waits for it."""
        revision = await kb_revision(self.sessionmaker)
        indexed = self._state.revision if self._state else None
        if catch_up and indexed != revision:
            self.catchup.start()
        return IndexLag(revision, indexed, self.catchup.running)

    async def warm_start(self) -> bool:
        """Serve the persisted index at once, before any catch-up: the chunks it covers that
        are still active (documents renamed since are left to the catch-up), labelled with the
        revision it was saved at. False when nothing usable is on disk."""
        async with self._lock:
            if self._state is not None:
                return True
            persisted = await asyncio.to_thread(self._load_persisted)
            if persisted is None or (
                self.embedder is not None and persisted.model != self.model_name
            ):
                return False
            view = await self._read_db()
            cached = dict(zip(persisted.chunk_ids.tolist(), persisted.tokens, strict=True))
            renamed = {
                d.id for d in view.docs.values() if persisted.titles.get(d.id, d.title) != d.title
            }
            rows = [r for r in view.rows if r.id in cached and r.document_id not in renamed]
            subset = _DbView(persisted.revision, view.docs, rows)
            tokens = {r.id: cached[r.id] for r in rows}
            self._state = await self._advance(subset, tokens, persisted.dense, persisted.model)
            return True

    async def sync(self) -> None:
        """Bring the index up to date with the database (incrementally) and persist it."""
        async with self._lock:
            await self._sync_from(self._state)

    async def _sync_from(self, state: IndexState | None) -> None:
        """Advance from `state` (None: from the persisted generation) to the database's
        revision, serve the result and persist it. Call under `_lock`."""
        view = await self._read_db()
        if state is None:
            persisted = await asyncio.to_thread(self._load_persisted)
            base_tokens = (
                dict(zip(persisted.chunk_ids.tolist(), persisted.tokens, strict=True))
                if persisted
                else {}
            )
            base_dense = persisted.dense if persisted else None
            base_model = persisted.model if persisted else None
            base_revision = persisted.revision if persisted else -1
            base_titles = persisted.titles if persisted else {}
        else:
            base_tokens = {r.id: t for r, t in zip(state.rows, state.tokens, strict=True)}
            base_dense, base_model, base_revision = state.dense, state.model, state.revision
            base_titles = {d.id: d.title for d in state.docs.values()}
        if state is not None and base_revision == view.revision:
            return
        # A renamed document's passages are re-indexed: its title is part of their text.
        renamed = {d.id for d in view.docs.values() if base_titles.get(d.id, d.title) != d.title}
        if renamed:
            base_tokens = {
                r.id: base_tokens[r.id]
                for r in view.rows
                if r.id in base_tokens and r.document_id not in renamed
            }
        new = await self._advance(view, base_tokens, base_dense, base_model, bool(renamed))
        self._state = new
        # Unchanged start-up (files already reflect this revision and model): no rewrite.
        same_files = (
            base_revision == view.revision
            and len(new.rows) == len(base_tokens)
            # Lexical-only over a hybrid index leaves the vectors on disk for later.
            and (self.embedder is None or (base_dense is not None and new.model == base_model))
        )
        if not same_files and not self._awaiting_model:
            await asyncio.to_thread(self._persist, new)

    def _load_persisted(self) -> Persisted | None:
        with self.store.lock():
            return self.store.load()

    def _persist(self, state: IndexState) -> None:
        with self.store.lock():
            titles = {d.id: d.title for d in state.docs.values()}
            self.store.save(
                Persisted(
                    state.revision, state.chunk_ids, state.tokens, state.model, state.dense, titles
                )
            )

    async def _advance(
        self,
        view: _DbView,
        base_tokens: dict[int, list[str]],
        base_dense: DenseIndex | None,
        base_model: str | None,
        renamed: bool = False,
    ) -> IndexState:
        """The next state: reuse cached tokens/vectors, compute them for new chunks only."""
        active = np.array([r.id for r in view.rows], dtype=np.int64)
        dense: DenseIndex | None = None
        need_vectors: list[int] = []
        if self.embedder is not None:
            if base_dense is not None and base_model == self.model_name:
                dense = DenseIndex(base_dense.dim, faiss.clone_index(base_dense.index))
                held = dense.ids()
                # Chunks whose cached tokens were dropped (renamed document) are re-encoded too.
                keep = np.array(sorted(base_tokens), dtype=np.int64)
                stale = np.setdiff1d(held, np.intersect1d(active, keep)) if renamed else None
                dense.remove(np.setdiff1d(held, active) if stale is None else stale)
                held = dense.ids()
                need_vectors = np.setdiff1d(active, held).tolist()
            else:
                dense = DenseIndex(self.embedder.dim)
                need_vectors = active.tolist()
        need_tokens = [r.id for r in view.rows if r.id not in base_tokens]
        wanted = sorted(set(need_tokens) | set(need_vectors))
        if wanted:
            log.info("indexing %d new chunks (revision %d)", len(wanted), view.revision)
        tokens = dict(base_tokens)
        token_set = set(need_tokens)
        vector_set = set(need_vectors)
        for start in range(0, len(wanted), _BATCH):
            batch = wanted[start : start + _BATCH]
            texts = await self._passage_texts(batch)
            await asyncio.to_thread(
                self._index_batch, batch, texts, token_set, vector_set, tokens, dense
            )
        # Building BM25 and the diacritic model is CPU work: off the event loop.
        return await asyncio.to_thread(
            IndexState.build,
            revision=view.revision,
            rows=view.rows,
            tokens=[tokens[r.id] for r in view.rows],
            dense=dense,
            model=self.model_name if dense is not None else None,
            docs=view.docs,
        )

    def _index_batch(
        self,
        ids: list[int],
        texts: list[str],
        token_set: set[int],
        vector_set: set[int],
        tokens: dict[int, list[str]],
        dense: DenseIndex | None,
    ) -> None:
        for cid, text in zip(ids, texts, strict=True):
            if cid in token_set:
                tokens[cid] = passage_tokens(text)[0]
        if dense is not None and self.embedder is not None:
            pairs = [(c, t) for c, t in zip(ids, texts, strict=True) if c in vector_set]
            if pairs:
                vectors = self.embedder.encode_passages([t for _, t in pairs])
                dense.add(np.array([c for c, _ in pairs], dtype=np.int64), vectors)

    async def _passage_texts(self, ids: list[int]) -> list[str]:
        async with self.sessionmaker() as session:
            result = await session.execute(
                select(Chunk.id, Document.title, Chunk.heading, Chunk.text)
                .join(Document, Document.id == Chunk.document_id)
                .where(Chunk.id.in_(ids))
            )
            by_id = {row[0]: passage_text(row[1], row[2], row[3]) for row in result}
        return [by_id[i] for i in ids]

    async def _read_db(self) -> _DbView:
        async with self.sessionmaker() as session:
            # Revision first (see module docstring).
            revision = await session.scalar(
                select(KnowledgeState.revision).where(KnowledgeState.id == 1)
            )
            # Columns, not entities: loading Document would pull every version's full text.
            result = await session.execute(
                select(
                    Document.id,
                    Document.title,
                    Document.kind,
                    Document.scope,
                    Document.scope_unit_id,
                    Document.positions,
                    Document.effective_from,
                    Document.expires_on,
                    Document.superseded_by_id,
                    Document.retired_at,
                )
            )
            docs = {
                d.id: DocMeta(
                    id=d.id,
                    title=d.title,
                    kind=d.kind,
                    scope=d.scope,
                    scope_unit_id=d.scope_unit_id,
                    positions=tuple(str(p) for p in d.positions or ()),
                    effective_from=d.effective_from,
                    expires_on=d.expires_on,
                    superseded=d.superseded_by_id is not None,
                    retired=d.retired_at is not None,
                )
                for d in result
            }
            result = await session.execute(
                select(Chunk.id, Chunk.document_id, Chunk.external_id, Chunk.article, Chunk.heading)
                .where(Chunk.active.is_(True))
                .order_by(Chunk.id)
            )
            rows = [
                ChunkRow(r[0], r[1], group_key(r[0], r[1], r[2], r[3]), r[4], r[3]) for r in result
            ]
        return _DbView(revision or 0, docs, rows)
