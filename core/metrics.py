"""Prometheus metrics (prometheus-client).

Request latency and search stage timings are observed as they happen; queue, outbox and
index figures are read when /metrics is scraped (and index figures also as the index is
followed). Separate processes (replicas, roles) are separate scrape targets. The N processes
of `troly run --workers N` share one port, so they use prometheus-client's multiprocess mode
(PROMETHEUS_MULTIPROC_DIR, set by `troly run`): whichever of them answers a scrape reports
all of them, counters and histograms summed, the database figures once, and each process's
own index and memory figures with its pid.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
    multiprocess,
)
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.cases.enums import OPEN_STATUSES, CaseStatus
from core.cases.models import Case
from core.db import utcnow
from core.outbox.models import OutboxMessage

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)  # process_resident_memory_bytes, CPU seconds, open fds
PlatformCollector(registry=REGISTRY)

_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
REQUEST_SECONDS = Histogram(
    "troly_http_request_duration_seconds",
    "HTTP request latency by method, route template and status class",
    ["method", "route", "status"],
    buckets=_SECONDS,
    registry=REGISTRY,
)
SEARCH_STAGE_SECONDS = Histogram(
    "troly_search_stage_seconds",
    "Time per search pipeline stage (retrieval Timer laps)",
    ["stage"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=REGISTRY,
)


def _db_gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
    """A figure read from the database: every process reports the same, the latest wins."""
    return Gauge(name, doc, labels, registry=REGISTRY, multiprocess_mode="mostrecent")


def _own_gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
    """This process's own state: with several processes, one series per live process (pid)."""
    return Gauge(name, doc, labels, registry=REGISTRY, multiprocess_mode="liveall")


CASES = _db_gauge("troly_cases", "Cases by state", ("state",))
CASES_OVERDUE = _db_gauge("troly_cases_overdue", "Open cases past their working-time deadline")
OUTBOX_PENDING = _db_gauge(
    "troly_outbox_pending", "Outbox messages not yet delivered (not given up)"
)
OUTBOX_RETRYING = _db_gauge(
    "troly_outbox_retrying", "Pending outbox messages that failed at least once"
)
OUTBOX_FAILED_ATTEMPTS = _db_gauge(
    "troly_outbox_failed_attempts", "Failed delivery attempts summed over pending messages"
)
OUTBOX_GIVEN_UP = _db_gauge("troly_outbox_given_up", "Outbox messages delivery gave up on")
OUTBOX_OLDEST_SECONDS = _db_gauge(
    "troly_outbox_oldest_pending_seconds", "Age of the oldest pending message"
)
KB_REVISION = _db_gauge("troly_kb_revision", "Knowledge base revision")
INDEX_REVISION = _own_gauge(
    "troly_index_revision", "Revision the served search index reflects (-1: none)"
)
INDEX_LAG = _own_gauge(
    "troly_index_revisions_behind",
    "Knowledge base changes the served search index is missing (0 = current)",
)
INDEX_CATCHING_UP = _own_gauge(
    "troly_index_catching_up", "1 while a background index catch-up runs"
)
INDEX_CHUNKS = _own_gauge("troly_index_chunks", "Passages in the served index")
SEARCH_MODE = _own_gauge(
    "troly_search_mode", "1 for the search mode in use (hybrid or lexical)", ("mode",)
)
MODEL_LOADING = _own_gauge(
    "troly_model_loading",
    "1 while the embedding model loads in the background (search is lexical-only meanwhile)",
)
RESIDENT_BYTES = _own_gauge("troly_resident_memory_bytes", "Resident memory of the process")
SEARCHES = Counter(
    "troly_searches", "Searches answered, by the mode they ran in", ["mode"], registry=REGISTRY
)


def observe_search(timings: dict[str, float], mode: str) -> None:
    """Record one search's mode and stage timings (milliseconds, as SearchResponse.timings
    has them)."""
    SEARCHES.labels(mode=mode).inc()
    for stage, ms in timings.items():
        SEARCH_STAGE_SECONDS.labels(stage=stage).observe(ms / 1000)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(method=method, route=route, status=f"{status // 100}xx").observe(seconds)


async def refresh_queue_and_outbox(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Read case and outbox figures from the database into the gauges."""
    now = utcnow()
    async with sessionmaker() as session:
        by_state = dict(
            (await session.execute(select(Case.status, func.count()).group_by(Case.status))).all()
        )
        overdue = await session.scalar(
            select(func.count()).where(Case.status.in_(OPEN_STATUSES), Case.due_at < now)
        )
        pending = OutboxMessage.sent_at.is_(None) & OutboxMessage.failed_at.is_(None)
        count, retrying, attempts, oldest = (
            await session.execute(
                select(
                    func.count(),
                    func.count().filter(OutboxMessage.attempts > 0),
                    func.coalesce(func.sum(OutboxMessage.attempts), 0),
                    func.min(OutboxMessage.created_at),
                ).where(pending)
            )
        ).one()
        given_up = await session.scalar(
            select(func.count()).where(OutboxMessage.failed_at.is_not(None))
        )
    for state in CaseStatus:
        CASES.labels(state=state.value).set(by_state.get(state.value, 0))
    CASES_OVERDUE.set(overdue or 0)
    OUTBOX_PENDING.set(count)
    OUTBOX_RETRYING.set(retrying)
    OUTBOX_FAILED_ATTEMPTS.set(attempts)
    OUTBOX_GIVEN_UP.set(given_up or 0)
    OUTBOX_OLDEST_SECONDS.set(_age(oldest, now))


def _age(then: datetime | None, now: datetime) -> float:
    if then is None:
        return 0.0
    if then.tzinfo is None and now.tzinfo is not None:
        then = then.replace(tzinfo=now.tzinfo)
    return max(0.0, (now - then).total_seconds())


def set_index(
    *,
    kb_revision: int,
    index_revision: int | None,
    catching_up: bool,
    chunks: int,
    mode: str,
    model_loading: bool = False,
) -> None:
    """The search index figures (from Retriever.lag and status)."""
    KB_REVISION.set(kb_revision)
    INDEX_REVISION.set(-1 if index_revision is None else index_revision)
    INDEX_LAG.set(kb_revision - (-1 if index_revision is None else index_revision))
    INDEX_CATCHING_UP.set(1 if catching_up else 0)
    INDEX_CHUNKS.set(chunks)
    MODEL_LOADING.set(1 if model_loading else 0)
    RESIDENT_BYTES.set(resident_bytes())
    for name in ("hybrid", "lexical"):
        SEARCH_MODE.labels(mode=name).set(1 if name == mode else 0)


def resident_bytes() -> int:
    """This process's resident memory (Linux; 0 elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def exposition() -> bytes:
    """The text format Prometheus scrapes: this process's registry, or with
    PROMETHEUS_MULTIPROC_DIR set, every process writing there."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def process_exit() -> None:
    """Drop this process's live series from the multiprocess directory (at shutdown)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
