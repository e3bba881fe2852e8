"""What the index is built from: the knowledge base's active chunks and documents, read from the
database as plain rows (never the ORM entities, which would pull every version's full text).

`read_view` reads the revision *before* the chunks, so a concurrent import can only make the
view look older than it is (and be synced again), never newer.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from knowledge.models import Chunk, Document, KnowledgeState
from retrieval.engine import ChunkRow, group_key
from retrieval.filters import DocMeta

# Chunk rows read per slice by `read_view`.
_SLICE = 2000


@dataclass
class DbView:
    """One consistent read of what should be indexed at `revision`."""

    revision: int
    docs: dict[int, DocMeta]
    rows: list[ChunkRow]


def passage_text(title: str, heading: str, text: str) -> str:
    """What is indexed for a chunk: the document's name and the article's title lead, because
    questions often name the law and the subject of the article."""
    return "\n".join(p for p in (title, heading, text) if p)


async def read_view(sessionmaker: async_sessionmaker[AsyncSession]) -> DbView:
    """The revision, every document's filter metadata and every active chunk's row."""
    async with sessionmaker() as session:
        revision = await session.scalar(
            select(KnowledgeState.revision).where(KnowledgeState.id == 1)
        )
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
        # Streamed in slices, so 100k rows never hold the event loop more than a few ms at a
        # time (a replica catching up keeps answering while it reads).
        stream = await session.stream(
            select(Chunk.id, Chunk.document_id, Chunk.external_id, Chunk.article, Chunk.heading)
            .where(Chunk.active.is_(True))
            .order_by(Chunk.id)
            .execution_options(yield_per=_SLICE)
        )
        rows: list[ChunkRow] = []
        async for part in stream.partitions(_SLICE):
            rows.extend(
                ChunkRow(r[0], r[1], group_key(r[0], r[1], r[2], r[3]), r[4], r[3]) for r in part
            )
            await asyncio.sleep(0)  # let waiting requests run between slices
    return DbView(revision or 0, docs, rows)


async def passage_texts(
    sessionmaker: async_sessionmaker[AsyncSession], ids: list[int]
) -> list[str]:
    """The indexed text of each chunk id, in the order given."""
    async with sessionmaker() as session:
        result = await session.execute(
            select(Chunk.id, Document.title, Chunk.heading, Chunk.text)
            .join(Document, Document.id == Chunk.document_id)
            .where(Chunk.id.in_(ids))
        )
        by_id = {row[0]: passage_text(row[1], row[2], row[3]) for row in result}
    return [by_id[i] for i in ids]
