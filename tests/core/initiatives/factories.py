"""Builders for units and users in initiative tests (written straight to the real database)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import unit_of_work
from core.users.enums import Role, UnitKind
from core.users.models import Unit, User, supervisor_units


@dataclass
class World:
    """Two communes and a province department, with people in every role."""

    commune_a: int
    commune_b: int
    department: int
    cadre_a: int  # author, commune A
    cadre_a2: int  # colleague in commune A
    cadre_b: int  # commune B
    supervisor_a: int  # supervises commune A
    supervisor_b: int  # supervises commune B
    eval_a: int  # evaluator whose home unit is commune A (conflicted for A's authors)
    eval_1: int
    eval_2: int
    eval_3: int
    admin: int


async def build_world(sessionmaker: async_sessionmaker[AsyncSession]) -> World:
    """Create the units and people every initiative test uses."""
    async with unit_of_work(sessionmaker) as session:
        a = Unit(name="UBND xã An Phú", kind=UnitKind.COMMUNE)
        b = Unit(name="UBND phường Bình Minh", kind=UnitKind.COMMUNE)
        dept = Unit(name="Sở Nội vụ", kind=UnitKind.DEPARTMENT)
        session.add_all([a, b, dept])
        await session.flush()

        def person(name: str, role: Role, unit: Unit) -> User:
            user = User(full_name=name, role=role, unit_id=unit.id)
            session.add(user)
            return user

        users = {
            "cadre_a": person("Nguyễn Văn An", Role.CADRE, a),
            "cadre_a2": person("Trần Thị Bích", Role.CADRE, a),
            "cadre_b": person("Lê Văn Cường", Role.CADRE, b),
            "supervisor_a": person("Phạm Thị Dung", Role.SUPERVISOR, dept),
            "supervisor_b": person("Hoàng Văn Em", Role.SUPERVISOR, dept),
            "eval_a": person("Đỗ Thị Giang", Role.EVALUATOR, a),
            "eval_1": person("Vũ Văn Hải", Role.EVALUATOR, dept),
            "eval_2": person("Bùi Thị Hoa", Role.EVALUATOR, dept),
            "eval_3": person("Đặng Văn Khoa", Role.EVALUATOR, b),
            "admin": person("Quản Trị Viên", Role.ADMIN, dept),
        }
        await session.flush()
        await session.execute(
            insert(supervisor_units),
            [
                {"user_id": users["supervisor_a"].id, "unit_id": a.id},
                {"user_id": users["supervisor_b"].id, "unit_id": b.id},
            ],
        )
        return World(
            commune_a=a.id,
            commune_b=b.id,
            department=dept.id,
            **{key: user.id for key, user in users.items()},
        )


SAMPLE = {
    "title": "Số hóa sổ hộ tịch bằng mã QR",
    "problem": "Tra cứu sổ hộ tịch giấy mất nhiều thời gian, người dân phải chờ lâu.",
    "actions": "Gắn mã QR cho từng quyển sổ, lập bảng tra cứu điện tử dùng chung trong bộ phận.",
    "results": "Thời gian tra cứu giảm từ 20 phút xuống còn 3 phút mỗi hồ sơ.",
    "evidence_text": "Bảng thống kê thời gian tra cứu tháng 3 và tháng 6.",
    "field": "Hộ tịch",
    "period": "2026",
}


async def person(session: AsyncSession, user_id: int) -> User:
    """The user with this id, as a service's acting `User`."""
    user = await session.get(User, user_id)
    assert user is not None
    return user
