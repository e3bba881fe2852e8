"""Signed anchors outside the database catch what the hash chain alone cannot: a deleted tail
and a row rewritten with every later hash recomputed; PostgreSQL refuses UPDATE and DELETE on
the log (issue 10, defect 7)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from core.anchoring import anchor_now, run_anchor_loop
from core.audit.anchors import anchors_file, read_anchors, write_anchor
from core.audit.models import AuditEntry
from core.audit.service import _digest, record, verify, verify_anchored
from core.config import Settings, get_settings
from core.db import unit_of_work
from core.outbox.models import OutboxMessage
from core.users.enums import Role
from tests.factories import make_ladder, make_person
from tests.hostile import bypass_audit_guard


async def _fill(sm: async_sessionmaker[AsyncSession], n: int) -> list[int]:
    ids = []
    for i in range(n):
        async with unit_of_work(sm) as s:
            entry = await record(
                s, actor_id=None, action="case.create", entity="case", entity_id=i, data={"i": i}
            )
            ids.append(entry.id)
    return ids


async def _anchor(sm: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    async with unit_of_work(sm) as s:
        await write_anchor(s, settings)


@pytest.mark.parametrize("removed", [1, 3])
async def test_deleted_tail_is_caught_by_the_anchor(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, removed: int
) -> None:
    ids = await _fill(sessionmaker, 6)
    await _anchor(sessionmaker, settings)
    async with unit_of_work(sessionmaker) as s:
        await bypass_audit_guard(s)
        await s.execute(delete(AuditEntry).where(AuditEntry.id.in_(ids[-removed:])))
    async with sessionmaker() as s:
        assert (await verify(s)).ok  # the chain alone cannot see a shorter log
        report = await verify_anchored(s, settings)
    assert not report.ok and report.checked == 6 - removed
    assert "xóa bớt" in report.reason


async def test_rewritten_and_rehashed_row_is_caught(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    ids = await _fill(sessionmaker, 4)
    await _anchor(sessionmaker, settings)
    await _fill(sessionmaker, 2)
    await _anchor(sessionmaker, settings)
    async with unit_of_work(sessionmaker) as s:
        await bypass_audit_guard(s)
        rows = list(await s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        rows[1].data = {"i": "đã sửa"}
        prev = rows[0].hash
        for row in rows[1:]:  # recompute every later link, as a careful forger would
            row.prev_hash = prev
            row.hash = _digest(row)
            prev = row.hash
    async with sessionmaker() as s:
        assert (await verify(s)).ok  # a consistent chain again…
        report = await verify_anchored(s, settings)
    # …but not the one the first anchor signed: the entry at its position is named.
    assert not report.ok and report.first_broken_id == ids[3]
    assert "viết lại" in report.reason


async def test_an_edited_anchor_file_is_refused(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    await _fill(sessionmaker, 3)
    await _anchor(sessionmaker, settings)
    path = anchors_file(settings)
    row = json.loads(path.read_text(encoding="utf-8"))
    row["count"] = 1  # hide the tail by lowering the anchor, without the key
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    async with sessionmaker() as s:
        report = await verify_anchored(s, settings)
    assert not report.ok and "chữ ký không khớp" in report.reason


async def test_postgresql_refuses_update_and_delete(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    if sessionmaker.kw["bind"].dialect.name != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    ids = await _fill(sessionmaker, 2)
    for statement in (
        update(AuditEntry).where(AuditEntry.id == ids[0]).values(action="x"),
        delete(AuditEntry).where(AuditEntry.id == ids[1]),
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            async with unit_of_work(sessionmaker) as s:
                await s.execute(statement)
    async with sessionmaker() as s:
        assert await s.scalar(select(func.count()).select_from(AuditEntry)) == 2


async def test_anchor_is_sent_to_admins_once_per_new_head(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with unit_of_work(sessionmaker) as s:
        ladder = await make_ladder(s, province="Tỉnh Mẫu", communes=[("UBND xã An Bình", [])])
        admin = await make_person(
            s, role=Role.ADMIN, unit_id=ladder.province_id, name="Nguyễn Quản Trị"
        )
    async with unit_of_work(sessionmaker) as s:
        first = await anchor_now(s, settings)
    async with unit_of_work(sessionmaker) as s:
        assert await anchor_now(s, settings) is None  # nothing new was logged
    assert first is not None and len(read_anchors(settings)) == 1
    async with sessionmaker() as s:
        sent = list(await s.scalars(select(OutboxMessage)))
    assert [m.user_id for m in sent] == [admin.id]
    assert first.head in sent[0].text and "Mốc kiểm chứng" in sent[0].text
    # The worker loop anchors at start, then waits for its interval or `stop`.
    await _fill(sessionmaker, 1)
    stop = asyncio.Event()
    loop = asyncio.create_task(run_anchor_loop(sessionmaker, settings, stop))
    for _ in range(100):
        if len(read_anchors(settings)) == 2:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(loop, 5)
    assert len(read_anchors(settings)) == 2


async def test_cli_anchor_then_verify_catches_a_deleted_tail(
    sessionmaker: async_sessionmaker[AsyncSession],
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from cli.audit import app

    ids = await _fill(sessionmaker, 4)
    monkeypatch.setenv("TROLY_DATABASE_URL", db_url)
    monkeypatch.setenv("TROLY_DATA_DIR", str(tmp_path / "cli-data"))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        made = await asyncio.to_thread(runner.invoke, app, ["anchor"])
        assert made.exit_code == 0, made.output
        assert (tmp_path / "cli-data" / "audit_anchors.jsonl").exists()
        ok = await asyncio.to_thread(runner.invoke, app, ["verify"])
        assert ok.exit_code == 0 and "1 mốc" in ok.output, ok.output
        async with unit_of_work(sessionmaker) as s:
            await bypass_audit_guard(s)
            await s.execute(delete(AuditEntry).where(AuditEntry.id == ids[-1]))
        broken = await asyncio.to_thread(runner.invoke, app, ["verify"])
        assert broken.exit_code == 1 and "xóa bớt" in broken.output, broken.output
    finally:
        get_settings.cache_clear()
