"""Small protocol defects: a missing person in a body is 404 (not 401, "signed out"), LIKE
wildcards in searches are literal, 405 names every allowed method, 400 is documented."""

from __future__ import annotations

import httpx
from apikit import World, assert_error

INITIATIVE = {
    "problem": "Tra cứu sổ hộ tịch giấy mất nhiều thời gian.",
    "actions": "Gắn mã QR cho từng quyển sổ.",
    "results": "Thời gian tra cứu giảm rõ rệt.",
}


async def _submit(client: httpx.AsyncClient, world: World, title: str) -> int:
    r = await client.post(
        "/api/v1/initiatives", json={**INITIATIVE, "title": title}, headers=world.auth("cadre")
    )
    assert r.status_code == 201, r.text
    return int(r.json()["initiative"]["id"])


async def test_unknown_person_in_a_body_is_not_found(
    client: httpx.AsyncClient, world: World
) -> None:
    initiative = await _submit(client, world, "Số hóa sổ hộ tịch")
    r = await client.post(
        f"/api/v1/initiatives/{initiative}/coauthors",
        json={"user_id": 999},
        headers=world.auth("cadre"),
    )
    assert_error(r, 404, "not_found")
    assign = await client.post(
        f"/api/v1/initiatives/{initiative}/evaluators",
        json={"evaluator_ids": [998, 999]},
        headers=world.auth("admin"),
    )
    assert assign.status_code in (404, 409, 422) and assign.status_code != 401


async def test_like_wildcards_are_literal(client: httpx.AsyncClient, world: World) -> None:
    await _submit(client, world, "Giảm 50% thời gian chờ")
    await _submit(client, world, "Giảm 5 phút thủ tục")
    admin = world.auth("admin")

    async def titles(q: str) -> list[str]:
        r = await client.get("/api/v1/initiatives", params={"q": q}, headers=admin)
        assert r.status_code == 200, r.text
        return [i["title"] for i in r.json()["items"]]

    assert await titles("50%") == ["Giảm 50% thời gian chờ"]
    assert await titles("%") == ["Giảm 50% thời gian chờ"]
    assert await titles("_") == []


async def test_405_lists_every_allowed_method(client: httpx.AsyncClient, world: World) -> None:
    r = await client.delete("/api/v1/units", headers=world.auth("admin"))
    assert_error(r, 405, "method_not_allowed")
    assert r.headers["allow"] == "GET, POST"
    r = await client.put(f"/api/v1/users/{world.ids['cadre']}", headers=world.auth("admin"))
    assert r.headers["allow"] == "GET, PATCH"


async def test_400_and_401_are_documented(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path, operations in paths.items():
        if path.startswith("/api/v1/"):
            for method, operation in operations.items():
                assert {"400", "401"} <= set(operation["responses"]), (method, path)
