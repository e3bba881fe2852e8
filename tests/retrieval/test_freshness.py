"""Index catch-up off the request path: a restarted process serves the index on disk at once
(never content that is gone), reports its lag, and catches up in the background; a search
never waits long for a rebuild."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.config import Settings
from core.db import unit_of_work
from core.errors import DomainError, ErrorCode
from knowledge import service as kb
from retrieval.freshness import CatchUp
from retrieval.models import SearchRequest
from retrieval.service import Retriever
from retrieval.store import IndexStore
from tests.gates import hold
from tests.retrieval.conftest import EXTRA, import_texts

SEAL_Q = "ai giữ con dấu của ủy ban nhân dân xã"
LEAVE_Q = "Cán bộ, công chức xã được nghỉ phép hằng năm bao nhiêu ngày?"


async def test_restart_serves_disk_index_at_once_then_catches_up(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    documents: list[int],
    tmp_path: Path,
) -> None:
    first = await Retriever.create(settings, sessionmaker)
    saved = first.status().revision
    # While the process is down, one document is added and one retired.
    (seal,) = await import_texts(sessionmaker, tmp_path, {"seal.md": EXTRA})
    async with unit_of_work(sessionmaker) as session:
        await kb.retire_document(session, document_id=documents[0])

    quick = settings.model_copy(update={"index_wait_seconds": 0.0})
    restarted = Retriever(quick, sessionmaker, first.embedder)
    assert await restarted.warm_start()  # the first step of a restart's background catch-up
    assert restarted.status().revision == saved  # the disk index, served as it is
    assert restarted.status().chunks < first.status().chunks  # the retired one's are masked
    lag = await restarted.lag(catch_up=False)
    assert not lag.current and lag.revisions_behind == 2 and not lag.catching_up

    # Searched before the catch-up ends: the retired document is already gone (the disk
    # index is cut to what is still active), the new one is not there yet.
    before = await restarted.search(SearchRequest(query=SEAL_Q, k=10))
    assert all(h.document_id not in (seal, documents[0]) for h in before.hits)
    assert (await restarted.lag(catch_up=False)).catching_up  # the search started it
    await restarted.catchup.start()
    lag = await restarted.lag()
    assert lag.current and lag.revisions_behind == 0
    after = await restarted.search(SearchRequest(query=SEAL_Q, k=5))
    assert after.hits[0].document_id == seal


async def test_nothing_on_disk_means_the_first_search_waits_for_the_build(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], documents: list[int]
) -> None:
    retriever = await Retriever.create(settings, sessionmaker, sync=False)
    assert retriever.status().revision == -1 and retriever.catchup.running
    resp = await retriever.search(SearchRequest(query=LEAVE_Q, k=3))
    assert resp.hits and resp.hits[0].document_id == documents[0]


async def test_a_restart_returns_at_once_and_searches_wait_for_the_index_load(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    documents: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await Retriever.create(settings, sessionmaker)  # an index on disk, as after a redeploy
    gate = hold(monkeypatch, IndexStore, "load")
    restarted = await Retriever.create(settings, sessionmaker, sync=False)
    search = asyncio.create_task(restarted.search(SearchRequest(query=LEAVE_Q, k=3)))
    await asyncio.sleep(0.3)
    lag = await restarted.lag(catch_up=False)
    assert lag.index_revision is None and lag.catching_up and not search.done()
    gate.set()
    resp = await asyncio.wait_for(search, timeout=120)
    assert resp.hits and resp.hits[0].document_id == documents[0]
    await restarted.catchup.start()
    assert (await restarted.lag()).current


async def test_a_failed_first_load_is_a_clear_unavailable_error(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], documents: list[int]
) -> None:
    retriever = await Retriever.create(settings, sessionmaker, sync=False)
    await retriever.catchup.stop()

    async def broken() -> None:
        raise RuntimeError("database unreachable")

    retriever.catchup.sync = broken
    with pytest.raises(DomainError) as raised:
        await retriever.search(SearchRequest(query=LEAVE_Q, k=3))
    assert raised.value.code is ErrorCode.UNAVAILABLE and retriever.catchup.failures == 1


async def test_a_search_waits_at_most_the_budget_for_a_slow_catch_up() -> None:
    started = asyncio.Event()

    async def slow_sync() -> None:
        started.set()
        await asyncio.sleep(3)

    catchup = CatchUp(slow_sync, wait_seconds=0.2)
    t0 = time.monotonic()
    await catchup.ensure(kb_revision=5, indexed=4)  # behind: a bounded wait
    assert 0.15 <= time.monotonic() - t0 < 1.0 and catchup.running and started.is_set()
    t0 = time.monotonic()
    await catchup.ensure(kb_revision=5, indexed=4)  # joins the same catch-up, no second one
    assert time.monotonic() - t0 < 1.0
    await catchup.ensure(kb_revision=5, indexed=5)  # current: no wait at all
    await catchup.stop()
    assert not catchup.running


async def test_a_failed_catch_up_is_logged_and_retried(caplog: pytest.LogCaptureFixture) -> None:
    calls = 0

    async def flaky() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database went away")

    catchup = CatchUp(flaky, wait_seconds=1.0)
    await catchup.ensure(kb_revision=2, indexed=1)
    assert catchup.failures == 1 and "index catch-up failed" in caplog.text
    await catchup.ensure(kb_revision=2, indexed=1)
    assert calls == 2 and catchup.failures == 1
