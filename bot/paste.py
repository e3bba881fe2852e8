"""Telegram splits a long paste into messages of 4096 characters; put the parts back together.

A text message of at least PART_CHARS characters may be the first part of a paste: the paste
is opened for its chat and the first part waits until a part shorter than PART_CHARS arrives
(the last) or no part has come for `gap` seconds. Each text message that arrives meanwhile is
added to the paste (and not handled on its own). The joined text, in message order, is then
handled as one message, so one reply answers the whole paste and the text limit applies to
all of it.

Behind a load balancer the parts of one paste reach different replicas, so the open paste
lives in the shared state (process memory, or Redis shared by every replica): whichever
replica receives a part adds it, and the replica holding the first part handles the whole.
The middleware runs before the chat's turn (bot.ordering) and the per-user lock: the first
part waits while the next parts' updates come in.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from bot.middlewares import Handler
from core.shared import SharedState

PART_CHARS = 4000  # Telegram cuts at 4096; a little slack for clients that cut earlier
POLL = 0.05  # seconds between looks at the open paste while waiting for its parts
# An open paste outlives the wait for its next part by this much; a replica that died holding
# the first part stops blocking the chat's next messages within gap + this.
KEEP = 2.0

Parts = list[tuple[int, str]]  # (message id, text)


class PasteJoinMiddleware(BaseMiddleware):
    """Joins consecutive text messages of one chat that are the parts of one long paste."""

    def __init__(self, shared: SharedState, gap: float = 1.5, part_chars: int = PART_CHARS) -> None:
        self.shared = shared
        self.gap = gap
        self.part_chars = part_chars

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        message = event.message
        text = message.text if message is not None else None
        if message is None or text is None or text.startswith("/"):
            return await handler(event, data)
        key = f"paste:{message.chat.id}"
        first = [(message.message_id, text)]
        async with self.shared.lock(key, timeout=10.0):
            parts = await self._parts(key)
            if parts is not None:  # a paste of this chat is open (here or on another replica)
                await self._store(key, [*parts, (message.message_id, text)])
                return None  # handled with the first part
            opens = len(text) >= self.part_chars
            if opens:
                await self._store(key, first)
        if not opens:
            # Handled outside the lock: held while the handler ran, it made the chat's next
            # updates, on every replica, race for it (in no order) instead of queueing for
            # their turn (bot.ordering).
            return await handler(event, data)
        parts = await self._collect(key, first)
        if len(parts) > 1:
            joined = message.model_copy(
                update={"text": "".join(t for _, t in parts), "entities": None}
            )
            event = event.model_copy(update={"message": joined})
        return await handler(event, data)

    async def _collect(self, key: str, parts: Parts) -> Parts:
        """Wait for the paste's parts, then close it and return them in message order."""
        seen, quiet_since = 1, time.monotonic()
        while True:
            await asyncio.sleep(POLL)
            parts = await self._parts(key) or parts  # (gone only if this process stalled)
            if len(parts) != seen:
                seen, quiet_since = len(parts), time.monotonic()
            last_is_short = bool(parts) and len(parts[-1][1]) < self.part_chars
            if last_is_short or time.monotonic() - quiet_since >= self.gap:
                break
        async with self.shared.lock(key, timeout=10.0):
            parts = await self._parts(key) or parts
            await self.shared.delete(key)
        return parts

    async def _parts(self, key: str) -> Parts | None:
        raw = await self.shared.get(key)
        if raw is None:
            return None
        return sorted((int(mid), str(text)) for mid, text in json.loads(raw))

    async def _store(self, key: str, parts: Parts) -> None:
        await self.shared.put(key, json.dumps(parts).encode("utf-8"), self.gap + KEEP)
