"""Outer middlewares: rate limit, one unit of work per update, and the current user."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import texts
from bot.storage import current_session
from core.db import unit_of_work
from core.logs import request_id
from core.shared import SharedState
from core.users import service as user_service

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


def _sender_id(update: Update) -> int | None:
    event = update.message or update.callback_query or update.edited_message
    user = getattr(event, "from_user", None)
    return user.id if user else None


class RateLimitMiddleware(BaseMiddleware):
    """At most `per_window` updates per user per sliding window, and nothing dropped silently.

    A message over the limit waits for its turn when that comes within `max_delay` (the user is
    told once per burst that it will be handled); past that, each one is answered with the
    number of seconds after which to send it again. A button tap over the limit cannot wait
    (Telegram expires the tap), so it is refused with an alert every time.

    The windows live in the shared state (core.shared): Redis when configured, so a user has
    one limit whichever replica takes the update; this process's memory otherwise.
    """

    def __init__(
        self,
        shared: SharedState,
        per_window: int,
        window_seconds: float = 60.0,
        max_delay: float | None = None,
    ) -> None:
        self.shared = shared
        self.per_window = max(1, per_window)
        self.window = window_seconds
        self.max_delay = window_seconds if max_delay is None else max_delay

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        user_id = _sender_id(event)
        if user_id is None:
            return await handler(event, data)
        tap = event.callback_query is not None
        slot = await self.shared.reserve(
            f"bot:{user_id}",
            limit=self.per_window,
            window=self.window,
            max_delay=0.0 if tap else self.max_delay,
        )
        if slot.granted and slot.wait <= 0:
            return await handler(event, data)
        seconds = max(1, math.ceil(slot.wait))
        if event.callback_query is not None:
            text = texts.RATE_LIMITED_BUTTON.format(seconds=seconds)
            await event.callback_query.answer(text, show_alert=True)
            return None
        if not slot.granted:
            await _reply(event, texts.RATE_LIMITED_REFUSED.format(seconds=seconds))
            return None
        # Told once per burst: the flag lasts until this message's turn.
        if not await self.shared.mark(f"bot-told:{user_id}", slot.wait):
            await _reply(event, texts.RATE_LIMITED_DELAYED.format(seconds=seconds))
        await asyncio.sleep(slot.wait)
        return await handler(event, data)


async def _reply(update: Update, text: str) -> None:
    message = update.message or update.edited_message
    if message is not None:
        await message.answer(text)


class DbSessionMiddleware(BaseMiddleware):
    """One transaction per update (commit on success, roll back on error), as `session`.

    The current user is loaded as `user` (None for unknown people). The read is committed
    at once so that, on SQLite, no write lock is held while a handler waits on retrieval.
    """

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        request_id.set(f"tg-{event.update_id}")  # carried by every log line of this update
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
