"""bot.ordering across two dispatchers ("replicas") sharing one state (memory, and a real
Redis): one chat's updates, arriving alternately at both while earlier ones are still being
handled, run one at a time in arrival order; a retried update runs once, whether the retry
comes after it was handled or while it still runs elsewhere; a delivery whose replica died
(lease lapsed) is taken over."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Message, Update

from bot.ordering import Queue, UpdateOrder, turns_key
from core.shared import SharedState
from core.shared.memory import MemoryState

CHAT = 4242


@pytest.fixture(params=["memory", "redis"])
async def shared(request: pytest.FixtureRequest) -> AsyncIterator[SharedState]:
    if request.param == "memory":
        yield MemoryState()
        return
    from core.shared.redis_state import RedisState

    url = request.getfixturevalue("redis_server")
    state = RedisState.from_url(url, request.getfixturevalue("redis_prefix"))
    yield state
    await state.close()


def _update(update_id: int, text: str, chat: int = CHAT) -> Update:
    return Update.model_validate({"update_id": update_id, "message": {
        "message_id": update_id, "date": 0, "chat": {"id": chat, "type": "private"},
        "from": {"id": chat, "is_bot": False, "first_name": "A"}, "text": text,
    }})  # fmt: skip


class Replica:
    """A dispatcher with the ordering middleware and a slow handler that logs what it did."""

    def __init__(self, shared: SharedState, log: list[tuple[str, str]], lease: float) -> None:
        self.dp = Dispatcher()
        self.dp.update.outer_middleware(UpdateOrder(shared, lease=lease, poll=0.01))
        self.running = 0
        self.overlaps = 0

        @self.dp.message()
        async def handle(message: Message) -> None:
            assert message.text is not None
            self.running += 1
            log.append(("start", message.text))
            await asyncio.sleep(0.15 if message.text != "chậm" else 0.6)
            log.append(("end", message.text))
            self.running -= 1

    async def feed(self, bot: Bot, update: Update) -> Any:
        return await self.dp.feed_update(bot, update)


async def test_one_chat_in_order_once_each_across_two_replicas(shared: SharedState) -> None:
    log: list[tuple[str, str]] = []
    one, two = Replica(shared, log, lease=5), Replica(shared, log, lease=5)
    bot = Bot("123456:TEST-token")
    texts = [f"tin {n}" for n in range(1, 7)]
    base = int(time.time() * 1000) % 1_000_000_000  # fresh update ids for a shared Redis
    tasks = []
    for n, text in enumerate(texts):
        replica = (one, two)[n % 2]
        tasks.append(asyncio.create_task(replica.feed(bot, _update(base + n, text))))
        if n == 2:  # Telegram retries update 3 on the other replica while it still runs
            tasks.append(asyncio.create_task(two.feed(bot, _update(base + n, text))))
        await asyncio.sleep(0.03)  # arrival order; each handler takes 0.15 s
    await asyncio.gather(*tasks)
    # A late retry of an update already handled is skipped too.
    await two.feed(bot, _update(base, texts[0]))

    started = [text for kind, text in log if kind == "start"]
    assert started == texts  # in arrival order, once each
    assert all(log[i][0] == "start" and log[i + 1] == ("end", log[i][1]) for i in range(0, 12, 2))
    await bot.session.close()


async def test_a_dead_replicas_turn_lapses_and_its_retry_runs(shared: SharedState) -> None:
    """A replica that entered the queue and died never leaves it: the next update waits for
    the lease to lapse, not forever, and Telegram's retry of the dead one's update runs."""
    log: list[tuple[str, str]] = []
    survivor = Replica(shared, log, lease=0.5)
    bot = Bot("123456:TEST-token")
    base = int(time.time() * 1000) % 1_000_000_000 + 500
    dead = asyncio.create_task(Replica(shared, [], lease=0.5).feed(bot, _update(base, "chậm")))
    await asyncio.sleep(0.1)
    dead.cancel()  # like kill -9, except that cancelling also runs its cleanup: undo that
    with contextlib.suppress(asyncio.CancelledError):
        await dead
    assert await Queue(shared, turns_key(bot.id, CHAT), "dead-replica", 0.5).enter(base)
    started = time.monotonic()
    await survivor.feed(bot, _update(base + 1, "sau"))
    assert 0.3 < time.monotonic() - started < 5  # waited for the lapse, then ran
    await survivor.feed(bot, _update(base, "chậm"))  # the retry of the dead one's update
    assert [text for kind, text in log if kind == "start"] == ["sau", "chậm"]
    await bot.session.close()
