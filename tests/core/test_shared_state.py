"""The shared state (core.shared) in memory and in the real Redis: sliding windows with
delays, flags, values with expiry, and locks, with the same behaviour from both."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from core.config import Settings
from core.shared import SharedState, create_shared_state
from core.shared.memory import MemoryState
from core.shared.redis_state import RedisState

Factory = Callable[[], SharedState]


@pytest.fixture(params=["memory", "redis"])
async def make(request: pytest.FixtureRequest) -> AsyncIterator[Factory]:
    """Makes handles on one shared state: for Redis each is its own client (a replica)."""
    made: list[SharedState] = []
    if request.param == "memory":
        one = MemoryState()

        def factory() -> SharedState:
            return one
    else:
        url = request.getfixturevalue("redis_server")
        prefix = request.getfixturevalue("redis_prefix")

        def factory() -> SharedState:
            made.append(RedisState.from_url(url, prefix))
            return made[-1]

    yield factory
    for state in made:
        await state.close()


async def test_window_grants_delays_and_refuses(make: Factory) -> None:
    state = make()
    first = [await state.reserve("u1", limit=2, window=1.0) for _ in range(2)]
    assert all(s.granted and s.wait == 0 for s in first)
    refused = await state.reserve("u1", limit=2, window=1.0)
    assert not refused.granted and 0.9 <= refused.wait <= 1.0
    # With room to wait, the next two start one window after the first two.
    delayed = [await state.reserve("u1", limit=2, window=1.0, max_delay=1.5) for _ in range(2)]
    assert all(s.granted and 0.9 <= s.wait <= 1.0 for s in delayed)
    past = await state.reserve("u1", limit=2, window=1.0, max_delay=1.5)
    assert not past.granted and 1.9 <= past.wait <= 2.0
    # Keys are independent.
    assert (await state.reserve("u2", limit=2, window=1.0)).granted
    await asyncio.sleep(2.1)
    assert (await state.reserve("u1", limit=2, window=1.0)).wait == 0


async def test_two_handles_share_one_limit(make: Factory) -> None:
    one, two = make(), make()
    assert (await one.reserve("api:7", limit=3, window=60)).granted
    assert (await two.reserve("api:7", limit=3, window=60)).granted
    assert (await one.reserve("api:7", limit=3, window=60)).granted
    assert not (await two.reserve("api:7", limit=3, window=60)).granted


async def test_concurrent_reservations_never_overshoot(make: Factory) -> None:
    handles = [make() for _ in range(4)]
    slots = await asyncio.gather(
        *(handles[i % 4].reserve("burst", limit=10, window=60) for i in range(40))
    )
    assert sum(s.granted for s in slots) == 10


async def test_flags_and_values_expire(make: Factory) -> None:
    state, other = make(), make()
    assert await state.mark("told:1", 0.3) is False
    assert await other.mark("told:1", 0.3) is True
    await state.put("k", b"\x00\xffvalue", 0.3)
    assert await other.get("k") == b"\x00\xffvalue"
    assert await state.get("missing") is None
    await asyncio.sleep(0.45)
    assert await state.get("k") is None
    assert await state.mark("told:1", 0.3) is False


async def test_a_deleted_value_is_gone_for_every_handle(make: Factory) -> None:
    state, other = make(), make()
    await state.put("paste", b"parts", 30)
    await other.delete("paste")
    assert await state.get("paste") is None
    await state.delete("never-stored")  # no error


async def test_lock_is_exclusive_across_handles(make: Factory) -> None:
    handles = [make() for _ in range(3)]
    inside = 0
    most = 0

    async def work(state: SharedState) -> None:
        nonlocal inside, most
        async with state.lock("case-create", timeout=10):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.05)
            inside -= 1

    await asyncio.gather(*(work(handles[i % 3]) for i in range(6)))
    assert most == 1


async def test_redis_lock_of_a_dead_holder_expires(redis_server: str, redis_prefix: str) -> None:
    dead, alive = RedisState.from_url(redis_server, redis_prefix), None
    try:
        # Taken and never renewed nor released: the holder "died" (a live holder renews).
        await dead.client.lock(f"{redis_prefix}:lock:slot", timeout=0.3).acquire()
        alive = RedisState.from_url(redis_server, redis_prefix)
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with alive.lock("slot", timeout=5):
            waited = loop.time() - started
        assert 0.1 <= waited <= 2.0
    finally:
        await dead.close()
        if alive is not None:
            await alive.close()


async def test_redis_lock_of_a_live_holder_outlasts_its_lease(
    redis_server: str, redis_prefix: str
) -> None:
    """The lease bounds how long a dead holder blocks others, not how long a live one works."""
    one = RedisState.from_url(redis_server, redis_prefix)
    two = RedisState.from_url(redis_server, redis_prefix)
    order: list[str] = []

    async def slow() -> None:
        async with one.lock("slow", timeout=0.3):
            order.append("slow in")
            await asyncio.sleep(1.0)  # more than three leases
            order.append("slow out")

    async def next_one() -> None:
        await asyncio.sleep(0.1)
        async with two.lock("slow", timeout=0.3):
            order.append("next")

    try:
        await asyncio.gather(slow(), next_one())
        assert order == ["slow in", "slow out", "next"]
    finally:
        await one.close()
        await two.close()


def test_memory_is_the_default(tmp_path) -> None:
    assert create_shared_state(Settings(data_dir=tmp_path, redis_url="")).kind == "memory"


async def test_redis_when_configured(tmp_path, redis_server: str) -> None:
    shared = create_shared_state(Settings(data_dir=tmp_path, redis_url=redis_server))
    try:
        assert shared.kind == "redis"
        await shared.ping()
    finally:
        await shared.close()
