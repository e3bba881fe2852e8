"""One loop for every periodic job of `troly run` (sweeps, reminders, anchors, imports, index
freshness): run now, then every `seconds`, until `stop` is set. A failing pass is logged and
the next one still runs on time, so one bad row or a database blip never stops a worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def every(
    seconds: float, job: Callable[[], Awaitable[object]], stop: asyncio.Event, name: str
) -> None:
    """Run `job` until `stop` is set, waiting `seconds` (or until `stop`) between passes."""
    while not stop.is_set():
        try:
            await job()
        except Exception:
            log.exception("%s pass failed", name)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)
