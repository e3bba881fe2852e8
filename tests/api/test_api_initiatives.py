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


# (method, path, body, roles allowed); {id} is an initiative by cadre_a, unassigned.
MATRIX = [
    ("GET", BASE, None, {"cadre_a", "cadre_b", "supervisor_a", "eval_1", "admin"}),
    ("POST", BASE, SAMPLE, {"cadre_a", "cadre_b", "supervisor_a"}),
    ("GET", f"{BASE}/rubric", None, {"cadre_a", "cadre_b", "supervisor_a", "eval_1", "admin"}),
    ("GET", f"{BASE}/assignments", None, {"eval_1"}),
    ("GET", f"{BASE}/export?format=csv", None, {"eval_1", "admin"}),
    ("GET", f"{BASE}/{{id}}", None, {"cadre_a", "admin"}),
    ("GET", f"{BASE}/{{id}}/similar", None, {"cadre_a", "admin"}),
    ("GET", f"{BASE}/{{id}}/evaluations", None, {"cadre_a", "admin"}),
    ("GET", f"{BASE}/{{id}}/suggested-evaluators", None, {"admin"}),
    ("POST", f"{BASE}/{{id}}/screening", None, {"admin"}),
    ("POST", f"{BASE}/{{id}}/score", {"scores": GOOD}, set()),  # nobody is assigned yet
    ("POST", f"{BASE}/{{id}}/join", None, {"cadre_b", "supervisor_a"}),
]


async def test_role_rules(http: httpx.AsyncClient, people: People) -> None:
    created = await _create(http, people)
    iid = str(created["initiative"]["id"])  # type: ignore[index]
    for method, path, body, allowed in MATRIX:
        url = path.replace("{id}", iid)
        for who in ("cadre_a", "cadre_b", "supervisor_a", "eval_1", "admin"):
            response = await http.request(method, url, json=body, headers=people.auth(who))
            if who in allowed:
                assert response.status_code < 300, (url, who, response.text)
                continue
            # Wrong role: 403; right role but not theirs to see: 404 (existence does not leak);
            # the author asking to join their own initiative: 409.
            denied = {403, 404} | ({409} if url.endswith("/join") and who == "cadre_a" else set())
            assert response.status_code in denied, (url, who, response.text)
            assert response.json()["error"]["message"]
        anonymous = await http.request(method, url, json=body)
        assert_error(anonymous, 401, "unauthenticated")


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
