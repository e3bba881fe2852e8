"""The Retriever: hybrid search over the knowledge base with a persisted, never-stale index.

Freshness rule: every search first reads KnowledgeState.revision (one tiny query); when it
differs from the revision the in-memory index reflects, a background sync starts and the search
waits for it at most TROLY_INDEX_WAIT_SECONDS, then is answered from the last consistent index
while /readyz and /metrics show the lag (retrieval/freshness.py). What is indexed is read by
retrieval/source.py and each new generation is built by retrieval/building.py; this module
orchestrates them, persists the result and answers searches.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.config import Settings
from core.errors import DomainError, ErrorCode
from core.text import fold, normalize
from core.users.models import Unit
from knowledge.models import Chunk
from retrieval import citations, pinpoint
from retrieval.building import Base, Progress, advance, warm
from retrieval.calibration import confidence
from retrieval.embedder import Embedder, load_embedder
from retrieval.engine import IndexState, Pool, Ranking
from retrieval.filters import allowed, validity_text
from retrieval.freshness import CatchUp, IndexLag, kb_revision
from retrieval.lexical import LexicalIndex
from retrieval.model_install import find_model
from retrieval.models import Hit, QueryPlan, SearchRequest, SearchResponse, Timer
from retrieval.source import DbView, read_view
from retrieval.store import IndexStore, Persisted
from retrieval.text import QueryTokens, query_tokens
from retrieval.understand import understand
from retrieval.warmup import MODEL_FIRST_SECONDS, ModelLoad, freeze_heap

log = logging.getLogger(__name__)

# Questions typed without diacritics are restored first (retrieval/understand.py) and then
# ranked like accented ones. e5 saw little unaccented Vietnamese: its cosines for such text
# are flat and noisy, so a question that could not be restored (no diacritic model) skips the
# encoder and is ranked by the folded BM25 twin alone.
# A question with too little content ("a", "alo") is never shown as an answer with more
# confidence than this (the fronts show a hint on how to ask instead).
SHORT_QUESTION_CONFIDENCE = 0.05
INDEX_UNAVAILABLE = "Chỉ mục tìm kiếm chưa nạp xong, vui lòng thử lại sau ít phút."


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
        self.catchup = CatchUp(self._catch_up, settings.index_wait_seconds)
        # Set once the background catch-up has a state to serve (a fresh process's first
        # searches wait for it, not for the whole catch-up).
        self._serving = asyncio.Event()
        # Who wants to hear indexing progress (see `sync`).
        self._listeners: set[Progress] = set()
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
        """Load the model (if installed) and the index, synced with the database. With
        `sync=False` return at once: the persisted index is loaded and then caught up in the
        background, and the first search waits only for the first servable state (/readyz
        tells meanwhile). With `model_in_background` the model loads after this returns and
        search is lexical-only until it is in (see retrieval/warmup.py)."""
        if model_in_background and find_model(settings) is not None:
            retriever = cls(settings, sessionmaker, None)
            retriever.start_model_load()
        else:
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
            retriever.catchup.start()
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
            if self._state is None:
                return  # nothing served yet: the first warm start is hybrid at once
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
        chunks = 0 if state is None else len(state.rows)
        if state is not None and state.live is not None:  # a warm start masks gone rows
            chunks = int(state.live.sum())
        return IndexStatus(
            mode=self.mode,
            model=self.model_name,
            chunks=chunks,
            revision=state.revision if state else -1,
            index_dir=str(self.settings.index_dir),
            model_loading=self.model_loading,
        )

    # --- search -------------------------------------------------------------------------

    async def search(self, request: SearchRequest) -> SearchResponse:
        """Best passages (one per article) for the question, with confidence and novel flag."""
        timer = Timer()
        state = await self._fresh_state()
        timer.lap("freshness")
        mode = self._mode_of(state)
        if not normalize(request.query):
            return SearchResponse(query=request.query, mode=mode)
        units = await self._unit_chain(request.unit_id) if request.unit_id else None
        on_date = request.on_date or datetime.now(ZoneInfo(self.settings.timezone)).date()
        allowed = self._allowed_docs(state, request, units, on_date)
        mask = state.row_mask(allowed)
        timer.lap("filters")
        plan, ranking = await asyncio.to_thread(
            self._plan_and_rank, state, request.query, mask, max(request.k, 1), timer
        )
        conf = calibrated(plan, ranking)
        hits = await self._hits(state, ranking)
        timer.lap("read")
        also: tuple[str, ...] = ()
        if hits:
            hits[0] = await self._pinpoint(state, plan, hits[0])
            timer.lap("pinpoint")
            also = citations.also_in(state, plan.understood, hits[0], allowed)
            if also:  # "điều 3 nói gì": which document's Điều 3 is a guess
                conf = min(conf, self.settings.novel_threshold)
        return SearchResponse(
            query=request.query,
            understood=plan.understood,
            hits=hits,
            confidence=round(conf, 4),
            novel=conf < self.settings.novel_threshold,
            mode=mode,
            timings=timer.laps,
            also_in=also,
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
            qvec = self.embedder.encode_query(understood.text)
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

    async def _fresh_state(self) -> IndexState:
        """The state to answer from: a fresh process waits for its first one (the persisted
        generation, or the first build when nothing is on disk); after that a search waits
        for a catch-up at most `index_wait_seconds` (retrieval/freshness.py)."""
        revision = await kb_revision(self.sessionmaker)
        if self._state is None:
            task = self.catchup.start()
            serving = asyncio.create_task(self._serving.wait())
            try:
                await asyncio.wait({task, serving}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                serving.cancel()
        state = self._state
        if state is None:  # the catch-up failed (logged); the next search retries it
            raise DomainError(ErrorCode.UNAVAILABLE, INDEX_UNAVAILABLE)
        await self.catchup.ensure(revision, state.revision)
        return self._state or state

    async def _catch_up(self) -> None:
        """The background catch-up. A fresh process first serves the persisted generation
        (seconds, no encoding), then advances it to the knowledge base's revision."""
        if self._state is None:
            await self.model_load.wait_briefly(MODEL_FIRST_SECONDS)
            if await self.warm_start():
                self._serving.set()
                if self.embedder is not None:
                    freeze_heap()  # the model came first: the index is the last big piece
        await self.sync()
        self._serving.set()

    async def lag(self, *, catch_up: bool = True) -> IndexLag:
        """The knowledge base revision against the served index's; starts a background
        catch-up when they differ (unless `catch_up` is False), never waits for it."""
        revision = await kb_revision(self.sessionmaker)
        indexed = self._state.revision if self._state else None
        if catch_up and indexed != revision:
            self.catchup.start()
        return IndexLag(revision, indexed, self.catchup.running)

    async def warm_start(self) -> bool:
        """Serve the persisted index at once, before any catch-up: its rows as saved (BM25 and
        the diacritic model loaded, not rebuilt), those no longer active or of documents
        renamed since masked out, labelled with the revision it was saved at (the catch-up
        then advances it). False when nothing usable is on disk."""
        async with self._lock:
            if self._state is not None:
                return True
            persisted = await asyncio.to_thread(self._load_persisted)
            if persisted is None or (
                self.embedder is not None and persisted.model != self.model_name
            ):
                return False
            view = await read_view(self.sessionmaker)
            hybrid = self.embedder is not None
            state = await asyncio.to_thread(warm, persisted, view, hybrid)
            self._state = state
            if persisted.lexical is None:  # built from the tokens: saved for the next start
                await asyncio.to_thread(
                    self.store.attach_lexical, persisted.generation, state.lexical, state.diacritics
                )
            return True

    async def sync(self, progress: Progress | None = None) -> None:
        """Bring the index up to date with the database (incrementally) and persist it.
        `progress(done, total)` hears the new chunks indexed so far, by this sync or by one
        already running that it waits for (an import's progress page shows them)."""
        if progress is not None:
            self._listeners.add(progress)
        try:
            async with self._lock:
                await self._sync_from(self._state)
        finally:
            if progress is not None:
                self._listeners.discard(progress)

    def _heard(self, done: int, total: int) -> None:
        for listener in list(self._listeners):
            listener(done, total)

    async def _sync_from(self, state: IndexState | None) -> None:
        """Advance from `state` (None: from the persisted generation) to the database's
        revision, serve the result and persist it. Call under `_lock`."""
        view = await read_view(self.sessionmaker)
        base_revision = -1
        bare = ""  # the persisted generation, when it lacks its BM25 files
        if state is None:
            persisted = await asyncio.to_thread(self._load_persisted)
            base = Base.empty()
            if persisted is not None:
                base = Base.of(persisted).with_stale(view, persisted.titles, None)
                base_revision = persisted.revision
                bare = persisted.generation if persisted.lexical is None else ""
        else:
            if state.revision == view.revision:
                return
            titles = {d.id: d.title for d in state.docs.values()}
            base = Base.of(state).with_stale(view, titles, state.live)
        new = await self._advance(view, base)
        self._state = new
        # Unchanged start-up (files already reflect this revision and model): no rewrite.
        same_files = (
            base_revision == view.revision
            and base.keep is None
            and len(new.rows) == len(base.chunk_ids)
            # Lexical-only over a hybrid index leaves the vectors on disk for later.
            and (self.embedder is None or (base.dense is not None and new.model == base.model))
        )
        if same_files and bare:  # BM25 was built from the same rows: saved for next time
            await asyncio.to_thread(self.store.attach_lexical, bare, new.lexical, new.diacritics)
        elif not same_files and not self._awaiting_model:
            mapped = await asyncio.to_thread(self._persist, new)
            if mapped is not None:  # the saved twins, memory-mapped: drop the built copies
                self._state = new.with_lexical(mapped)

    def _load_persisted(self) -> Persisted | None:
        with self.store.lock():
            return self.store.load()

    def _persist(self, state: IndexState) -> LexicalIndex | None:
        with self.store.lock():
            titles = {d.id: d.title for d in state.docs.values()}
            persisted = Persisted(
                state.revision, state.chunk_ids, state.tokens, state.model, state.dense, titles
            )
            persisted.lexical, persisted.diacritics = state.lexical, state.diacritics
            return self.store.save(persisted)

    async def _advance(self, view: DbView, base: Base) -> IndexState:
        """The next state for `view` (retrieval/building.py) with this retriever's model."""
        return await advance(
            self.sessionmaker, self.embedder, self.model_name, view, base, self._heard
        )
