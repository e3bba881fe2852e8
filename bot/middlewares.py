"""Outer middlewares: rate limit, one unit of work per update, and the current user."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import texts
from bot.storage import current_session
from core.db import unit_of_work
from core.users import service as user_service

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def _sender_id(update: Update) -> int | None:
    event = update.message or update.callback_query or update.edited_message
    user = getattr(event, "from_user", None)
    return user.id if user else None


class RateLimitMiddleware(BaseMiddleware):
    """At most `per_minute` updates per user per sliding minute; one friendly notice, then quiet.

    In-memory on purpose: the limit protects this process's resources, and a restart
    resetting it is harmless.
    """

    def __init__(self, per_minute: int, window_seconds: float = 60.0) -> None:
        self.per_minute = per_minute
        self.window = window_seconds
        self._hits: defaultdict[int, deque[float]] = defaultdict(deque)
        self._warned: dict[int, float] = {}

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        user_id = _sender_id(event)
        if user_id is None:
            return await handler(event, data)
        now = time.monotonic()
        hits = self._hits[user_id]
        while hits and now - hits[0] > self.window:
            hits.popleft()
        if len(hits) >= self.per_minute:
            if now - self._warned.get(user_id, -1e9) > self.window:
                self._warned[user_id] = now
                await _notify_limited(event)
            return None
        hits.append(now)
        return await handler(event, data)


async def _notify_limited(update: Update) -> None:
    if update.message is not None:
        await update.message.answer(texts.RATE_LIMITED)
    elif update.callback_query is not None:
        await update.callback_query.answer(texts.RATE_LIMITED, show_alert=True)


class DbSessionMiddleware(BaseMiddleware):
    """One transaction per update (commit on success, roll back on error), as `session`.

    The current user is loaded as `user` (None for unknown people). The read is committed
    at once so that, on SQLite, no write lock is held while a handler waits on retrieval.
    """

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        async with unit_of_work(self.sessionmaker) as session:
            token = current_session.set(session)
            try:
                user_id = _sender_id(event)
                user = None
                if user_id is not None:
                    user = await user_service.get_by_telegram_id(session, telegram_id=user_id)
                await session.commit()
                data["session"] = session
                data["user"] = user if user is None or user.active else None
                data["inactive"] = user is not None and not user.active
                return await handler(event, data)
            finally:
                current_session.reset(token)
