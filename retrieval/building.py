"""Building the next generation of the index from the last one: cached tokens and vectors are
reused, and only chunks new to the index are read, tokenised and encoded (in batches). BM25 and
the diacritic model are reused too when the rows are unchanged, and a warm start serves the
persisted generation with no rebuild at all (`warm`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import faiss
import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from retrieval.dense import DenseIndex
from retrieval.embedder import Embedder
from retrieval.engine import ChunkRow, IndexState
from retrieval.lexical import LexicalIndex
from retrieval.restore import DiacriticModel
from retrieval.source import DbView, passage_texts
from retrieval.store import Persisted
from retrieval.text import passage_tokens
from retrieval.tokencache import TokenCache

log = logging.getLogger(__name__)

# Chunks whose text is read and encoded per round trip while syncing.
_BATCH = 512
# Told how many of the chunks new to the index are done, of how many (import progress).
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Base:
    """What the last generation holds, as the next one starts from it."""

    chunk_ids: np.ndarray  # sorted; the row order of everything below
    tokens: Sequence[list[str]]
    dense: DenseIndex | None
    model: str | None  # the model `dense` was built with
    lexical: LexicalIndex | None = None  # prebuilt over exactly these rows
    diacritics: DiacriticModel | None = None
    keep: np.ndarray | None = None  # rows whose tokens and vectors are still good (None: all)

    @classmethod
    def empty(cls) -> Base:
        return cls(np.zeros(0, dtype=np.int64), [], None, None)

    @classmethod
    def of(cls, held: IndexState | Persisted) -> Base:
        """The base of a served state or of the persisted generation."""
        return cls(
            held.chunk_ids, held.tokens, held.dense, held.model, held.lexical, held.diacritics
        )

    def with_stale(self, view: DbView, titles: dict[int, str], live: np.ndarray | None) -> Base:
        """This base with its rows not `live`, and those of documents renamed since `titles`
        (the title is part of a passage's indexed text), marked for re-indexing."""
        keep = live
        gone = renamed(view, titles)
        stale = [r.id for r in view.rows if r.document_id in gone] if gone else []
        if stale:
            fresh = ~np.isin(self.chunk_ids, np.array(stale, dtype=np.int64))
            keep = fresh if keep is None else keep & fresh
        if keep is None or bool(keep.all()):
            return self
        return replace(self, lexical=None, diacritics=None, keep=keep)

    def usable(self) -> np.ndarray:
        """Chunk ids whose cached tokens and vectors may be reused."""
        return self.chunk_ids if self.keep is None else self.chunk_ids[self.keep]


def renamed(view: DbView, titles: dict[int, str]) -> set[int]:
    """Documents whose title differs from the one their passages were indexed with."""
    return {d.id for d in view.docs.values() if titles.get(d.id, d.title) != d.title}


def warm(persisted: Persisted, view: DbView, hybrid: bool) -> IndexState:
    """The persisted generation as it is, served at once: its rows stay aligned with its BM25
    files (nothing is rebuilt when they were saved), current metadata from `view`, and rows
    whose chunk is no longer active or whose document was renamed masked out until the
    catch-up. Labelled with the revision it was saved at. `hybrid`: serve its vectors too."""
    by_id = {r.id: r for r in view.rows}
    stale = renamed(view, persisted.titles)
    rows: list[ChunkRow] = []
    live = np.ones(len(persisted.chunk_ids), dtype=bool)
    for i, cid in enumerate(persisted.chunk_ids.tolist()):
        row = by_id.get(cid)
        if row is None or row.document_id in stale:
            live[i] = False
        # A chunk gone from the database keeps a placeholder row (never served).
        rows.append(row or ChunkRow(cid, 0, f"c:{cid}"))
    return IndexState.build(
        revision=persisted.revision,
        rows=rows,
        tokens=persisted.tokens,
        dense=persisted.dense if hybrid else None,
        model=persisted.model if hybrid else None,
        docs=view.docs,
        lexical=persisted.lexical,
        diacritics=persisted.diacritics,
        live=None if live.all() else live,
    )


async def advance(
    sessionmaker: async_sessionmaker[AsyncSession],
    embedder: Embedder | None,
    model: str | None,
    view: DbView,
    base: Base,
    progress: Progress | None = None,
) -> IndexState:
    """The state for `view` from `base`: only chunks it lacks (or does not keep) are read,
    tokenised and encoded. `model` names `embedder` (None: lexical-only). `progress(done,
    total)` hears how many of the new chunks are done after each batch."""
    active = np.array([r.id for r in view.rows], dtype=np.int64)
    usable = base.usable()
    dense: DenseIndex | None = None
    need_vectors: list[int] = []
    if embedder is not None:
        if base.dense is not None and base.model == model:
            dense = DenseIndex(base.dense.dim, faiss.clone_index(base.dense.index))
            held = dense.ids()
            dense.remove(np.setdiff1d(held, np.intersect1d(active, usable)))
            need_vectors = np.setdiff1d(active, dense.ids()).tolist()
        else:
            dense = DenseIndex(embedder.dim)
            need_vectors = active.tolist()
    need_tokens = np.setdiff1d(active, usable).tolist()
    wanted = sorted(set(need_tokens) | set(need_vectors))
    if wanted:
        log.info("indexing %d new chunks (revision %d)", len(wanted), view.revision)
    fresh: dict[int, list[str]] = {}
    token_set, vector_set = set(need_tokens), set(need_vectors)
    for start in range(0, len(wanted), _BATCH):
        batch = wanted[start : start + _BATCH]
        texts = await passage_texts(sessionmaker, batch)
        await asyncio.to_thread(
            _index_batch, embedder, batch, texts, token_set, vector_set, fresh, dense
        )
        if progress is not None:
            progress(start + len(batch), len(wanted))
    # Building BM25 and the diacritic model is CPU work: off the event loop.
    return await asyncio.to_thread(
        _assemble, view, base, active, fresh, dense, model if dense is not None else None
    )


def _assemble(
    view: DbView,
    base: Base,
    active: np.ndarray,
    fresh: dict[int, list[str]],
    dense: DenseIndex | None,
    model: str | None,
) -> IndexState:
    if not fresh and base.keep is None and np.array_equal(active, base.chunk_ids):
        # Same rows as the base: its BM25 and diacritic model still hold (no rebuild).
        return IndexState.build(
            revision=view.revision, rows=view.rows, tokens=base.tokens, dense=dense,
            model=model, docs=view.docs, lexical=base.lexical, diacritics=base.diacritics,
        )  # fmt: skip
    # The new token cache: kept rows gathered by position, fresh rows appended, then put in
    # chunk id order; nothing already cached is decoded.
    is_fresh = np.isin(active, np.fromiter(fresh, dtype=np.int64, count=len(fresh)))
    kept = np.searchsorted(base.chunk_ids, active[~is_fresh])
    combined = TokenCache.encode(base.tokens).take(kept)
    combined = combined.extended([fresh[int(c)] for c in active[is_fresh]])
    position = np.empty(len(active), dtype=np.int64)
    position[~is_fresh] = np.arange(len(kept))
    position[is_fresh] = len(kept) + np.arange(int(is_fresh.sum()))
    # New chunks usually come last already (ids grow); re-indexed ones move into place.
    tokens = combined if bool(np.all(np.diff(position) > 0)) else combined.take(position)
    return IndexState.build(
        revision=view.revision, rows=view.rows, tokens=tokens, dense=dense, model=model,
        docs=view.docs,
    )  # fmt: skip


def _index_batch(
    embedder: Embedder | None,
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
    if dense is not None and embedder is not None:
        pairs = [(c, t) for c, t in zip(ids, texts, strict=True) if c in vector_set]
        if pairs:
            vectors = embedder.encode_passages([t for _, t in pairs])
            dense.add(np.array([c for c, _ in pairs], dtype=np.int64), vectors)
