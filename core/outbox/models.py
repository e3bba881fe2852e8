"""ORM model of one pending or delivered notification."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow


class OutboxMessage(Base):
    """A message for one user. `idempotency_key` is unique so a retry never sends twice."""

    __tablename__ = "outbox"
    # The worker scans pending messages by due time.
    __table_args__ = (Index("ix_outbox_pending", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # HTML (Telegram parse mode); every user-supplied part is escaped by the writer.
    text: Mapped[str] = mapped_column(Text)
    # Button rows, core.outbox.buttons: [[{"action": "case.claim", "id": 12}], ...] from core, or
    # [[{"text": ..., "callback_data": ...}]] drawn by the bot; the bot's notifier draws both.
    buttons: Mapped[list[Any]] = mapped_column(default=list)
    # A file to send instead of a plain message ({"kind": "photo"|"document", "file_id": ...});
    # `text` is then its caption.
    media: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    # Set when delivery can never succeed (e.g. the user blocked the bot); no more retries.
    failed_at: Mapped[datetime | None]
