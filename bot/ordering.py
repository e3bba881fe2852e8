"""A chat's updates one at a time and in arrival order across replicas; each update once.

Behind a load balancer, one chat's webhook calls reach different replicas, and Telegram
retries a call that failed or timed out. aiogram's event isolation (RedisEventIsolation with
Redis) makes a chat's updates take turns, but its lock goes to whichever replica asks first,
and it does not remember handled updates. So this middleware adds, through `core.shared`
(process memory, or Redis shared by every replica):

- an arrival queue per chat: each update enters with a lease and is handled only when it is the
  oldest live entry, then leaves. A replica killed mid-update stops renewing its lease; the
  entry lapses after LEASE seconds, and the webhook never answered, so Telegram sends the
  update again and it takes its turn on another replica;
- a done mark per update id, set once it was handled (or its handler failed and the user was
  told): a retry is skipped. A retry arriving while the first delivery is still being handled
  waits for it, then is skipped, or takes over if that replica died.

The webhook therefore answers only after handling (bot.main), so an answered update is never
lost. The queue is a small JSON value read and written under a short shared lock (redis-py's
Lock): a chat rarely has more than a few updates in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import Chat, TelegramObject, Update

from bot.middlewares import Handler
from core.shared import SharedState

log = logging.getLogger(__name__)

LEASE = 30.0  # seconds an entry lives without renewal (renewed every LEASE / 3)
DONE_TTL = 2 * 86400.0  # Telegram gives up retrying an update well within a day
POLL = 0.05
_QUEUE_TTL = 3600.0


class UpdateOrder(BaseMiddleware):
    """Outer update middleware: skip handled updates, wait for the chat's turn, mark done."""

    def __init__(self, shared: SharedState, *, lease: float = LEASE, poll: float = POLL) -> None:
        self.shared = shared
        self.lease = lease
        self.poll = poll

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        # Keyed by bot too: update ids are unique per bot, and a Redis may outlive a token.
        bot: Bot | None = data.get("bot")
        bot_id = bot.id if bot is not None else 0
        done = done_key(bot_id, event.update_id)
        if await self.shared.get(done) is not None:
            log.info("update %s was already handled: skipped", event.update_id)
            return UNHANDLED
        chat: Chat | None = data.get("event_chat")
        if chat is None:
            result = await handler(event, data)
            await self.shared.put(done, b"1", DONE_TTL)
            return result
        async with self._turn(turns_key(bot_id, chat.id), event.update_id, done) as mine:
            if not mine or await self.shared.get(done) is not None:
                log.info("update %s was handled by another delivery: skipped", event.update_id)
                return UNHANDLED
            try:
                result = await handler(event, data)
            except Exception:  # handled all the same: the error handler told the user
                await self.shared.put(done, b"1", DONE_TTL)
                raise
            # Not on cancellation (shutdown mid-update): that update is sent again.
            await self.shared.put(done, b"1", DONE_TTL)
            return result

    @contextlib.asynccontextmanager
    async def _turn(self, key: str, update_id: int, done: str) -> AsyncIterator[bool]:
        """Enter the chat's queue and wait for this update's turn (False: another delivery of
        the same update finished meanwhile), renewing the lease until it leaves."""
        queue = Queue(self.shared, key, secrets.token_hex(8), self.lease)
        entered = await queue.enter(update_id)
        renew = asyncio.create_task(queue.renew_every(update_id, self.lease / 3))
        try:
            while not entered or not await queue.first(update_id):
                if await self.shared.get(done) is not None:
                    yield False
                    return
                await asyncio.sleep(self.poll)
                if not entered:
                    entered = await queue.enter(update_id)
            yield True
        finally:
            renew.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renew
            await queue.leave(update_id)


def done_key(bot_id: int, update_id: int) -> str:
    return f"tg-done:{bot_id}:{update_id}"


def turns_key(bot_id: int, chat_id: int) -> str:
    return f"tg-turns:{bot_id}:{chat_id}"


class Queue:
    """One chat's entries {update id: [lease expiry (epoch s), owner]} in the shared state."""

    def __init__(self, shared: SharedState, key: str, owner: str, lease: float) -> None:
        self.shared = shared
        self.key = key
        self.owner = owner
        self.lease = lease

    async def _load(self) -> dict[str, list[Any]]:
        raw = await self.shared.get(self.key)
        entries: dict[str, list[Any]] = json.loads(raw) if raw else {}
        now = time.time()  # replicas' clocks agree within NTP skew, far below LEASE
        return {k: v for k, v in entries.items() if v[0] > now}  # lapsed: owner died

    async def _save(self, entries: dict[str, list[Any]]) -> None:
        await self.shared.put(self.key, json.dumps(entries).encode(), _QUEUE_TTL)

    def _locked(self) -> contextlib.AbstractAsyncContextManager[None]:
        return self.shared.lock(self.key, timeout=5)

    async def enter(self, update_id: int) -> bool:
        """Add this delivery; False while another live delivery of the same update holds it."""
        async with self._locked():
            entries = await self._load()
            held = entries.get(str(update_id))
            if held is not None and held[1] != self.owner:
                return False
            entries[str(update_id)] = [time.time() + self.lease, self.owner]
            await self._save(entries)
            return True

    async def first(self, update_id: int) -> bool:
        """Whether this update is the chat's oldest live entry (lapsed ones are dropped; this
        one, lapsed after missed renewals, is put back: its owner is alive)."""
        async with self._locked():
            entries = await self._load()
            entries.setdefault(str(update_id), [time.time() + self.lease, self.owner])
            await self._save(entries)
            return min(int(k) for k in entries) == update_id

    async def renew_every(self, update_id: int, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                async with self._locked():
                    entries = await self._load()
                    held = entries.get(str(update_id))
                    if held is not None and held[1] == self.owner:
                        held[0] = time.time() + self.lease
                        await self._save(entries)
            except Exception:  # a missed renewal only shortens the lease
                log.warning("could not renew the turn of update %s", update_id, exc_info=True)

    async def leave(self, update_id: int) -> None:
        async with self._locked():
            entries = await self._load()
            held = entries.get(str(update_id))
            if held is not None and held[1] == self.owner:
                del entries[str(update_id)]
            await self._save(entries)
