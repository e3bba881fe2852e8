"""ORM models of the knowledge base. Retrieval reads these; it never writes them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow


class DocumentKind(StrEnum):
    REGULATION = "regulation"  # văn bản quy phạm pháp luật
    COMPETENCY = "competency"  # khung năng lực vị trí việc làm
    GUIDANCE = "guidance"  # hướng dẫn, cẩm nang, thực tiễn tốt
    PRECEDENT = "precedent"  # tiền lệ: câu trả lời đã được phê duyệt


# What fronts show for each kind.
KIND_LABELS: dict[str, str] = {
    DocumentKind.REGULATION: "Văn bản quy phạm",
    DocumentKind.COMPETENCY: "Khung năng lực",
    DocumentKind.GUIDANCE: "Hướng dẫn",
    DocumentKind.PRECEDENT: "Tiền lệ",
}


class Scope(StrEnum):
    NATIONAL = "national"
    PROVINCE = "province"  # scope_unit_id: the province; covers its communes
    UNIT = "unit"  # scope_unit_id: the one unit it applies to


# What fronts show for each scope.
SCOPE_LABELS: dict[str, str] = {
    Scope.NATIONAL: "Toàn quốc",
    Scope.PROVINCE: "Một tỉnh",
    Scope.UNIT: "Một đơn vị",
}


class Document(Base):
    """A logical document; its text lives in versions, exactly one of them current."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stable key used to recognise a re-import (document number, or title when there is none).
    key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default=DocumentKind.REGULATION)
    number: Mapped[str | None] = mapped_column(String(100))  # số hiệu, e.g. 52/2019/QH14
    title: Mapped[str] = mapped_column(String(500))
    issuer: Mapped[str | None] = mapped_column(String(200))
    issued_on: Mapped[date | None]
    effective_from: Mapped[date | None]
    expires_on: Mapped[date | None]
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    scope: Mapped[str] = mapped_column(String(20), default=Scope.NATIONAL)
    # For province/unit scope: the unit it applies to (a province covers its communes).
    scope_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    # Job positions it applies to; empty means everyone.
    positions: Mapped[list[Any]] = mapped_column(default=list)
    # Free-form provenance, e.g. {"case_id": 12, "approved_by": 3} for a precedent.
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document", order_by="DocumentVersion.number", lazy="selectin"
    )


class DocumentVersion(Base):
    """One imported text of a document. Old versions are kept for audit, never searched."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(300), default="")
    # The full normalised text, so versions can be diffed and re-chunked.
    text: Mapped[str] = mapped_column(Text)
    is_current: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]

    document: Mapped[Document] = relationship(back_populates="versions")


class PassageColumns:
    """A passage's text and citation path: what a chunk holds and a staged passage waits with."""

    # Caller-supplied id (JSONL `id`, e.g. "Luật Viên chức#29"); article windows share it.
    external_id: Mapped[str | None] = mapped_column(String(300))
    ordinal: Mapped[int]
    # Human citation, e.g. "Luật Viên chức, Điều 29, khoản 1, điểm a".
    citation: Mapped[str] = mapped_column(String(500))
    article: Mapped[str | None] = mapped_column(String(20))
    clause: Mapped[str | None] = mapped_column(String(20))
    point: Mapped[str | None] = mapped_column(String(20))
    heading: Mapped[str] = mapped_column(String(500), default="")  # article title
    text: Mapped[str] = mapped_column(Text)


# The columns `PassageColumns` adds, in one list for copying staged passages into chunks.
PASSAGE_COLUMNS = (
    "external_id", "ordinal", "citation", "article", "clause", "point", "heading", "text"
)  # fmt: skip


class Chunk(PassageColumns, Base):
    """A searchable passage with its citation path. `id` doubles as the dense-index id."""

    __tablename__ = "chunks"
    __table_args__ = (
        Index("ix_chunks_active", "active"),
        Index("ix_chunks_external_id", "external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("document_versions.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    # Only chunks of the current version of a non-retired document are active (searchable).
    active: Mapped[bool] = mapped_column(default=True)


class StagedPassage(PassageColumns, Base):
    """A passage of a large document stored ahead of its import, in steps that commit on their
    own (`knowledge.store.stage_passages`). Nothing reads these but the import that copies them
    into `chunks` and deletes them in one transaction, so no listing, version history or search
    ever sees half a document, and a worker that died midway leaves nothing visible behind."""

    __tablename__ = "staged_passages"
    __table_args__ = (UniqueConstraint("batch", "ordinal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Whose passages these are: the importer's key for one document's content.
    batch: Mapped[str] = mapped_column(String(120))


class KnowledgeState(Base):
    """Single row; `revision` increases with every change, so the index can tell it is stale."""

    __tablename__ = "knowledge_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(default=0)
