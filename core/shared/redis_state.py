"""SharedState in Redis (redis-py's asyncio client): one limit and one replay for N replicas.

Windows are computed by a Lua script on the server, with the server's clock, so replicas
whose clocks differ still agree and two of them can never take the same slot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError

from core.shared import SharedState, Slot

log = logging.getLogger(__name__)

# KEYS[1] sorted set of start times (ms); ARGV limit, window ms, max delay ms, unique member.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local max_delay = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - window))
local n = redis.call('ZCARD', KEYS[1])
local start = now
if n >= limit then
  local kth = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
  start = tonumber(kth[2]) + window
end
local wait = start - now
if wait > max_delay then
  return {0, wait}
end
redis.call('ZADD', KEYS[1], start, start .. ':' .. ARGV[4])
redis.call('PEXPIRE', KEYS[1], window + max_delay + 1000)
return {1, wait}
"""

# KEYS[1] flag; ARGV ttl ms. Returns 1 when the flag was already set.
_MARK = """
local was = redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
return was
"""


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


class RedisState(SharedState):
    """Every key lives under `prefix:` so one Redis can serve several installations."""

    def __init__(self, client: Redis, prefix: str = "troly") -> None:
        self.client = client
        self.prefix = prefix
        self._reserve = client.register_script(_RESERVE)
        self._mark = client.register_script(_MARK)

    @classmethod
    def from_url(cls, url: str, prefix: str = "troly") -> RedisState:
        return cls(Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5), prefix)

    @property
    def kind(self) -> str:
        return "redis"

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    async def reserve(self, key: str, *, limit: int, window: float, max_delay: float = 0.0) -> Slot:
        granted, wait = await self._reserve(
            keys=[self._key(f"window:{key}")],
            args=[max(1, limit), _ms(window), round(max_delay * 1000), secrets.token_hex(6)],
        )
        return Slot(bool(granted), int(wait) / 1000)

    async def mark(self, key: str, ttl: float) -> bool:
        return bool(await self._mark(keys=[self._key(f"flag:{key}")], args=[_ms(ttl)]))

    async def get(self, key: str) -> bytes | None:
        value = await self.client.get(self._key(f"value:{key}"))
        if value is None:
            return None
        return value if isinstance(value, bytes) else str(value).encode()

    async def put(self, key: str, value: bytes, ttl: float) -> None:
        await self.client.set(self._key(f"value:{key}"), value, px=_ms(ttl))

    async def delete(self, key: str) -> None:
        await self.client.delete(self._key(f"value:{key}"))

    def lock(self, key: str, timeout: float) -> AbstractAsyncContextManager[None]:
        return self._locked(key, lease=timeout)

    @asynccontextmanager
    async def _locked(self, key: str, *, lease: float) -> AsyncIterator[None]:
        lock = self.client.lock(self._key(f"lock:{key}"), timeout=lease, sleep=0.02)
        await lock.acquire()
        renewing = asyncio.create_task(_renew(lock, lease))
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            # Lost (renewals failed past its timeout): another process may have it now, which
            # is what expiry is for; there is nothing left to release.
            with contextlib.suppress(LockError):
                await lock.release()

    async def ping(self) -> None:
        await self.client.ping()

    async def close(self) -> None:
        await self.client.aclose()


async def _renew(lock: Lock, lease: float) -> None:
    """Keep a held lock's lease `lease` seconds ahead while its holder lives: the lease only
    bounds how long a process that died holding it blocks the others."""
    while True:
        await asyncio.sleep(lease / 3)
        try:
            await lock.reacquire()
        except LockError:
            log.warning("lost the shared lock %s", lock.name)
            return
        except Exception:  # Redis briefly unreachable: try again before the lease runs out
            log.warning("could not renew the shared lock %s", lock.name, exc_info=True)
