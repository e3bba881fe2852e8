"""ORM models of mentoring: who volunteers for which position, and each informal question."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, utcnow
from core.users.models import User


class Mentor(Base):
    """An official who offers informal help to cadres of one position (their own, by default)."""

    __tablename__ = "mentors"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    position: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")


class MentorRequest(Base):
    """A cadre's informal question to a mentor, from a not-covered answer, and the reply."""

    __tablename__ = "mentor_requests"
    __table_args__ = (Index("ix_mentor_requests_mentor_id", "mentor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The logged question it came from (its ❓ button escalates it formally).
    question_id: Mapped[int] = mapped_column(ForeignKey("question_log.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(Text)
    reply: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    replied_at: Mapped[datetime | None]

    asker: Mapped[User] = relationship(foreign_keys=[asker_id], lazy="joined")
    mentor: Mapped[User] = relationship(foreign_keys=[mentor_id], lazy="joined")
