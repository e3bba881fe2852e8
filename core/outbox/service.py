"""Enqueue notifications inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.outbox.models import OutboxMessage


async def enqueue(
    session: AsyncSession,
    *,
    user_id: int,
    text: str,
    idempotency_key: str,
    buttons: list[list[dict[str, Any]]] | None = None,
) -> OutboxMessage:
    """Queue a message for a user; a second call with the same key returns the first message."""
    existing = await session.scalar(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == idempotency_key)
    )
    if existing is not None:
        return existing
    message = OutboxMessage(
        idempotency_key=idempotency_key, user_id=user_id, text=text, buttons=buttons or []
    )
    session.add(message)
    await session.flush()
    return message
