"""Changing a person through the API: topics a supervisor handles (admin only)."""

from __future__ import annotations

import httpx
from apikit import World, assert_error


async def test_admin_sets_a_supervisors_topics(client: httpx.AsyncClient, world: World) -> None:
    url = f"/api/v1/users/{world.ids['supervisor']}"
    before = await client.get(url, headers=world.auth("admin"))
    assert before.json()["topics"] == []
    r = await client.patch(
        url,
        json={"topics": ["Công chức Tư pháp - Hộ tịch", " cong chuc tu phap - ho tich "]},
        headers=world.auth("admin"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["topics"] == ["Công chức Tư pháp - Hộ tịch"]
    me = await client.get("/api/v1/users/me", headers=world.auth("supervisor"))
    assert me.json()["topics"] == ["Công chức Tư pháp - Hộ tịch"]

    denied = await client.patch(url, json={"topics": []}, headers=world.auth("supervisor"))
    assert_error(denied, 403)
    cadre = await client.patch(
        f"/api/v1/users/{world.ids['cadre']}",
        json={"topics": ["Địa chính"]},
        headers=world.auth("admin"),
    )
    assert_error(cadre, 422)
    too_long = await client.patch(url, json={"topics": ["x" * 101]}, headers=world.auth("admin"))
    assert_error(too_long, 422)
    cleared = await client.patch(url, json={"topics": []}, headers=world.auth("admin"))
    assert cleared.json()["topics"] == []
