"""Index catch-up off the request path: one background sync at a time, a bounded wait.

The knowledge base revision (KnowledgeState) is the truth; the in-memory index says which
revision it reflects. When they differ a sync starts in the background. A search waits for it
at most `wait_seconds` (a small import is seen at once) and is otherwise answered from the
last consistent index, while /readyz and /metrics report the lag: never stale silently.
A process with no index yet serves the persisted one as soon as it is loaded (seconds),
or waits for the first build when nothing is on disk (retrieval/service.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.periodic import every
from knowledge.models import KnowledgeState

log = logging.getLogger(__name__)


async def kb_revision(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """The knowledge base's current revision (one tiny query)."""
    async with sessionmaker() as session:
        revision = await session.scalar(
            select(KnowledgeState.revision).where(KnowledgeState.id == 1)
        )
    return revision or 0


@dataclass(frozen=True)
class IndexLag:
    """The knowledge base revision against the one the served index reflects."""

    kb_revision: int
    index_revision: int | None  # None: no index loaded yet
    catching_up: bool

    @property
    def current(self) -> bool:
        return self.index_revision == self.kb_revision

    @property
    def revisions_behind(self) -> int:
        """How many knowledge-base changes the served index is missing."""
        return self.kb_revision - (self.index_revision if self.index_revision is not None else -1)


class CatchUp:
    """Runs `sync` as one background task at a time and lets a caller wait for it a little."""

    def __init__(self, sync: Callable[[], Awaitable[None]], wait_seconds: float) -> None:
        self.sync = sync
        self.wait_seconds = wait_seconds
        self._task: asyncio.Task[None] | None = None
        self.failures = 0

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> asyncio.Task[None]:
        """The running catch-up, or a new one."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="index-catch-up")
        return self._task

    async def _run(self) -> None:
        try:
            await self.sync()
        except Exception:
            self.failures += 1
            log.exception("index catch-up failed; the next search or check retries it")

    async def ensure(self, kb_revision: int, indexed: int) -> None:
        """Start a catch-up when the index is behind; wait for it only a little."""
        if indexed != kb_revision:
            await asyncio.wait({self.start()}, timeout=self.wait_seconds)

    async def stop(self) -> None:
        """Cancel a running catch-up (process shutdown)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def watch(
    check: Callable[[], Awaitable[IndexLag]], stop: asyncio.Event, interval: float
) -> None:
    """Check freshness every `interval` seconds until `stop`, so an idle replica follows
    imports made through another one (each check starts a catch-up when behind)."""
    await every(interval, check, stop, "index freshness check")
