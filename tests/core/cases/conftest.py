"""Builders for queue tests: a three-rung ladder with people on each rung."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.cases import service
from core.cases.enums import Urgency
from core.cases.models import Case
from core.cases.schemas import CaseCreate
from core.config import Settings
from core.db import unit_of_work
from core.users.enums import Role, UnitKind
from core.users.models import Unit, User, supervisor_units

# Monday 10:00 in Hà Nội: well inside office hours, no holiday that week (24/11 is one).
MONDAY_10 = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


@dataclass
class World:
    """Ids of the units and people every queue test uses."""

    commune: int
    other_commune: int
    department: int
    province: int
    cadre: int
    cadre2: int
    other_cadre: int
    sup1: int
    sup2: int
    dept_sup: int
    prov_sup: int
    other_sup: int
    admin: int


async def _unit(
    session: AsyncSession, name: str, kind: str, up: int | None = None, parent: int | None = None
) -> int:
    unit = Unit(
        name=name,
        kind=kind,
        escalates_to_id=up,
        parent_id=parent,
        positions=["Công chức Tư pháp - Hộ tịch"],
    )
    session.add(unit)
    await session.flush()
    return unit.id


async def _user(
    session: AsyncSession, name: str, role: str, unit: int, supervises: list[int] = ()
) -> int:
    user = User(full_name=name, role=role, unit_id=unit, position="Công chức", chat_id=None)
    session.add(user)
    await session.flush()
    for unit_id in supervises:
        await session.execute(supervisor_units.insert().values(user_id=user.id, unit_id=unit_id))
    return user.id


@pytest.fixture
async def world(sessionmaker: async_sessionmaker[AsyncSession]) -> World:
    async with unit_of_work(sessionmaker) as s:
        province = await _unit(s, "UBND tỉnh Thử Nghiệm", UnitKind.PROVINCE)
        # Two-tier local government: communes and departments belong to the province.
        department = await _unit(
            s, "Sở Nội vụ tỉnh Thử Nghiệm", UnitKind.DEPARTMENT, province, province
        )
        commune = await _unit(s, "UBND xã An Bình", UnitKind.COMMUNE, department, province)
        other = await _unit(s, "UBND xã Hoà Lạc", UnitKind.COMMUNE, department, province)
        return World(
            commune=commune,
            other_commune=other,
            department=department,
            province=province,
            cadre=await _user(s, "Nguyễn Văn An", Role.CADRE, commune),
            cadre2=await _user(s, "Trần Thị Bình", Role.CADRE, commune),
            other_cadre=await _user(s, "Lê Văn Cường", Role.CADRE, other),
            sup1=await _user(s, "Phạm Thu Hà", Role.SUPERVISOR, commune, [commune]),
            sup2=await _user(s, "Đỗ Minh Khoa", Role.SUPERVISOR, commune, [commune]),
            dept_sup=await _user(s, "Vũ Đức Long", Role.SUPERVISOR, department, [department]),
            prov_sup=await _user(s, "Hoàng Thị Mai", Role.SUPERVISOR, province, [province]),
            other_sup=await _user(s, "Bùi Văn Nam", Role.SUPERVISOR, other, [other]),
            admin=await _user(s, "Quản trị viên", Role.ADMIN, province),
        )


async def load_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    assert user is not None
    return user


async def new_case(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    asker: int,
    question: str = "Xã có được chi hỗ trợ cho người có công ngoài định mức không?",
    urgency: Urgency = Urgency.NORMAL,
    now: datetime = MONDAY_10,
    **kw: object,
) -> Case:
    async with unit_of_work(sessionmaker) as s:
        actor = await load_user(s, asker)
        data = CaseCreate(question=question, urgency=urgency)
        return await service.create_case(
            s,
            actor=actor,
            data=data,
            settings=settings,
            now=now,
            **kw,  # type: ignore[arg-type]
        )
