"""Reliable sending: retry transient Telegram errors, and keep what still cannot be sent.

`RetryMiddleware` wraps every API call of the bot: 429 waits `retry_after`, 5xx and timeouts
back off exponentially. `reply` sends a (possibly long) HTML reply; parts that still fail
are written to the outbox in the update's transaction, so the worker delivers them later.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import GetUpdates, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import render
from core.outbox import service as outbox
from core.users.models import User

log = logging.getLogger(__name__)
TRANSIENT = (TelegramRetryAfter, TelegramServerError, TelegramNetworkError)


class RetryMiddleware(BaseRequestMiddleware):
    """Retries one API call a few times; waits longer than `max_wait` are left to the outbox."""

    def __init__(self, attempts: int = 4, base_delay: float = 0.5, max_wait: float = 10.0) -> None:
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_wait = max_wait

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if isinstance(method, GetUpdates):  # polling has its own backoff
            return await make_request(bot, method)  # type: ignore[arg-type]
        delay = self.base_delay
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if attempt == self.attempts or error.retry_after > self.max_wait:
                    raise
                log.info(
                    "Telegram 429 on %s, waiting %ss", method.__api_method__, error.retry_after
                )
                await asyncio.sleep(error.retry_after)
            except (TelegramServerError, TelegramNetworkError) as error:
                if attempt == self.attempts:
                    raise
                log.info("Telegram error on %s (%s), retry in %.1fs", method.__api_method__,
                         error, delay)  # fmt: skip
                await asyncio.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")


async def reply(
    bot: Bot,
    session: AsyncSession,
    *,
    chat_id: int,
    text: str,
    user: User | None = None,
    markup: InlineKeyboardMarkup | None = None,
    key: str,
) -> Message | None:
    """Send HTML `text` (split if long; buttons on the last part); returns the last message.

    A part that fails transiently goes to the outbox under `key:<n>` (needs a known user).
    """
    parts = render.split(text)
    last: Message | None = None
    for index, part in enumerate(parts):
        part_markup = markup if index == len(parts) - 1 else None
        try:
            last = await bot.send_message(chat_id=chat_id, text=part, reply_markup=part_markup)
        except TRANSIENT as error:
            if user is None:
                log.warning("reply to unknown chat %s dropped: %s", chat_id, error)
                continue
            log.warning("reply to user %s queued in the outbox: %s", user.id, error)
            await outbox.enqueue(
                session,
                user_id=user.id,
                text=part,
                idempotency_key=f"{key}:{index}",
                buttons=render.buttons_to_rows(part_markup),
            )
    return last


async def edit(
    bot: Bot, *, chat_id: int, message_id: int, text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> None:  # fmt: skip
    """Best-effort edit of an earlier message (e.g. to drop used buttons)."""
    try:
        await bot.edit_message_text(
            chat_id=chat_id, message_id=message_id, text=render.split(text)[0], reply_markup=markup
        )
    except Exception as error:  # an old message may be gone; never fatal
        log.info("edit of message %s failed: %s", message_id, error)


def update_key(bot: Bot, update: Any) -> str:
    """An idempotency key prefix unique to the update being handled (update ids are per bot)."""
    return f"reply:{bot.id}:{getattr(update, 'update_id', 'x')}"
