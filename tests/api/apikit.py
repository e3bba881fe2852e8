"""Helpers for the API tests: a world of units and one person per role with tokens, and the
error-shape assertion."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from core.context import AppContext
from core.db import unit_of_work
from core.users.enums import Role
from tests.factories import make_ladder, make_person

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
        ladder = await make_ladder(
            s,
            province="Tỉnh Mẫu",
            department="Sở Nội vụ Tỉnh Mẫu",
            communes=[
                ("UBND xã Tân Phú", [POSITION, "Công chức Địa chính"]),
                ("UBND xã Phú Lộc", []),
            ],
        )
        province, dept = ladder.province_id, ladder.department_id
        assert dept is not None
        commune, other = ladder.commune_ids
        plan = [
            ("admin", "Nguyễn Quản Trị", Role.ADMIN, province, None, ()),
            ("supervisor", "Lê Phụ Trách", Role.SUPERVISOR, commune, None, (commune,)),
            ("evaluator", "Phạm Đánh Giá", Role.EVALUATOR, dept, None, ()),
            ("cadre", "Trần Cán Bộ", Role.CADRE, commune, POSITION, ()),
            ("cadre2", "Võ Cán Bộ", Role.CADRE, other, None, ()),
            ("supervisor2", "Đỗ Phụ Trách", Role.SUPERVISOR, other, None, (other,)),
        ]
        ids: dict[str, int] = {}
        tokens: dict[str, str] = {}
        for n, (key, name, role, unit_id, position, supervised) in enumerate(plan, start=1):
            person = await make_person(
                s,
                role=role,
                unit_id=unit_id,
                name=name,
                supervises=supervised,
                position=position,
                telegram_id=900 + n,
                token="kiểm thử API",
            )
            assert person.token is not None
            ids[key] = person.id
            tokens[key] = person.token
    return World(province, dept, commune, other, ids, tokens)


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
