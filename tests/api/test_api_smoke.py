"""Smoke: every role can read who it is; no token is a 401 in the one error format."""

from __future__ import annotations

import httpx
from apikit import ROLES, World, assert_error


async def test_me_for_every_role(client: httpx.AsyncClient, world: World) -> None:
    for role in ROLES:
        r = await client.get("/api/v1/users/me", headers=world.auth(role))
        assert r.status_code == 200, r.text
        assert r.json()["role"] == role
    assert_error(await client.get("/api/v1/users/me"), 401, "unauthenticated")
