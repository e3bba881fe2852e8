"""Initiatives over HTTP: the whole flow, the role rules per endpoint, and the error format."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from openpyxl import load_workbook

from api.main import create_app
from core.config import Settings
from core.context import AppContext
from core.db import unit_of_work
from core.users.tokens import issue_token
from tests.core.initiatives.factories import SAMPLE, World, build_world

BASE = "/api/v1/initiatives"
GOOD = {"novelty": 5, "benefit": 4, "replicability": 4, "compliance": 1, "cost": 4}


@dataclass
class People:
    world: World
    tokens: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
async def sk_ctx(settings: Settings) -> AsyncIterator[AppContext]:
    context = await AppContext.create(settings)
    yield context
    await context.close()


@pytest.fixture
async def http(sk_ctx: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(sk_ctx))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
async def people(sk_ctx: AppContext) -> People:
    world = await build_world(sk_ctx.sessionmaker)
    tokens = {}
    async with unit_of_work(sk_ctx.sessionmaker) as session:
        for who in ("cadre_a", "cadre_b", "supervisor_a", "eval_a", "eval_1", "eval_2", "admin"):
            tokens[who] = await issue_token(session, user_id=getattr(world, who))
    return People(world, tokens)


def assert_error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"].strip()
    return str(error["message"])


async def _create(http: httpx.AsyncClient, p: People, who: str = "cadre_a") -> dict[str, object]:
    response = await http.post(BASE, json=SAMPLE, headers=p.auth(who))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_flow_over_http(http: httpx.AsyncClient, people: People) -> None:
    p, w = people, people.world
    first = await _create(http, p)
    created = await _create(http, p, "cadre_b")  # the same idea in another unit
    initiative = created["initiative"]
    assert isinstance(initiative, dict)
    iid = initiative["id"]
    assert initiative["status"] == "submitted" and initiative["status_label"] == "Đã nộp"
    assert initiative["unit_name"] == "UBND phường Bình Minh"
    first_number = first["initiative"]["number"]  # type: ignore[index]
    assert [s["number"] for s in created["similar"]] == [first_number]  # type: ignore[attr-defined]

    got = await http.get(f"{BASE}/{iid}", headers=p.auth("cadre_b"))
    assert got.status_code == 200 and got.json()["number"] == initiative["number"]
    listed = await http.get(BASE, params={"limit": 1}, headers=p.auth("admin"))
    assert listed.json()["total"] == 2 and len(listed.json()["items"]) == 1

    suggested = await http.get(f"{BASE}/{iid}/suggested-evaluators", headers=p.auth("admin"))
    assert w.eval_3 not in [u["id"] for u in suggested.json()]  # same unit as the author
    assigned = await http.post(f"{BASE}/{iid}/evaluators", json={}, headers=p.auth("admin"))
    assert assigned.status_code == 201, assigned.text
    assert sorted(e["evaluator_id"] for e in assigned.json()) == [
        w.eval_a,
        w.eval_1,
    ]  # commune A may judge B

    mine = await http.get(f"{BASE}/assignments", headers=p.auth("eval_1"))
    assert [e["initiative_id"] for e in mine.json()] == [iid]
    scored = await http.post(
        f"{BASE}/{iid}/score", json={"scores": GOOD, "comment": "Tốt"}, headers=p.auth("eval_1")
    )
    assert scored.status_code == 200 and scored.json()["total"] == 82.5
    # eval_a has not scored: sees only their own empty sheet, and no result.
    sheets = await http.get(f"{BASE}/{iid}/evaluations", headers=p.auth("eval_a"))
    assert [(s["evaluator_id"], s["scores"]) for s in sheets.json()] == [(w.eval_a, {})]
    assert_error(await http.get(f"{BASE}/{iid}/result", headers=p.auth("eval_a")), 403, "forbidden")
    bad = await http.post(
        f"{BASE}/{iid}/score", json={"scores": {**GOOD, "novelty": 9}}, headers=p.auth("eval_a")
    )
    assert "phải từ 1 đến 5" in assert_error(bad, 422, "invalid")
    await http.post(f"{BASE}/{iid}/score", json={"scores": GOOD}, headers=p.auth("eval_a"))

    res = await http.get(f"{BASE}/{iid}/result", headers=p.auth("eval_a"))
    assert res.json()["mean_total"] == 82.5 and res.json()["disagreement"] is False
    decided = await http.post(
        f"{BASE}/{iid}/decision", json={"outcome": "recognised"}, headers=p.auth("admin")
    )
    assert decided.status_code == 200 and decided.json()["status"] == "recognised"
    published = await http.post(f"{BASE}/{iid}/publish", headers=p.auth("admin"))
    assert published.status_code == 201, published.text
    again = await http.post(f"{BASE}/{iid}/publish", headers=p.auth("admin"))
    assert_error(again, 409, "conflict")

    csv_file = await http.get(f"{BASE}/export", params={"format": "csv"}, headers=p.auth("admin"))
    assert csv_file.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(csv_file.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Số sáng kiến" and len(rows) == 3
    xlsx = await http.get(f"{BASE}/export", headers=p.auth("eval_1"))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert [v[0] for v in values[1:]] == [initiative["number"]]  # only their assignment


async def test_conflict_of_interest_error_shape(http: httpx.AsyncClient, people: People) -> None:
    created = await _create(http, people)
    iid = created["initiative"]["id"]  # type: ignore[index]
    response = await http.post(
        f"{BASE}/{iid}/evaluators",
        json={"evaluator_ids": [people.world.eval_1, people.world.eval_a]},
        headers=people.auth("admin"),
    )
    message = assert_error(response, 422, "invalid")
    assert "cùng đơn vị với tác giả" in message and "xung đột lợi ích" in message


WHO = ("cadre_a", "cadre_b", "supervisor_a", "eval_1", "admin")


def _expect(
    cadre_a: int, cadre_b: int, supervisor_a: int, eval_1: int, admin: int
) -> dict[str, int]:
    return dict(zip(WHO, (cadre_a, cadre_b, supervisor_a, eval_1, admin), strict=True))


@dataclass(frozen=True)
class Rule:
    """One initiatives route and the exact status each person gets. {id} is a fresh initiative
    by cadre_a (commune A); with `assigned`, eval_1 and eval_2 are its evaluators. 403: the
    role may not; 404: the role may, but this initiative is not theirs to see (existence does
    not leak); 409: allowed, but not in this state."""

    method: str
    path: str
    expect: dict[str, int]
    body: str | dict[str, object] | None = None
    assigned: bool = False


RULES = [
    Rule("GET", "", _expect(200, 200, 200, 200, 200)),
    Rule("POST", "", _expect(201, 201, 201, 403, 403), body="sample"),
    Rule("GET", "/rubric", _expect(200, 200, 200, 200, 200)),
    Rule("PUT", "/rubric", _expect(403, 403, 403, 403, 200), body="rubric"),
    Rule("GET", "/assignments", _expect(403, 403, 403, 200, 403)),
    Rule("GET", "/export", _expect(403, 403, 403, 200, 200)),
    Rule("GET", "/{id}", _expect(200, 404, 404, 404, 200)),
    Rule("GET", "/{id}/similar", _expect(200, 404, 404, 404, 200)),
    Rule("POST", "/{id}/screening", _expect(403, 403, 403, 403, 200)),
    Rule("GET", "/{id}/suggested-evaluators", _expect(403, 403, 403, 403, 200)),
    Rule("POST", "/{id}/evaluators", _expect(403, 403, 403, 403, 201), body={}),
    Rule("DELETE", "/{id}/evaluators/{eval}", _expect(403, 403, 403, 403, 204), assigned=True),
    Rule("GET", "/{id}/evaluations", _expect(200, 404, 404, 200, 200), assigned=True),
    Rule(
        "POST",
        "/{id}/score",
        _expect(403, 403, 403, 200, 403),
        body={"scores": GOOD},
        assigned=True,
    ),
    Rule("GET", "/{id}/result", _expect(403, 404, 404, 403, 200), assigned=True),
    Rule(
        "POST",
        "/{id}/decision",
        _expect(403, 403, 403, 403, 409),  # the admin may, once the sheets are in
        body={"outcome": "not_accepted", "note": "Chưa đạt"},
        assigned=True,
    ),
    Rule(
        "POST",
        "/{id}/info",
        _expect(409, 404, 404, 403, 403),  # the author may, when information was requested
        body={"summary": "Bổ sung thông tin về cách làm."},
    ),
    Rule("POST", "/{id}/join", _expect(409, 202, 202, 403, 403)),
    Rule("POST", "/{id}/coauthors", _expect(200, 403, 403, 403, 200), body="coauthor"),
    Rule("POST", "/{id}/publish", _expect(403, 403, 403, 403, 409), assigned=True),
]


async def test_every_initiatives_route_has_a_rule(http: httpx.AsyncClient) -> None:
    """A new initiatives route without a row in RULES fails here."""
    paths = (await http.get("/openapi.json")).json()["paths"]
    routes = {
        f"{method.upper()} {path.removeprefix(BASE)}"
        for path, item in paths.items()
        if path == BASE or path.startswith(BASE + "/")
        for method in item
    }
    ruled = {
        f"{r.method} {r.path}".replace("{id}", "{initiative_id}").replace(
            "{eval}", "{evaluator_id}"
        )
        for r in RULES
    }
    assert routes == ruled


async def test_role_rules(http: httpx.AsyncClient, people: People) -> None:
    rubric = (await http.get(f"{BASE}/rubric", headers=people.auth("admin"))).json()
    bodies: dict[str, object] = {
        "sample": SAMPLE,
        "rubric": {"criteria": rubric["criteria"], "note": "Giữ nguyên"},
        "coauthor": {"user_id": people.world.cadre_b},
    }
    failures = []
    for rule in RULES:
        for who in (*WHO, None):
            # A fresh initiative for every call: no call depends on another's side effects.
            iid = (await _create(http, people))["initiative"]["id"]  # type: ignore[index]
            if rule.assigned:
                pair = {"evaluator_ids": [people.world.eval_1, people.world.eval_2]}
                assigned = await http.post(
                    f"{BASE}/{iid}/evaluators", json=pair, headers=people.auth("admin")
                )
                assert assigned.status_code == 201, assigned.text
            url = BASE + rule.path.replace("{id}", str(iid)).replace(
                "{eval}", str(people.world.eval_1)
            )
            body = bodies[rule.body] if isinstance(rule.body, str) else rule.body
            headers = people.auth(who) if who else {}
            response = await http.request(rule.method, url, json=body, headers=headers)
            wanted = rule.expect[who] if who else 401
            if response.status_code != wanted:
                failures.append(f"{rule.method} {rule.path} as {who}: {response.status_code}")
            elif wanted >= 400:
                error = response.json()["error"]
                code = {401: "unauthenticated", 403: "forbidden", 404: "not_found"}.get(wanted)
                assert error["message"].strip() and error["code"] == (code or error["code"])
    assert failures == []


async def test_admin_only_writes(http: httpx.AsyncClient, people: People) -> None:
    created = await _create(http, people)
    iid = created["initiative"]["id"]  # type: ignore[index]
    rubric = (await http.get(f"{BASE}/rubric", headers=people.auth("eval_1"))).json()
    update = {"criteria": rubric["criteria"], "note": "Giữ nguyên"}
    for who in ("cadre_a", "eval_1"):
        r = await http.put(f"{BASE}/rubric", json=update, headers=people.auth(who))
        assert_error(r, 403, "forbidden")
        r = await http.post(f"{BASE}/{iid}/evaluators", json={}, headers=people.auth(who))
        assert_error(r, 403, "forbidden")
        r = await http.post(
            f"{BASE}/{iid}/decision",
            json={"outcome": "not_accepted", "note": "x"},
            headers=people.auth(who),
        )
        assert_error(r, 403, "forbidden")
    saved = await http.put(f"{BASE}/rubric", json=update, headers=people.auth("admin"))
    assert saved.status_code == 200 and saved.json()["version"] == rubric["version"] + 1


async def test_openapi_documents_every_initiative_operation(http: httpx.AsyncClient) -> None:
    schema = (await http.get("/openapi.json")).json()
    components = schema["components"]["schemas"]
    operations = []
    for path, item in schema["paths"].items():
        if not path.startswith(BASE):
            continue
        for method, op in item.items():
            operations.append(f"{method.upper()} {path}")
            assert op.get("summary"), (method, path)
            assert "401" in op["responses"] and "403" in op["responses"], (method, path)
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                ref = body["schema"]["$ref"].rsplit("/", 1)[-1]
                assert components[ref].get("examples"), (method, path, ref)
    assert len(operations) >= 18
    assert (
        f"GET {BASE}/export" in operations and f"POST {BASE}/{{initiative_id}}/score" in operations
    )
