"""Persistent FSM storage: Redis when configured, otherwise the database (table bot_state).

The database storage writes through the update's own session when one is open (set by
bot.middlewares.DbSessionMiddleware), so a state change commits atomically with the
business change it belongs to; outside an update it opens its own unit of work.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import Any, TypeVar

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StorageKey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.chatstate import service as chat_state
from core.config import Settings
from core.db import unit_of_work

# The session of the Telegram update being handled, if any.
current_session: ContextVar[AsyncSession | None] = ContextVar("current_session", default=None)
T = TypeVar("T")


def _state_name(state: str | State | None) -> str | None:
    return state.state if isinstance(state, State) else state


class DatabaseStorage(BaseStorage):
    """FSM state and data in the `bot_state` table; survives restarts, shared by processes."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        key_builder: KeyBuilder | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)

    async def _run(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        session = current_session.get()
        if session is not None:
            return await work(session)
        async with unit_of_work(self.sessionmaker) as own:
            return await work(own)

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        name = self.key_builder.build(key)
        await self._run(lambda s: chat_state.set_state(s, key=name, state=_state_name(state)))

    async def get_state(self, key: StorageKey) -> str | None:
        name = self.key_builder.build(key)

        async def work(session: AsyncSession) -> str | None:
            row = await chat_state.get(session, key=name)
            return row.state if row else None

        return await self._run(work)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        name = self.key_builder.build(key)
        await self._run(lambda s: chat_state.set_data(s, key=name, data=dict(data)))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        name = self.key_builder.build(key)

        async def work(session: AsyncSession) -> dict[str, Any]:
            row = await chat_state.get(session, key=name)
            return dict(row.data) if row else {}

        return await self._run(work)

    async def close(self) -> None:
        """Nothing to release: sessions are per call or per update."""


def create_storage(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> BaseStorage:
    """Redis storage when TROLY_REDIS_URL is set, else the database storage."""
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        return RedisStorage.from_url(
            settings.redis_url,
            key_builder=DefaultKeyBuilder(prefix=settings.redis_prefix, with_destiny=True),
        )
    return DatabaseStorage(sessionmaker)
