"""ORM models of situation drills: the drill, its deliveries to cadres, and each cadre's
schedule. A drill's history (who changed what) lives in the audit log (entity "drill")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow
from core.drills.enums import DrillStatus
from core.users.models import Unit, User

DEFAULT_INTERVAL_DAYS = 7  # one drill a week unless the cadre chooses otherwise


class Drill(Base):
    """A short situation with 3–4 options (one correct) or a free answer, and the approved
    answer with its citation, for cadres of some positions in one unit (or everywhere)."""

    __tablename__ = "drills"
    __table_args__ = (Index("ix_drills_status_unit", "status", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    # The training topic the weak-topic view groups by (the case's lĩnh vực, or the document).
    topic: Mapped[str] = mapped_column(String(200), default="")
    situation: Mapped[str] = mapped_column(Text)
    # Empty: a free answer, which the cadre compares with the approved one themselves.
    options: Mapped[list[Any]] = mapped_column(default=list)
    correct_option: Mapped[int | None] = mapped_column(Integer)
    answer: Mapped[str] = mapped_column(Text)
    citation: Mapped[str] = mapped_column(Text, default="")
    # Job positions (chức danh) it is for; empty means every position.
    positions: Mapped[list[Any]] = mapped_column(default=list)
    # Cadres of this unit and the units directly under it receive it; None: every unit.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    source_kind: Mapped[str] = mapped_column(String(12))
    precedent_id: Mapped[int | None] = mapped_column(ForeignKey("precedent_proposals.id"))
    chunk_id: Mapped[int | None] = mapped_column(Integer)  # chunks are re-made on re-import
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    status: Mapped[str] = mapped_column(String(12), default=DrillStatus.DRAFT)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit | None] = relationship(foreign_keys=[unit_id], lazy="joined")
    author: Mapped[User | None] = relationship(foreign_keys=[author_id], lazy="joined")


class DrillDelivery(Base):
    """One drill sent to one cadre, and their answer."""

    __tablename__ = "drill_deliveries"
    __table_args__ = (
        UniqueConstraint("drill_id", "user_id"),  # a cadre gets each drill once
        Index("ix_drill_deliveries_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    drill_id: Mapped[int] = mapped_column(ForeignKey("drills.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The cadre's unit and position when it was sent: what the weak-topic view groups by.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    position: Mapped[str] = mapped_column(String(200), default="")
    scheduled_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    choice: Mapped[int | None] = mapped_column(Integer)
    free_text: Mapped[str | None] = mapped_column(Text)
    # Options: whether the choice was the approved one. Free answers: the cadre's own
    # comparison with the approved answer (None until they say).
    correct: Mapped[bool | None]

    drill: Mapped[Drill] = relationship(lazy="joined")


class DrillSchedule(Base):
    """A cadre's drill rhythm; a cadre without a row has the default and is due now."""

    __tablename__ = "drill_schedules"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    interval_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_INTERVAL_DAYS)
    paused: Mapped[bool] = mapped_column(default=False)
    next_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
