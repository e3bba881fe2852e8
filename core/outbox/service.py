"""Enqueue notifications inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.outbox.buttons import Rows
from core.outbox.models import OutboxMessage


async def enqueue(
    session: AsyncSession,
    *,
    user_id: int,
    text: str,
    idempotency_key: str,
    buttons: Rows | None = None,
    media: dict[str, Any] | None = None,
) -> OutboxMessage:
    """Queue a message for a user; a second call with the same key returns the first message."""
    existing = await session.scalar(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == idempotency_key)
    )
    if existing is not None:
        return existing
    message = OutboxMessage(
        idempotency_key=idempotency_key,
        user_id=user_id,
        text=text,
        buttons=_stored(buttons or []),
        media=media,
    )
    session.add(message)
    await session.flush()
    return message


@dataclass(frozen=True)
class Outgoing:
    """One message to queue with enqueue_many."""

    user_id: int
    text: str
    idempotency_key: str
    buttons: Rows = field(default_factory=list)
    media: dict[str, Any] | None = None  # a photo or document, `text` being its caption


async def enqueue_many(session: AsyncSession, messages: Sequence[Outgoing]) -> int:
    """Queue several messages with one lookup and one flush; existing keys are skipped.

    Returns how many were new. Same semantics as calling enqueue() for each, but a fan-out
    to twenty supervisors costs two round trips instead of forty.
    """
    if not messages:
        return 0
    keys = [m.idempotency_key for m in messages]
    existing = set(
        await session.scalars(
            select(OutboxMessage.idempotency_key).where(OutboxMessage.idempotency_key.in_(keys))
        )
    )
    new = 0
    for m in messages:
        if m.idempotency_key in existing:
            continue
        existing.add(m.idempotency_key)
        session.add(
            OutboxMessage(
                idempotency_key=m.idempotency_key,
                user_id=m.user_id,
                text=m.text,
                buttons=_stored(m.buttons),
                media=m.media,
            )
        )
        new += 1
    await session.flush()
    return new


def _stored(rows: Rows) -> list[list[dict[str, Any]]]:
    """Rows as plain JSON lists and dicts."""
    return [[dict(b) for b in r] for r in rows]
