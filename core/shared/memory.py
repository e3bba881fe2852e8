"""SharedState in process memory: right for one process, and for tests."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from core.shared import SharedState, Slot

# Bounded: forget the oldest keys rather than grow without limit.
MAX_KEYS = 100_000


class MemoryState(SharedState):
    """Dicts and asyncio locks; `clock` is injectable for tests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._windows: OrderedDict[str, deque[float]] = OrderedDict()
        self._values: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        # Lock and how many tasks hold or wait for it (dropped at zero).
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @property
    def kind(self) -> str:
        return "memory"

    async def reserve(self, key: str, *, limit: int, window: float, max_delay: float = 0.0) -> Slot:
        now = self.clock()
        starts = self._windows.get(key)
        if starts is None:
            starts = self._windows[key] = deque()
            if len(self._windows) > MAX_KEYS:
                self._windows.popitem(last=False)
        self._windows.move_to_end(key)
        while starts and now - starts[0] > window:
            starts.popleft()
        limit = max(1, limit)
        start = now if len(starts) < limit else starts[-limit] + window
        wait = start - now
        if wait > max_delay:
            return Slot(False, wait)
        starts.append(start)
        return Slot(True, wait)

    async def mark(self, key: str, ttl: float) -> bool:
        was = await self.get(key) is not None
        await self.put(key, b"1", ttl)
        return was

    async def get(self, key: str) -> bytes | None:
        item = self._values.get(key)
        if item is None:
            return None
        if item[1] <= self.clock():
            del self._values[key]
            return None
        return item[0]

    async def put(self, key: str, value: bytes, ttl: float) -> None:
        self._values[key] = (value, self.clock() + ttl)
        self._values.move_to_end(key)
        while len(self._values) > MAX_KEYS:
            self._values.popitem(last=False)

    async def delete(self, key: str) -> None:
        self._values.pop(key, None)

    def lock(self, key: str, timeout: float) -> AbstractAsyncContextManager[None]:
        # One process: a holder cannot die without the lock going with it, so no timeout.
        return self._locked(key)

    @asynccontextmanager
    async def _locked(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None
