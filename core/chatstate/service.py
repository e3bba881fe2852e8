"""Read and write conversation state inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from core.chatstate.models import ChatState
from core.db import utcnow


async def get(session: AsyncSession, *, key: str) -> ChatState | None:
    """The stored state of one conversation, or None."""
    return await session.get(ChatState, key)


async def set_state(session: AsyncSession, *, key: str, state: str | None) -> None:
    """Set (or clear, with None) the state name; empty conversations are deleted."""
    row = await session.get(ChatState, key)
    if row is None:
        if state is None:
            return
        row = ChatState(key=key, data={})
        session.add(row)
    row.state = state
    row.updated_at = utcnow()
    await _flush_or_drop(session, row)


async def set_data(session: AsyncSession, *, key: str, data: dict[str, Any]) -> None:
    """Replace the conversation data; empty conversations are deleted."""
    row = await session.get(ChatState, key)
    if row is None:
        if not data:
            return
        row = ChatState(key=key, state=None)
        session.add(row)
    # A fresh dict so SQLAlchemy sees the JSON column change.
    row.data = dict(data)
    row.updated_at = utcnow()
    await _flush_or_drop(session, row)


async def _flush_or_drop(session: AsyncSession, row: ChatState) -> None:
    await session.flush()
    if row.state is None and not row.data:
        await session.execute(delete(ChatState).where(ChatState.key == row.key))
        session.expunge(row)
