"""ORM models of the hard-task catalogue: tasks, their progress notes and their links.

A task's history (who changed what) lives in the audit log (entity "task"), as a case's does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow
from core.tasks.enums import TaskStatus
from core.users.models import Unit, User


class HardTask(Base):
    """One hard or long-pending task of a unit, owned by one responsible official."""

    __tablename__ = "hard_tasks"
    __table_args__ = (
        Index("ix_hard_tasks_unit_status", "unit_id", "status"),
        Index("ix_hard_tasks_owner_id", "owner_id"),
        Index("ix_hard_tasks_due_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(12), default=TaskStatus.OPEN)
    # The deadline in working days from `started_at`, and its marks (core.cases.calendar).
    working_days: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    remind_50_at: Mapped[datetime] = mapped_column(default=utcnow)
    remind_80_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    reminded_50_at: Mapped[datetime | None]
    reminded_80_at: Mapped[datetime | None]
    # Once overdue: the rung of the unit's escalation ladder told last, and when the next rung
    # is told (the queue's normal SLA later); None at the top, after the admins were told.
    overdue_at: Mapped[datetime | None]
    level_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    next_escalation_at: Mapped[datetime | None]
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closing_note: Mapped[str | None] = mapped_column(Text)
    # Bumped on every change; part of notification idempotency keys.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id], lazy="joined")
    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="joined")


class TaskNote(Base):
    """A progress note on a task (append-only)."""

    __tablename__ = "hard_task_notes"
    __table_args__ = (Index("ix_hard_task_notes_task_id", "task_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("hard_tasks.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship(lazy="joined")


class TaskLink(Base):
    """A case or precedent a task refers to."""

    __tablename__ = "hard_task_links"

    task_id: Mapped[int] = mapped_column(
        ForeignKey("hard_tasks.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    target_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
