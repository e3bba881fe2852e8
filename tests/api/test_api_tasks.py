"""Hard tasks, commendations and the record over the API: another unit sees nothing."""

from __future__ import annotations

import httpx
from apikit import World, assert_error

from core.context import AppContext


async def test_another_unit_sees_no_task_and_no_record(
    client: httpx.AsyncClient, ctx: AppContext, world: World
) -> None:
    body = {
        "unit_id": world.commune_id,
        "title": "Giải tỏa lấn chiếm hành lang giao thông",
        "owner_id": world.ids["cadre"],
        "working_days": 10,
    }
    created = await client.post("/api/v1/tasks", json=body, headers=world.auth("supervisor"))
    assert created.status_code == 201, created.text
    task_id = created.json()["id"]
    for role in ("supervisor2", "cadre2"):
        assert_error(await client.get(f"/api/v1/tasks/{task_id}", headers=world.auth(role)), 404)
        listed = await client.get("/api/v1/tasks", headers=world.auth(role))
        assert listed.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    other = {**body, "unit_id": world.other_commune_id, "owner_id": world.ids["cadre2"]}
    refused = await client.post("/api/v1/tasks", json=other, headers=world.auth("supervisor"))
    assert_error(refused, 403, "forbidden")
    record = await client.get(
        f"/api/v1/record/{world.ids['cadre']}", headers=world.auth("supervisor2")
    )
    assert_error(record, 403, "forbidden")
    mine = await client.get(f"/api/v1/record/{world.ids['cadre']}", headers=world.auth("cadre"))
    figures = {f["key"]: f["count"] for f in mine.json()["figures"]}
    assert figures["tasks_owned"] == 1 and figures["commendations"] == 0
