"""ORM model of a commendation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow
from core.users.models import Unit, User


class Commendation(Base):
    """A supervisor commends an official, for a task, a case or a precedent (or in general)."""

    __tablename__ = "commendations"
    __table_args__ = (
        # One commendation per official per source: a double tap does not commend twice.
        UniqueConstraint("user_id", "source_kind", "source_id"),
        Index("ix_commendations_unit_id", "unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The official's unit when commended: whose board shows it.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    citation: Mapped[str] = mapped_column(Text)
    source_kind: Mapped[str] = mapped_column(String(12))
    source_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    by: Mapped[User] = relationship(foreign_keys=[by_id], lazy="joined")
    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id], lazy="joined")


class PrecedentReuse(Base):
    """An approved precedent led the answer to a cadre of another unit than the case it came
    from: one row per asker per precedent, so "reused by N other communes" counts real rows."""

    __tablename__ = "precedent_reuses"
    __table_args__ = (
        UniqueConstraint("proposal_id", "user_id"),
        Index("ix_precedent_reuses_proposal_id", "proposal_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("precedent_proposals.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The asker's unit when it was reused (what "other communes" counts).
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship(lazy="joined")
