"""Accounts without Telegram through the API (issue 11 #10): an admin creates a person and gets a
one-time console sign-in code shown once; a new code replaces the old one; others get 403."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from apikit import World, assert_error
from fastapi import FastAPI
from sqlalchemy import select

from core.audit.models import AuditEntry
from core.context import AppContext
from core.db import unit_of_work
from tests.web.conftest import csrf


async def _sign_in(client: httpx.AsyncClient, signin_path: str, code: str) -> httpx.Response:
    """Open the sign-in link on the console (it pre-fills the code) and press the button."""
    page = await client.get(signin_path)
    assert f'value="{code.replace("-", "")}"' in page.text
    return await client.post(
        "/login/code", data={"csrf_token": csrf(page.text), "code": code, "next": "/"}
    )


async def test_admin_creates_an_account_whose_code_signs_in_once(
    app: FastAPI, client: httpx.AsyncClient, ctx: AppContext, world: World
) -> None:
    body = {
        "full_name": "  Ngô  Thị Mới ",
        "role": "supervisor",
        "unit_id": world.commune_id,
        "position": "Công chức Địa chính",
    }
    for role in ("cadre", "supervisor", "evaluator"):
        assert_error(await client.post("/api/v1/users", json=body, headers=world.auth(role)), 403)
    created = await client.post("/api/v1/users", json=body, headers=world.auth("admin"))
    assert created.status_code == 201, created.text
    out = created.json()
    user, code = out["user"], out["code"]
    assert user["full_name"] == "Ngô Thị Mới" and user["role"] == "supervisor"
    assert user["registered"] is False and user["supervised_unit_ids"] == [world.commune_id]
    assert user["position"] == "Công chức Địa chính"
    assert len(code) == 9 and code[4] == "-" and out["signin_path"] == f"/login?code={code}"
    left = datetime.fromisoformat(out["expires_at"]) - datetime.fromisoformat(user["created_at"])
    assert timedelta(hours=71) < left <= timedelta(hours=72, minutes=1)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as web:
        signed = await _sign_in(web, out["signin_path"], code)
        assert signed.status_code == 303, signed.text[:500]
        assert (await web.get("/queue")).status_code == 200
    async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as web:
        assert (await _sign_in(web, out["signin_path"], code)).status_code == 401  # used

    url = f"/api/v1/users/{user['id']}/signin-code"
    assert_error(await client.post(url, headers=world.auth("supervisor")), 403)
    first = (await client.post(url, headers=world.auth("admin"))).json()
    second = await client.post(url, headers=world.auth("admin"))
    assert second.status_code == 201 and second.json()["code"] != first["code"]
    async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as web:
        # Only the newest code works: the one handed before it is superseded.
        assert (await _sign_in(web, first["signin_path"], first["code"])).status_code == 401
        newest = second.json()
        assert (await _sign_in(web, newest["signin_path"], newest["code"])).status_code == 303

    async with unit_of_work(ctx.sessionmaker) as s:
        rows = await s.scalars(select(AuditEntry).where(AuditEntry.entity_id == str(user["id"])))
        entries = list(rows)
    trail = [(e.action, e.actor_id) for e in entries]
    admin = world.ids["admin"]
    assert ("user.create", admin) in trail and trail.count(("user.signin_code", admin)) == 3
    assert not any(code.replace("-", "") in str(e.data).replace("-", "") for e in entries)


async def test_account_errors_are_the_documented_ones(
    client: httpx.AsyncClient, world: World
) -> None:
    admin = world.auth("admin")
    missing_unit = {"full_name": "Ngô Thị Mới", "role": "cadre", "unit_id": 999_999}
    assert_error(await client.post("/api/v1/users", json=missing_unit, headers=admin), 404)
    bad_role = {"full_name": "Ngô Thị Mới", "role": "chief", "unit_id": world.commune_id}
    assert_error(await client.post("/api/v1/users", json=bad_role, headers=admin), 422)
    assert_error(await client.post("/api/v1/users/999999/signin-code", headers=admin), 404)
    assert_error(await client.post("/api/v1/users", json=missing_unit), 401)
    locked = world.ids["cadre2"]
    await client.patch(f"/api/v1/users/{locked}", json={"active": False}, headers=admin)
    refused = await client.post(f"/api/v1/users/{locked}/signin-code", headers=admin)
    assert "khóa" in assert_error(refused, 422)["message"]  # type: ignore[operator]

    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in ("/api/v1/users", "/api/v1/users/{user_id}/signin-code"):
        op = paths[path]["post"]
        assert "quản trị" in op["summary"] and "một lần" in op["description"]
        assert {"201", "401", "403", "404", "422"} <= set(op["responses"])
