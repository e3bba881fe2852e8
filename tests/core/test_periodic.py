"""A sweep's pass (core.periodic.each_row) and the row lock it takes (core.db.try_lock_row)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import load_row, try_lock_row, unit_of_work
from core.errors import DomainError
from core.periodic import each_row
from core.users.models import Unit


async def _units(sm: async_sessionmaker[AsyncSession], count: int) -> list[int]:
    async with unit_of_work(sm) as s:
        units = [Unit(name=f"Xã {i}", kind="commune") for i in range(count)]
        s.add_all(units)
        await s.flush()
        return [u.id for u in units]


async def test_each_row_acts_on_every_due_row_in_its_own_transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    ids = await _units(sessionmaker, 4)
    bad, taken = ids[1], ids[2]

    async def act(session: AsyncSession, unit_id: int) -> str:
        unit = await try_lock_row(session, Unit, unit_id)
        assert unit is not None
        unit.name = f"Đã quét {unit_id}"
        await session.flush()
        if unit_id == bad:
            raise RuntimeError("one bad row")
        if unit_id == taken:
            raise IntegrityError("insert", {}, Exception("another sweeper won"))
        return "done"

    due = select(Unit.id).where(Unit.id.in_(ids)).order_by(Unit.id.desc())
    outcomes = await each_row(sessionmaker, due, act, "test sweep", taken=(IntegrityError,))

    assert outcomes == [(ids[3], "done"), (taken, "skipped"), (bad, "error"), (ids[0], "done")]
    async with sessionmaker() as s:
        names = dict((await s.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids)))).all())
    # The failed rows were rolled back alone; the others are committed.
    assert names == {
        ids[0]: f"Đã quét {ids[0]}",
        bad: "Xã 1",
        taken: "Xã 2",
        ids[3]: f"Đã quét {ids[3]}",
    }


async def test_try_lock_row_rereads_and_skips_a_row_locked_elsewhere(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    (unit_id,) = await _units(sessionmaker, 1)
    async with unit_of_work(sessionmaker) as s:
        postgres = s.get_bind().dialect.name == "postgresql"
        stale = await s.get(Unit, unit_id)
        await s.execute(update(Unit).where(Unit.id == unit_id).values(name="Đổi tên"))
        fresh = await try_lock_row(s, Unit, unit_id)
        assert fresh is stale and fresh is not None and fresh.name == "Đổi tên"
        assert await try_lock_row(s, Unit, unit_id + 1000) is None
        with pytest.raises(DomainError):
            await load_row(s, Unit, unit_id + 1000, "đơn vị")
    if not postgres:
        return  # SQLite: a write transaction holds the database (BEGIN IMMEDIATE) instead
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with unit_of_work(sessionmaker) as other:
            assert await load_row(other, Unit, unit_id, "đơn vị", lock=True)
            holding.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await holding.wait()
    async with unit_of_work(sessionmaker) as s:
        assert await try_lock_row(s, Unit, unit_id) is None  # skipped, not waited for
    release.set()
    await holder
    async with unit_of_work(sessionmaker) as s:
        assert await try_lock_row(s, Unit, unit_id) is not None
