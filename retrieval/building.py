"""Building the next generation of the index from the last one: cached tokens and vectors are
reused, and only chunks new to the index are read, tokenised and encoded (in batches)."""

from __future__ import annotations

import asyncio
import logging

import faiss
import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from retrieval.dense import DenseIndex
from retrieval.embedder import Embedder
from retrieval.engine import IndexState
from retrieval.source import DbView, passage_texts
from retrieval.text import passage_tokens

log = logging.getLogger(__name__)

# Chunks whose text is read and encoded per round trip while syncing.
_BATCH = 512


async def advance(
    sessionmaker: async_sessionmaker[AsyncSession],
    embedder: Embedder | None,
    model: str | None,
    view: DbView,
    base_tokens: dict[int, list[str]],
    base_dense: DenseIndex | None,
    base_model: str | None,
    renamed: bool = False,
) -> IndexState:
    """The state for `view`: `base_*` is what the last generation holds (tokens by chunk id,
    vectors of `base_model`); `renamed` re-encodes the chunks whose cached tokens were dropped.
    `model` names `embedder` (None: lexical-only)."""
    active = np.array([r.id for r in view.rows], dtype=np.int64)
    dense: DenseIndex | None = None
    need_vectors: list[int] = []
    if embedder is not None:
        if base_dense is not None and base_model == model:
            dense = DenseIndex(base_dense.dim, faiss.clone_index(base_dense.index))
            held = dense.ids()
            keep = np.array(sorted(base_tokens), dtype=np.int64)
            stale = np.setdiff1d(held, np.intersect1d(active, keep)) if renamed else None
            dense.remove(np.setdiff1d(held, active) if stale is None else stale)
            held = dense.ids()
            need_vectors = np.setdiff1d(active, held).tolist()
        else:
            dense = DenseIndex(embedder.dim)
            need_vectors = active.tolist()
    need_tokens = [r.id for r in view.rows if r.id not in base_tokens]
    wanted = sorted(set(need_tokens) | set(need_vectors))
    if wanted:
        log.info("indexing %d new chunks (revision %d)", len(wanted), view.revision)
    tokens = dict(base_tokens)
    token_set, vector_set = set(need_tokens), set(need_vectors)
    for start in range(0, len(wanted), _BATCH):
        batch = wanted[start : start + _BATCH]
        texts = await passage_texts(sessionmaker, batch)
        await asyncio.to_thread(
            _index_batch, embedder, batch, texts, token_set, vector_set, tokens, dense
        )
    # Building BM25 and the diacritic model is CPU work: off the event loop.
    return await asyncio.to_thread(
        IndexState.build,
        revision=view.revision,
        rows=view.rows,
        tokens=[tokens[r.id] for r in view.rows],
        dense=dense,
        model=model if dense is not None else None,
        docs=view.docs,
    )


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
