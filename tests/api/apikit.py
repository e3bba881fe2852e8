"""Helpers for the API tests: a world of units and one person per role with tokens, and the
error-shape assertion."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from core.context import AppContext
from core.db import unit_of_work
from core.users import service as users
from core.users.enums import Role, UnitKind
from core.users.schemas import UnitCreate

ROLES = ("cadre", "supervisor", "evaluator", "admin")
POSITION = "Công chức Tư pháp - Hộ tịch"


@dataclass
class World:
    """Units and people (one per role plus a second cadre elsewhere), with tokens."""

    province_id: int
    department_id: int
    commune_id: int
    other_commune_id: int
    ids: dict[str, int]
    tokens: dict[str, str]

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


async def build_world(ctx: AppContext) -> World:
    """Province → department ladder, two communes, and admin/supervisor/evaluator/cadre."""
    async with unit_of_work(ctx.sessionmaker) as s:
        province = await users.create_unit(
            s, data=UnitCreate(name="Tỉnh Mẫu", kind=UnitKind.PROVINCE), actor_id=None
        )
        dept = await users.create_unit(
            s,
            data=UnitCreate(
                name="Sở Nội vụ Tỉnh Mẫu",
                kind=UnitKind.DEPARTMENT,
                parent_id=province.id,
                escalates_to_id=province.id,
            ),
            actor_id=None,
        )
        commune = await users.create_unit(
            s,
            data=UnitCreate(
                name="UBND xã Tân Phú",
                kind=UnitKind.COMMUNE,
                parent_id=province.id,
                escalates_to_id=dept.id,
                positions=[POSITION, "Công chức Địa chính"],
            ),
            actor_id=None,
        )
        other = await users.create_unit(
            s,
            data=UnitCreate(
                name="UBND xã Phú Lộc",
                kind=UnitKind.COMMUNE,
                parent_id=province.id,
                escalates_to_id=dept.id,
            ),
            actor_id=None,
        )
        plan = [
            ("admin", "Nguyễn Quản Trị", Role.ADMIN, province.id, None, ()),
            ("supervisor", "Lê Phụ Trách", Role.SUPERVISOR, commune.id, None, (commune.id,)),
            ("evaluator", "Phạm Đánh Giá", Role.EVALUATOR, dept.id, None, ()),
            ("cadre", "Trần Cán Bộ", Role.CADRE, commune.id, POSITION, ()),
            ("cadre2", "Võ Cán Bộ", Role.CADRE, other.id, None, ()),
            ("supervisor2", "Đỗ Phụ Trách", Role.SUPERVISOR, other.id, None, (other.id,)),
        ]
        ids: dict[str, int] = {}
        tokens: dict[str, str] = {}
        for n, (key, name, role, unit_id, position, supervised) in enumerate(plan, start=1):
            user = await users.create_user(
                s,
                full_name=name,
                role=role,
                unit_id=unit_id,
                actor_id=None,
                position=position,
                telegram_id=900 + n,
                chat_id=900 + n,
                supervised_unit_ids=supervised,
            )
            ids[key] = user.id
            tokens[key] = await users.issue_token(s, user_id=user.id, label="kiểm thử API")
    return World(province.id, dept.id, commune.id, other.id, ids, tokens)


def assert_error(
    response: httpx.Response, status: int, code: str | None = None
) -> dict[str, object]:
    """The response is an error in the one format, with a non-empty Vietnamese message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["message"], str) and error["message"].strip()
    if code is not None:
        assert error["code"] == code, error
    return error
