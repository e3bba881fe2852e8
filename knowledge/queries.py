"""Read-only knowledge-base queries (re-exported by `knowledge.service`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import get_row
from core.errors import not_found
from core.text import fold
from knowledge.models import Chunk, Document, DocumentVersion, KnowledgeState

DocumentStatus = Literal["active", "retired", "all"]


@dataclass(frozen=True)
class DocumentPage:
    """One page of documents and the total number matching the filters."""

    items: list[Document]
    total: int


@dataclass(frozen=True)
class KnowledgeStats:
    """Size of the knowledge base, for `/kb`, the admin console and `troly doctor`."""

    documents_by_kind: dict[str, int] = field(default_factory=dict)  # documents in use
    retired_documents: int = 0
    active_chunks: int = 0
    versions: int = 0
    revision: int = 0

    @property
    def documents(self) -> int:
        return sum(self.documents_by_kind.values())


async def get_document(session: AsyncSession, *, document_id: int) -> Document:
    """A document with its versions, or NOT_FOUND."""
    return await get_row(session, Document, document_id, "văn bản")


async def get_version_text(session: AsyncSession, *, version_id: int) -> str:
    """The full normalised text of one version (for diffs and display)."""
    text = await session.scalar(
        select(DocumentVersion.text).where(DocumentVersion.id == version_id)
    )
    if text is None:
        raise not_found("phiên bản văn bản")
    return text


async def list_documents(
    session: AsyncSession,
    *,
    kind: str | None = None,
    status: DocumentStatus = "active",
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> DocumentPage:
    """Documents newest first, filtered by kind, status and a title search that ignores case and
    diacritics ("luat vien chuc" finds "Luật Viên chức")."""
    query = select(Document.id, Document.title).order_by(
        Document.updated_at.desc(), Document.id.desc()
    )
    if kind:
        query = query.where(Document.kind == kind)
    if status == "active":
        query = query.where(Document.retired_at.is_(None))
    elif status == "retired":
        query = query.where(Document.retired_at.is_not(None))
    rows = (await session.execute(query)).all()
    # Titles are few (hundreds) and SQLite cannot fold Vietnamese, so match in Python.
    if search and (needle := fold(" ".join(search.split()))):
        rows = [r for r in rows if needle in fold(r.title)]
    page_ids = [r.id for r in rows[offset : offset + max(limit, 0)]]
    docs = {
        d.id: d for d in await session.scalars(select(Document).where(Document.id.in_(page_ids)))
    }
    return DocumentPage([docs[i] for i in page_ids], len(rows))


async def chunk_counts(session: AsyncSession, *, document_ids: list[int]) -> dict[int, int]:
    """Active (searchable) chunks per document."""
    rows = await session.execute(
        select(Chunk.document_id, func.count())
        .where(Chunk.document_id.in_(document_ids), Chunk.active)
        .group_by(Chunk.document_id)
    )
    counts = {doc_id: 0 for doc_id in document_ids}
    counts.update({doc_id: n for doc_id, n in rows.tuples()})
    return counts


async def list_chunks(
    session: AsyncSession,
    *,
    document_id: int,
    version_id: int | None = None,
    limit: int | None = None,
) -> list[Chunk]:
    """Chunks of a document's current version (or of a given version), in document order."""
    query = select(Chunk).where(Chunk.document_id == document_id)
    if version_id is None:
        current = select(DocumentVersion.id).where(
            DocumentVersion.document_id == document_id, DocumentVersion.is_current
        )
        query = query.where(Chunk.version_id.in_(current))
    else:
        query = query.where(Chunk.version_id == version_id)
    query = query.order_by(Chunk.ordinal)
    if limit is not None:
        query = query.limit(limit)
    return list(await session.scalars(query))


async def current_revision(session: AsyncSession) -> int:
    """The knowledge-base revision the search index must match."""
    return int(
        await session.scalar(select(KnowledgeState.revision).where(KnowledgeState.id == 1)) or 0
    )


async def stats(session: AsyncSession) -> KnowledgeStats:
    """Documents in use by kind, retired documents, active chunks, versions and the revision."""
    by_kind = await session.execute(
        select(Document.kind, func.count())
        .where(Document.retired_at.is_(None))
        .group_by(Document.kind)
    )
    retired = await session.scalar(
        select(func.count()).select_from(Document).where(Document.retired_at.is_not(None))
    )
    chunks = await session.scalar(select(func.count()).select_from(Chunk).where(Chunk.active))
    versions = await session.scalar(select(func.count()).select_from(DocumentVersion))
    return KnowledgeStats(
        documents_by_kind={kind: n for kind, n in by_kind.tuples()},
        retired_documents=int(retired or 0),
        active_chunks=int(chunks or 0),
        versions=int(versions or 0),
        revision=await current_revision(session),
    )
