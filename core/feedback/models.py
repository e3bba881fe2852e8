"""ORM model of one answered question with its passages snapshot and feedback."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow


class QuestionLog(Base):
    """A question and what retrieval answered; feeds stats and one-tap escalation."""

    __tablename__ = "question_log"
    __table_args__ = (Index("ix_question_log_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    query: Mapped[str] = mapped_column(Text)
    # Snapshot of the passages found: [{chunk_id, document_id, citation, text, validity, score}]
    passages: Mapped[list[Any]] = mapped_column(default=list)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    novel: Mapped[bool] = mapped_column(default=False)
    # "helpful" / "unhelpful", with the asker's optional reason.
    feedback: Mapped[str | None] = mapped_column(String(20))
    feedback_reason: Mapped[str | None] = mapped_column(Text)
    # Set when the asker escalated this question into a case.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    feedback_at: Mapped[datetime | None]
