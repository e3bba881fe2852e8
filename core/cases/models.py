"""ORM models of the fast-approval queue: cases and precedent proposals.

A case's history lives in the audit log (entity "case", entity_id = case id): one home for
"who did what when", hash-chained, so the history shown to users is the tamper-evident one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.cases.enums import CaseStatus, ProposalStatus, Urgency
from core.db import Base, keep_folded, utcnow
from core.users.models import Unit, User


class Case(Base):
    """One question escalated by a cadre, travelling up the ladder until someone answers it."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_status_level", "status", "level_unit_id"),
        Index("ix_cases_asker_id", "asker_id"),
        Index("ix_cases_due_at", "due_at"),
        Index("ix_cases_duplicate_group_id", "duplicate_group_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Human-readable number, e.g. "XYK-2026-000123" (year of creation + id).
    number: Mapped[str] = mapped_column(String(30), unique=True)
    asker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The asker's unit at creation time (where the question arose).
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    position: Mapped[str | None] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(Text)
    # fold(question), kept by keep_folded: the queue's accent-insensitive search.
    question_folded: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Snapshot of what retrieval found: [{citation, text, document_id, version_id, chunk_id, score}]
    passages: Mapped[list[Any]] = mapped_column(default=list)
    confidence: Mapped[float | None] = mapped_column(Float)
    urgency: Mapped[str] = mapped_column(String(10), default=Urgency.NORMAL)
    topic: Mapped[str | None] = mapped_column(String(100))
    # [{kind: "photo"|"document", file_id?: str, path?: str, name: str}]
    attachments: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(12), default=CaseStatus.NEW)
    # The rung of the ladder it currently sits on: that unit's supervisors may act on it.
    level_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Set when forwarded to one named supervisor: only they (or the level) may claim it.
    forwarded_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The current deadline window (restarted on every move up the ladder).
    window_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    remind_50_at: Mapped[datetime] = mapped_column(default=utcnow)
    remind_80_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    reminded_50_at: Mapped[datetime | None]
    reminded_80_at: Mapped[datetime | None]
    # Set when the top of the ladder is overdue and everyone was told (once per window).
    overdue_notified_at: Mapped[datetime | None]
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped on every transition; part of notification idempotency keys.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    answer: Mapped[str | None] = mapped_column(Text)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # "helpful" / "unhelpful" from the asker, with an optional note.
    feedback: Mapped[str | None] = mapped_column(String(20))
    feedback_note: Mapped[str | None] = mapped_column(Text)
    # Near-duplicates share a group: the id of the first case of the group.
    duplicate_group_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    # Question vector (L2-normalised floats) for near-duplicate detection; None if lexical-only.
    embedding: Mapped[list[Any] | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    asker: Mapped[User] = relationship(foreign_keys=[asker_id], lazy="joined")
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id], lazy="joined")
    level_unit: Mapped[Unit] = relationship(foreign_keys=[level_unit_id], lazy="joined")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id], lazy="joined")


keep_folded(Case, "question", "question_folded")


class PrecedentProposal(Base):
    """A supervisor's proposal to turn an answered case into reusable guidance."""

    __tablename__ = "precedent_proposals"
    __table_args__ = (Index("ix_precedent_proposals_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    status: Mapped[str] = mapped_column(String(12), default=ProposalStatus.PROPOSED)
    title: Mapped[str] = mapped_column(String(500))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(Text)
    # Knowledge-base scope chosen by the approving admin.
    scope: Mapped[str | None] = mapped_column(String(20))
    scope_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    expires_on: Mapped[date | None]
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))

    case: Mapped[Case] = relationship(lazy="joined")


class CaseNote(Base):
    """An internal note on a case between supervisors and admins; the asker never sees it."""

    __tablename__ = "case_notes"
    __table_args__ = (Index("ix_case_notes_case_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship(lazy="joined")
