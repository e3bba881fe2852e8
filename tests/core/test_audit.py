"""The audit chain: intact after real transitions; tampering is caught and located."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from core.audit.models import AuditEntry
from core.audit.service import entries, record, verify
from core.config import get_settings
from core.db import unit_of_work
from tests.hostile import bypass_audit_guard


async def _fill(sm: async_sessionmaker[AsyncSession], n: int = 6) -> list[int]:
    ids = []
    for i in range(n):
        async with unit_of_work(sm) as s:
            entry = await record(
                s,
                actor_id=None,
                action="case.create",
                entity="case",
                entity_id=i,
                data={"number": f"XYK-2026-{i:06d}", "ghi chú": "tiếng Việt có dấu"},
            )
            ids.append(entry.id)
    return ids


async def test_intact_chain_verifies(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    ids = await _fill(sessionmaker)
    async with sessionmaker() as s:
        report = await verify(s)
        newest = await entries(s, entity="case", entity_id=2)
    assert report.ok and report.checked == len(ids)
    assert [e.id for e in newest] == [ids[2]]


@pytest.mark.parametrize("how", ["data", "prev", "delete"])
async def test_tampering_names_first_broken_entry(
    sessionmaker: async_sessionmaker[AsyncSession], how: str
) -> None:
    ids = await _fill(sessionmaker)
    target = ids[2]
    async with unit_of_work(sessionmaker) as s:
        await bypass_audit_guard(s)
        if how == "data":  # someone edits what happened
            await s.execute(
                update(AuditEntry).where(AuditEntry.id == target).values(data={"number": "khác"})
            )
        elif how == "prev":  # someone re-links the chain
            await s.execute(
                update(AuditEntry).where(AuditEntry.id == target).values(prev_hash="f" * 64)
            )
        else:  # someone removes an entry: its successor no longer links
            await s.execute(delete(AuditEntry).where(AuditEntry.id == target))
    async with sessionmaker() as s:
        report = await verify(s)
    assert not report.ok
    assert report.first_broken_id == (ids[3] if how == "delete" else target)


async def test_cli_verify_reports_broken_entry(
    sessionmaker: async_sessionmaker[AsyncSession],
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from cli.audit import app

    ids = await _fill(sessionmaker, 3)
    monkeypatch.setenv("TROLY_DATABASE_URL", db_url)
    monkeypatch.setenv("TROLY_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        ok = await asyncio.to_thread(runner.invoke, app, ["verify"])
        assert ok.exit_code == 0, ok.output
        assert "3 mục" in ok.output
        async with unit_of_work(sessionmaker) as s:
            await bypass_audit_guard(s)
            await s.execute(
                update(AuditEntry).where(AuditEntry.id == ids[1]).values(action="case.close")
            )
        broken = await asyncio.to_thread(runner.invoke, app, ["verify"])
        assert broken.exit_code == 1
        assert f"#{ids[1]}" in broken.output
        shown = await asyncio.to_thread(runner.invoke, app, ["show", "--entity", "case"])
        # Vietnamese action names, in a narrow table that may wrap them.
        assert shown.exit_code == 0 and "Gửi" in shown.output, shown.output
        assert "case.create" not in shown.output
    finally:
        get_settings.cache_clear()
