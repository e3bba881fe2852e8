"""ORM models of initiatives, their authors, rubric versions and evaluations.

Kept in their own tables: nothing here is read by case handling or any other record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow
from core.initiatives.enums import AuthorRole, AuthorStatus, EvaluationStatus, InitiativeStatus
from core.users.models import Unit, User


class RubricVersion(Base):
    """One immutable version of the scoring rubric; the newest is current."""

    __tablename__ = "rubric_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    # [{"key", "name", "description", "weight", "scale_min", "scale_max", "gate", "pass_mark"}]
    criteria: Mapped[list[Any]] = mapped_column(default=list)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Initiative(Base):
    """A logged initiative (sáng kiến) and where it stands in its evaluation."""

    __tablename__ = "initiatives"
    __table_args__ = (Index("ix_initiatives_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "SK-2026-000045": year of submission + the row id, so numbering never races.
    number: Mapped[str] = mapped_column(String(40), unique=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    field: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(500))
    problem: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[str] = mapped_column(Text, default="")
    results: Mapped[str] = mapped_column(Text, default="")
    evidence_text: Mapped[str] = mapped_column(Text, default="")
    # [{"kind": "photo"|"document", "file_id": ..., "path": ..., "name": ...}]
    attachments: Mapped[list[Any]] = mapped_column(default=list)
    period: Mapped[str] = mapped_column(String(50), default="")
    status: Mapped[str] = mapped_column(String(20), default=InitiativeStatus.SUBMITTED)
    # Bumped on every status change; makes notification idempotency keys unique per change.
    status_seq: Mapped[int] = mapped_column(default=0)
    # Pinned when evaluation starts, so a rubric edit never changes a running evaluation.
    rubric_version_id: Mapped[int | None] = mapped_column(ForeignKey("rubric_versions.id"))
    decision_note: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    # True when the council decided despite a disagreement flag.
    council_decision: Mapped[bool] = mapped_column(default=False)
    published_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL")
    )
    # float32 L2-normalised vector of the text (None when no model was available).
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="joined")
    unit: Mapped[Unit] = relationship(lazy="joined")
    authors: Mapped[list[InitiativeAuthor]] = relationship(
        back_populates="initiative", lazy="selectin", cascade="all, delete-orphan"
    )


class InitiativeAuthor(Base):
    """An author or co-author of an initiative (or a pending request to join)."""

    __tablename__ = "initiative_authors"

    initiative_id: Mapped[int] = mapped_column(
        ForeignKey("initiatives.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(10), default=AuthorRole.CO)
    status: Mapped[str] = mapped_column(String(10), default=AuthorStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    initiative: Mapped[Initiative] = relationship(back_populates="authors")
    user: Mapped[User] = relationship(lazy="joined")


class Evaluation(Base):
    """One evaluator's independent scoring of one initiative against a pinned rubric version."""

    __tablename__ = "initiative_evaluations"
    __table_args__ = (
        UniqueConstraint("initiative_id", "evaluator_id"),
        Index("ix_initiative_evaluations_evaluator_id", "evaluator_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiatives.id", ondelete="CASCADE"))
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rubric_version_id: Mapped[int] = mapped_column(ForeignKey("rubric_versions.id"))
    status: Mapped[str] = mapped_column(String(20), default=EvaluationStatus.ASSIGNED)
    # {criterion key: integer score on that criterion's scale}
    scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")
    # Weighted total normalised to 0-100, and whether any gate criterion failed.
    total: Mapped[float | None] = mapped_column(Float)
    gate_failed: Mapped[bool | None]
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    # Deadline reminders already sent: 0 none, 1 at 50 %, 2 at 80 %, 3 overdue.
    reminders_sent: Mapped[int] = mapped_column(default=0)

    initiative: Mapped[Initiative] = relationship(lazy="joined")
    evaluator: Mapped[User] = relationship(foreign_keys=[evaluator_id], lazy="joined")
