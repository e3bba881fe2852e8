"""Authorisation matrix: every role × every endpoint, allowed and denied; no token → 401.

Each row names the roles allowed. An allowed call must succeed with the row's status; a denied
call must be 403 in the one error format. Every call gets fresh objects (`prepare`), so rows
never depend on each other's side effects.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from apikit import ROLES, World, assert_error
from apistate import answered_case, document_text, new_case, new_document, new_token, proposal

from api.main import create_app
from core.config import Settings
from core.context import AppContext

Prepare = Callable[[AppContext, World], Awaitable[dict[str, Any]]]
_n = itertools.count(1)
ALL = frozenset(ROLES)
STAFF = frozenset({"supervisor", "admin"})
ADMIN = frozenset({"admin"})
PARTICIPANTS = frozenset({"cadre", "supervisor", "admin"})


async def _nothing(_ctx: AppContext, world: World) -> dict[str, Any]:
    return {"unit": world.commune_id, "cadre": world.ids["cadre"]}


async def _case(ctx: AppContext, world: World) -> dict[str, Any]:
    return {"case": await new_case(ctx, world), "to": world.ids["supervisor2"]}


async def _answered(ctx: AppContext, world: World) -> dict[str, Any]:
    return {"case": await answered_case(ctx, world)}


async def _proposal(ctx: AppContext, world: World) -> dict[str, Any]:
    return {"proposal": await proposal(ctx, world)}


async def _document(ctx: AppContext, _world: World) -> dict[str, Any]:
    return {"doc": await new_document(ctx)}


async def _import_job(ctx: AppContext, _world: World) -> dict[str, Any]:
    from core.db import unit_of_work
    from core.knowledge.models import ImportJob

    async with unit_of_work(ctx.sessionmaker) as session:
        job = ImportJob(filename="a.md", staged="0-xxxxxxxxxxxxxxxxxxxxxxxx.md")
        session.add(job)
        await session.flush()
    return {"job": job.id}


async def _cadre_token(ctx: AppContext, world: World) -> dict[str, Any]:
    return {"token": await new_token(ctx, world.ids["cadre"])}


async def _task(ctx: AppContext, world: World, *, done: bool = False) -> dict[str, Any]:
    """A hard task in the commune owned by the cadre (finished when `done`), and a case."""
    from core.db import unit_of_work
    from core.tasks import service as tasks
    from core.tasks.schemas import TaskClose, TaskCreate
    from core.users.models import User

    async with unit_of_work(ctx.sessionmaker) as s:
        supervisor = await s.get(User, world.ids["supervisor"])
        assert supervisor is not None
        data = TaskCreate(
            unit_id=world.commune_id,
            title=f"Việc khó thử số {next(_n)}",
            owner_id=world.ids["cadre"],
            working_days=5,
        )
        task = await tasks.create_task(s, actor=supervisor, data=data, settings=ctx.settings)
        if done:
            await tasks.close_task(s, actor=supervisor, task_id=task.id, data=TaskClose())
    return {"task": task.id, "case": await new_case(ctx, world)}


async def _done_task(ctx: AppContext, world: World) -> dict[str, Any]:
    return await _task(ctx, world, done=True)


async def _drill(ctx: AppContext, world: World, *, sent: bool = False) -> dict[str, Any]:
    """A drill draft in the commune from a freshly approved precedent (published and sent to
    the cadre when `sent`)."""
    from core.cases import precedents
    from core.cases.schemas import PrecedentApprove
    from core.db import unit_of_work
    from core.drills import service as drills
    from core.drills.models import DrillDelivery
    from core.drills.schemas import DrillCreate
    from core.users.models import User

    proposal_id = await proposal(ctx, world)
    async with unit_of_work(ctx.sessionmaker) as s:
        admin, supervisor, cadre = [
            await s.get(User, world.ids[k]) for k in ("admin", "supervisor", "cadre")
        ]
        assert admin and supervisor and cadre
        await precedents.approve(
            s, actor=admin, proposal_id=proposal_id, data=PrecedentApprove(scope="unit")
        )
        data = DrillCreate(precedent_id=proposal_id, unit_id=world.commune_id)
        drill = await drills.create_drill(s, actor=supervisor, data=data)
        delivery = None
        if sent:
            await drills.publish(s, actor=supervisor, drill_id=drill.id)
            delivery = DrillDelivery(drill_id=drill.id, user_id=cadre.id, unit_id=cadre.unit_id)
            s.add(delivery)
            await s.flush()
    return {"drill": drill.id, "precedent": proposal_id, "delivery": delivery and delivery.id}


async def _sent_drill(ctx: AppContext, world: World) -> dict[str, Any]:
    return await _drill(ctx, world, sent=True)


async def _invite(ctx: AppContext, world: World) -> dict[str, Any]:
    from core.db import unit_of_work
    from core.users import service as users

    async with unit_of_work(ctx.sessionmaker) as s:
        invite = await users.create_invite(s, role="cadre", unit_id=world.commune_id, actor=None)
        return {"invite": invite.id}


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    allowed: frozenset[str]
    ok: int = 200
    prepare: Prepare = _nothing
    json: Callable[[dict[str, Any]], Any] | None = None
    upload: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


ROWS = [
    Row("POST", "/search", ALL, json=lambda p: {"query": "thủ tục một cửa ở xã"}),
    Row("GET", "/cases", PARTICIPANTS),
    Row(
        "POST",
        "/cases",
        PARTICIPANTS,
        201,
        json=lambda p: {"question": f"Tình huống mới số {next(_n)} về đất đai ở thôn"},
    ),
    Row("GET", "/cases/{case}", PARTICIPANTS, prepare=_case),
    Row("GET", "/cases/{case}/history", PARTICIPANTS, prepare=_case),
    Row("POST", "/cases/{case}/claim", STAFF, prepare=_case),
    Row(
        "POST",
        "/cases/{case}/answer",
        STAFF,
        prepare=_case,
        json=lambda p: {"text": "Trả lời thử", "legal_basis": "Điều 1"},
    ),
    Row(
        "POST",
        "/cases/{case}/forward",
        STAFF,
        prepare=_case,
        json=lambda p: {"to_user_id": p["to"], "note": "nhờ anh xem"},
    ),
    Row("POST", "/cases/{case}/withdraw", frozenset({"cadre", "admin"}), prepare=_case),
    Row(
        "POST",
        "/cases/{case}/feedback",
        frozenset({"cadre"}),
        prepare=_answered,
        json=lambda p: {"helpful": True},
    ),
    Row(
        "POST", "/cases/{case}/propose-precedent", STAFF, 201, prepare=_answered, json=lambda p: {}
    ),
    Row("GET", "/precedents", STAFF),
    Row("GET", "/precedents/{proposal}", STAFF, prepare=_proposal),
    Row(
        "POST",
        "/precedents/{proposal}/approve",
        ADMIN,
        prepare=_proposal,
        json=lambda p: {"scope": "unit"},
    ),
    Row(
        "POST",
        "/precedents/{proposal}/reject",
        ADMIN,
        prepare=_proposal,
        json=lambda p: {"note": "chưa phù hợp"},
    ),
    Row("GET", "/stats/cases", STAFF),
    Row("GET", "/stats/questions", STAFF),
    Row("GET", "/knowledge/documents", ALL),
    Row("GET", "/knowledge/documents/{doc}", ALL, prepare=_document),
    Row("GET", "/knowledge/documents/{doc}/chunks", ALL, prepare=_document),
    Row("POST", "/knowledge/documents", ADMIN, 201, upload=True),
    Row("POST", "/knowledge/imports", ADMIN, 202, upload=True),
    Row("GET", "/knowledge/imports/{job}", ADMIN, prepare=_import_job),
    Row(
        "PATCH",
        "/knowledge/documents/{doc}",
        ADMIN,
        prepare=_document,
        json=lambda p: {"issuer": "UBND tỉnh"},
    ),
    Row("POST", "/knowledge/documents/{doc}/retire", ADMIN, prepare=_document),
    Row("GET", "/knowledge/status", ALL),
    Row("POST", "/knowledge/reindex", ADMIN),
    Row("GET", "/units", ALL),
    Row("GET", "/units/{unit}", ALL),
    Row(
        "POST",
        "/units",
        ADMIN,
        201,
        json=lambda p: {"name": f"UBND xã Mới {next(_n)}", "kind": "commune"},
    ),
    Row("PATCH", "/units/{unit}", ADMIN, json=lambda p: {"positions": ["Chủ tịch UBND xã"]}),
    Row("GET", "/users/me", ALL),
    Row("GET", "/users", ADMIN),
    Row("GET", "/users/{cadre}", ADMIN),
    Row("PATCH", "/users/{cadre}", ADMIN, json=lambda p: {"active": True}),
    Row(
        "POST",
        "/users",
        ADMIN,
        201,
        json=lambda p: {"full_name": "Ngô Thị Mới", "role": "cadre", "unit_id": p["unit"]},
    ),
    Row("POST", "/users/{cadre}/signin-code", ADMIN, 201),
    Row(
        "POST",
        "/users/{cadre}/tokens",
        frozenset({"cadre", "admin"}),
        201,
        json=lambda p: {"label": "máy mới"},
    ),
    Row("GET", "/users/{cadre}/tokens", frozenset({"cadre", "admin"})),
    Row("POST", "/tokens/{token}/revoke", frozenset({"cadre", "admin"}), prepare=_cadre_token),
    Row("GET", "/invites", ADMIN),
    Row(
        "POST",
        "/invites",
        ADMIN,
        201,
        json=lambda p: {"role": "cadre", "unit_id": p["unit"], "uses": 5},
    ),
    Row("POST", "/invites/{invite}/revoke", ADMIN, prepare=_invite),
    Row("GET", "/tasks", PARTICIPANTS),
    Row(
        "POST",
        "/tasks",
        STAFF,
        201,
        json=lambda p: {
            "unit_id": p["unit"],
            "title": "Việc khó thử",
            "owner_id": p["cadre"],
            "working_days": 5,
        },
    ),
    Row("GET", "/tasks/{task}", PARTICIPANTS, prepare=_task),
    Row("PATCH", "/tasks/{task}", STAFF, prepare=_task, json=lambda p: {"title": "Đổi tên việc"}),
    Row(
        "POST",
        "/tasks/{task}/notes",
        PARTICIPANTS,
        201,
        prepare=_task,
        json=lambda p: {"text": "Đã làm việc với thôn."},
    ),
    Row("POST", "/tasks/{task}/done", PARTICIPANTS, prepare=_task, json=lambda p: {}),
    Row(
        "POST",
        "/tasks/{task}/links",
        PARTICIPANTS,
        201,
        prepare=_task,
        json=lambda p: {"kind": "case", "target_id": p["case"]},
    ),
    Row(
        "POST",
        "/commendations",
        STAFF,
        201,
        prepare=_done_task,
        json=lambda p: {"source_kind": "task", "source_id": p["task"]},
    ),
    Row("GET", "/commendations", ALL),
    Row("GET", "/commendations/suggestions", STAFF),
    Row("GET", "/record/{cadre}", PARTICIPANTS),
    Row("GET", "/drills", STAFF),
    Row(
        "POST",
        "/drills",
        STAFF,
        201,
        prepare=_drill,
        json=lambda p: {"precedent_id": p["precedent"], "unit_id": None},
    ),
    Row("GET", "/drills/weak-topics", STAFF),
    Row("GET", "/drills/schedule", PARTICIPANTS),
    Row("PUT", "/drills/schedule", PARTICIPANTS, json=lambda p: {"interval_days": 14}),
    Row("GET", "/drills/deliveries", PARTICIPANTS),
    Row(
        "POST",
        "/drills/deliveries/{delivery}/answer",
        frozenset({"cadre"}),
        prepare=_sent_drill,
        json=lambda p: {"text": "Tiếp nhận và hướng dẫn công dân."},
    ),
    Row("GET", "/drills/{drill}", STAFF, prepare=_drill),
    Row(
        "PATCH",
        "/drills/{drill}",
        STAFF,
        prepare=_drill,
        json=lambda p: {"title": "Tình huống khai sinh quá hạn"},
    ),
    Row("POST", "/drills/{drill}/publish", STAFF, prepare=_drill),
    Row("POST", "/drills/{drill}/archive", STAFF, prepare=_drill),
]


async def _call(
    client: httpx.AsyncClient, ctx: AppContext, world: World, row: Row, role: str | None
) -> httpx.Response:
    params = await row.prepare(ctx, world)
    url = "/api/v1" + row.path.format(**params)
    headers = world.auth(role) if role else {}
    if row.upload:
        title = f"Quy chế thử số {next(_n)}"
        files = {"file": ("quy-che.md", document_text(title, "Nội dung thử."), "text/markdown")}
        return await client.request(row.method, url, headers=headers, files=files)
    body = row.json(params) if row.json else None
    return await client.request(row.method, url, headers=headers, json=body)


def test_matrix_covers_every_api_route() -> None:
    """A new route without a row in the matrix fails here."""
    paths = create_app(settings=Settings()).openapi()["paths"]
    routes = {
        f"{method.upper()} {path.removeprefix('/api/v1')}"
        for path, item in paths.items()
        if path.startswith("/api/v1/")
        for method in item
    }
    normalise = {
        "{case}": "{case_id}",
        "{doc}": "{document_id}",
        "{unit}": "{unit_id}",
        "{cadre}": "{user_id}",
        "{token}": "{token_id}",
        "{invite}": "{invite_id}",
        "{proposal}": "{proposal_id}",
        "{task}": "{task_id}",
        "{drill}": "{drill_id}",
        "{delivery}": "{delivery_id}",
        "{job}": "{job_id}",
    }
    covered = set()
    for row in ROWS:
        path = row.path
        for short, long in normalise.items():
            path = path.replace(short, long)
        covered.add(f"{row.method} {path}")
    # The initiatives routes have their own matrix (per person, fresh initiative per call).
    from tests.api.test_api_initiatives import RULES

    for rule in RULES:
        path = rule.path.replace("{id}", "{initiative_id}").replace("{eval}", "{evaluator_id}")
        covered.add(f"{rule.method} /initiatives{path}")
    assert sorted(routes - covered) == []


@pytest.mark.parametrize("role", ROLES)
async def test_role_matrix(
    client: httpx.AsyncClient, ctx: AppContext, world: World, role: str
) -> None:
    failures = []
    for row in ROWS:
        response = await _call(client, ctx, world, row, role)
        if role in row.allowed:
            if response.status_code != row.ok:
                failures.append(f"{row.id} as {role}: {response.status_code} {response.text}")
        else:
            try:
                assert_error(response, 403, "forbidden")
            except AssertionError:
                failures.append(f"{row.id} as {role} should be 403: {response.status_code}")
    assert failures == []


async def test_no_token_is_401_everywhere(
    client: httpx.AsyncClient, ctx: AppContext, world: World
) -> None:
    for row in ROWS:
        response = await _call(client, ctx, world, row, None)
        assert_error(response, 401, "unauthenticated")
        assert response.headers["www-authenticate"] == "Bearer"
    bad = await client.get("/api/v1/users/me", headers={"Authorization": "Bearer troly_nope"})
    assert_error(bad, 401, "unauthenticated")


async def test_supervisor_of_another_unit_sees_nothing(
    client: httpx.AsyncClient, ctx: AppContext, world: World
) -> None:
    case_id = await new_case(ctx, world)
    for method, path in (("GET", ""), ("POST", "/claim"), ("GET", "/history")):
        r = await client.request(
            method, f"/api/v1/cases/{case_id}{path}", headers=world.auth("supervisor2")
        )
        assert_error(r, 404, "not_found")
    listed = await client.get("/api/v1/cases", headers=world.auth("supervisor2"))
    assert listed.json()["total"] == 0
    other = await client.get(f"/api/v1/cases/{case_id}", headers=world.auth("cadre2"))
    assert_error(other, 404, "not_found")
