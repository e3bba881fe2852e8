"""State every replica must share: rate-limit windows, idempotency records, short-lived flags
and locks. One small interface, two implementations: process memory (the default, nothing to
run) and Redis (when TROLY_REDIS_URL is set, so N processes enforce one limit and replay one
answer). `create_shared_state` is the one place that chooses.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass

from core.config import Settings


@dataclass(frozen=True)
class Slot:
    """The answer of a rate-limit window: go after `wait` seconds (0 = at once), or refused
    (nothing recorded) with `wait` seconds until a slot frees up."""

    granted: bool
    wait: float


class SharedState(ABC):
    """Keys are plain strings; each implementation adds its own namespace."""

    @abstractmethod
    async def reserve(self, key: str, *, limit: int, window: float, max_delay: float = 0.0) -> Slot:
        """Take a slot in a sliding window of `limit` starts per `window` seconds.

        When the window is full the next start is the one `limit` places back plus `window`;
        it is granted (and recorded) if that is at most `max_delay` seconds away.
        """

    @abstractmethod
    async def mark(self, key: str, ttl: float) -> bool:
        """Set a flag for `ttl` seconds; True when it was already set."""

    @abstractmethod
    async def get(self, key: str) -> bytes | None:
        """A stored value, or None (missing or expired)."""

    @abstractmethod
    async def put(self, key: str, value: bytes, ttl: float) -> None:
        """Store a value for `ttl` seconds."""

    @abstractmethod
    async def delete(self, key: str) -> None:
        """Forget a stored value (no error when it is missing)."""

    @abstractmethod
    def lock(self, key: str, timeout: float) -> AbstractAsyncContextManager[None]:
        """Mutual exclusion on `key` across every process sharing this state. A live holder
        keeps it as long as it needs (the lease is renewed); one that dies loses it within
        `timeout` seconds."""

    @abstractmethod
    async def ping(self) -> None:
        """Raise when the shared state cannot be reached."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections."""

    @property
    @abstractmethod
    def kind(self) -> str:
        """Which implementation: "memory" or "redis" (for /readyz and the logs)."""


def create_shared_state(settings: Settings) -> SharedState:
    """Redis when TROLY_REDIS_URL is set, else this process's memory."""
    if settings.redis_url:
        from core.shared.redis_state import RedisState

        return RedisState.from_url(settings.redis_url, settings.redis_prefix)
    from core.shared.memory import MemoryState

    return MemoryState()
