"""One loop for every periodic job of `troly run` (sweeps, reminders, anchors, imports, index
freshness): run now, then every `seconds`, until `stop` is set. A failing pass is logged and
the next one still runs on time, so one bad row or a database blip never stops a worker.
`each_row` is the pass of a sweep: every due row in a transaction of its own."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.config import Settings
from core.db import unit_of_work

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


Sweep = Callable[[async_sessionmaker[AsyncSession], Settings], Awaitable[object]]
SweepLoop = Callable[[async_sessionmaker[AsyncSession], Settings, asyncio.Event], Awaitable[None]]


def sweep_loop(sweep: Sweep, name: str) -> SweepLoop:
    """The worker `troly run` starts for `sweep`: a pass every worker_interval_seconds until
    `stop` is set."""

    async def run(
        sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, stop: asyncio.Event
    ) -> None:
        await every(
            settings.worker_interval_seconds, lambda: sweep(sessionmaker, settings), stop, name
        )

    return run


async def each_row(
    sessionmaker: async_sessionmaker[AsyncSession],
    due: Select[int],
    act: Callable[[AsyncSession, int], Awaitable[str]],
    name: str,
    *,
    taken: tuple[type[Exception], ...] = (),
) -> list[tuple[int, str]]:
    """Read the ids `due` selects, then `act` on each in its own unit of work (`act` re-reads
    the row under its lock, core.db.try_lock_row), in order; returns (id, what `act` did).

    One bad row must not stop the others: it is logged and reported "error", and the next pass
    retries it. A `taken` error (another sweeper won the row, e.g. a unique insert) is
    reported "skipped"."""
    async with sessionmaker() as session:
        ids = list(await session.scalars(due))
    done: list[tuple[int, str]] = []
    for row_id in ids:
        try:
            async with unit_of_work(sessionmaker) as session:
                outcome = await act(session, row_id)
        except taken:
            outcome = "skipped"
        except Exception:
            log.exception("%s %s failed", name, row_id)
            outcome = "error"
        done.append((row_id, outcome))
    return done
