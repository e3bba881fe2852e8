"""Filters and pagination: cases, users, documents and invites."""

from __future__ import annotations

import httpx
from apikit import World
from apistate import new_document, question

from core.cases import service as case_service
from core.cases.schemas import CaseCreate
from core.context import AppContext
from core.db import unit_of_work
from core.users import service as users


async def _ask(ctx: AppContext, world: World, who: str, **fields: object) -> int:
    async with unit_of_work(ctx.sessionmaker) as s:
        actor = await users.require_user(s, user_id=world.ids[who])
        data = CaseCreate.model_validate({"question": question(), **fields})
        case = await case_service.create_case(s, actor=actor, data=data, settings=ctx.settings)
        return case.id


async def test_cases_filters_and_pagination(
    client: httpx.AsyncClient, ctx: AppContext, world: World
) -> None:
    ids = [
        await _ask(ctx, world, "cadre", topic="đất đai"),
        await _ask(ctx, world, "cadre", topic="hộ tịch", urgency="urgent"),
        await _ask(ctx, world, "cadre", topic="đất đai", urgency="urgent"),
        await _ask(ctx, world, "cadre"),
        await _ask(ctx, world, "cadre2", topic="đất đai"),
    ]
    await client.post(f"/api/v1/cases/{ids[0]}/claim", headers=world.auth("supervisor"))

    async def get(query: str, who: str = "admin") -> dict[str, object]:
        r = await client.get(f"/api/v1/cases?{query}", headers=world.auth(who))
        assert r.status_code == 200, r.text
        body: dict[str, object] = r.json()
        return body

    def case_ids(page: dict[str, object]) -> list[int]:
        return [c["id"] for c in page["items"]]  # type: ignore[attr-defined, index]

    first = await get("limit=2")
    assert (first["total"], first["limit"], first["offset"]) == (5, 2, 0)
    assert case_ids(first) == [ids[4], ids[3]]  # newest first
    last = await get("limit=2&offset=4")
    assert case_ids(last) == [ids[0]]
    beyond = await get("limit=2&offset=10")
    assert beyond["items"] == [] and beyond["total"] == 5

    assert case_ids(await get("status=claimed")) == [ids[0]]
    both = await get("status=claimed&status=new")
    assert both["total"] == 5
    assert sorted(case_ids(await get("urgency=urgent"))) == [ids[1], ids[2]]
    assert sorted(case_ids(await get("topic=đất đai"))) == [ids[0], ids[2], ids[4]]
    assert case_ids(await get(f"unit_id={world.other_commune_id}")) == [ids[4]]
    assert case_ids(await get(f"assignee_id={world.ids['supervisor']}")) == [ids[0]]
    due = case_ids(await get("order=due&status=new&status=forwarded"))
    assert set(due) == {ids[1], ids[2], ids[3], ids[4]}
    assert due[:2] == [ids[1], ids[2]]  # urgent ones are due first

    # Filters never widen what a caller may see.
    mine = await get("limit=50", "cadre")
    assert sorted(case_ids(mine)) == ids[:4]
    assert (await get(f"unit_id={world.other_commune_id}", "cadre"))["total"] == 0
    assert (await get("", "supervisor"))["total"] == 4
    assert (await get("", "supervisor2"))["total"] == 1


async def test_users_filters_and_pagination(client: httpx.AsyncClient, world: World) -> None:
    admin = world.auth("admin")
    everyone = (await client.get("/api/v1/users?limit=2&offset=2", headers=admin)).json()
    assert everyone["total"] == 6 and len(everyone["items"]) == 2
    assert [u["id"] for u in everyone["items"]] == [3, 4]
    cadres = (await client.get("/api/v1/users?role=cadre", headers=admin)).json()
    assert {u["full_name"] for u in cadres["items"]} == {"Trần Cán Bộ", "Võ Cán Bộ"}
    here = (await client.get(f"/api/v1/users?unit_id={world.commune_id}", headers=admin)).json()
    assert {u["role"] for u in here["items"]} == {"cadre", "supervisor"}
    locked = await client.patch(
        f"/api/v1/users/{world.ids['cadre2']}", json={"active": False}, headers=admin
    )
    assert locked.json()["active"] is False
    inactive = (await client.get("/api/v1/users?active=false", headers=admin)).json()
    assert [u["id"] for u in inactive["items"]] == [world.ids["cadre2"]]
    # A locked account's token stops working at once.
    r = await client.get("/api/v1/users/me", headers=world.auth("cadre2"))
    assert r.status_code == 401


async def test_documents_and_invites_filters(
    client: httpx.AsyncClient, ctx: AppContext, world: World
) -> None:
    admin = world.auth("admin")
    keep = await new_document(ctx, "Hướng dẫn tiếp công dân")
    gone = await new_document(ctx, "Quy chế văn thư lưu trữ")
    await client.post(f"/api/v1/knowledge/documents/{gone}/retire", headers=admin)
    found = (
        await client.get("/api/v1/knowledge/documents?search=tiep cong dan", headers=admin)
    ).json()
    assert [d["id"] for d in found["items"]] == [keep]
    assert found["items"][0]["active_chunks"] > 0
    retired = (await client.get("/api/v1/knowledge/documents?status=retired", headers=admin)).json()
    assert [d["id"] for d in retired["items"]] == [gone]
    every = await client.get("/api/v1/knowledge/documents?status=all&limit=1", headers=admin)
    assert every.json()["total"] == 2 and len(every.json()["items"]) == 1

    for uses in (1, 2, 3):
        await client.post(
            "/api/v1/invites",
            json={"role": "cadre", "unit_id": world.commune_id, "uses": uses},
            headers=admin,
        )
    listed = (await client.get("/api/v1/invites?limit=2", headers=admin)).json()
    assert listed["total"] == 3 and [i["uses_left"] for i in listed["items"]] == [3, 2]
    first = listed["items"][1]
    assert first["start_command"] == f"/start {first['code']}"
    await client.post(f"/api/v1/invites/{first['id']}/revoke", headers=admin)
    usable = (await client.get("/api/v1/invites?usable=true", headers=admin)).json()
    assert usable["total"] == 2
