"""Telegram splits a long paste into messages of 4096 characters; put the parts back together.

A text message of at least PART_CHARS characters may be the first part of a paste: it waits
up to `gap` seconds for the next text message from the same chat. Each one that arrives is
appended to it (and not handled on its own); a part shorter than PART_CHARS is the last. The
joined text is then handled as one message, so one reply answers the whole paste, and the
text limit applies to all of it.

The middleware runs before the per-user lock of the FSM middleware: the first part waits
while the next parts' updates come in. In-memory on purpose, like the rate limit: a paste
is a few seconds of one process's input.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from bot.middlewares import Handler

PART_CHARS = 4000  # Telegram cuts at 4096; a little slack for clients that cut earlier


@dataclass
class _Paste:
    parts: list[str]
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


class PasteJoinMiddleware(BaseMiddleware):
    """Joins consecutive text messages of one chat that are the parts of one long paste."""

    def __init__(self, gap: float = 1.5, part_chars: int = PART_CHARS) -> None:
        self.gap = gap
        self.part_chars = part_chars
        self._open: dict[int, _Paste] = {}

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        message = event.message
        text = message.text if message is not None else None
        if message is None or text is None:
            return await handler(event, data)
        paste = self._open.get(message.chat.id)
        if paste is not None and not text.startswith("/"):
            paste.parts.append(text)  # handled with the first part
            paste.arrived.set()
            return None
        if len(text) < self.part_chars:
            return await handler(event, data)
        paste = self._open[message.chat.id] = _Paste([text])
        try:
            while len(paste.parts[-1]) >= self.part_chars:
                paste.arrived.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(paste.arrived.wait(), self.gap)
                if not paste.arrived.is_set():
                    break
        finally:
            del self._open[message.chat.id]
        if len(paste.parts) > 1:
            joined = message.model_copy(update={"text": "".join(paste.parts), "entities": None})
            event = event.model_copy(update={"message": joined})
        return await handler(event, data)
