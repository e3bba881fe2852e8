"""Safe retries: repeated actions return the same result, and an Idempotency-Key on a create
request replays the first response instead of creating twice."""

from __future__ import annotations

import asyncio

import httpx
from apikit import World, assert_error
from apistate import new_case, proposal

from core.context import AppContext


async def test_claim_twice_by_the_same_supervisor_is_the_same_result(
    client: httpx.AsyncClient, ctx: AppContext, world: World
) -> None:
    case_id = await new_case(ctx, world)
    url = f"/api/v1/cases/{case_id}/claim"
    first = await client.post(url, headers=world.auth("supervisor"))
    second = await client.post(url, headers=world.auth("supervisor"))
    assert first.status_code == second.status_code == 200
    assert first.json()["assignee_id"] == second.json()["assignee_id"] == world.ids["supervisor"]
    assert first.json()["claimed_at"] == second.json()["claimed_at"]
    # Someone else is told who has it.
    taken = assert_error(await client.post(url, headers=world.auth("admin")), 409, "conflict")
    assert "Lê Phụ Trách" in str(taken["message"])
    history = await client.get(f"/api/v1/cases/{case_id}/history", headers=world.auth("admin"))
    assert [e["action"] for e in history.json()].count("case.claim") == 1


async def test_repeated_withdraw_revoke_and_approve_are_harmless(
    client: httpx.AsyncClient, ctx: AppContext, world: World
) -> None:
    case_id = await new_case(ctx, world)
    for _ in range(2):
        r = await client.post(f"/api/v1/cases/{case_id}/withdraw", headers=world.auth("cadre"))
        assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    made = await client.post(
        "/api/v1/invites",
        json={"role": "cadre", "unit_id": world.commune_id},
        headers=world.auth("admin"),
    )
    invite_id = made.json()["id"]
    for _ in range(2):
        r = await client.post(f"/api/v1/invites/{invite_id}/revoke", headers=world.auth("admin"))
        assert r.status_code == 200 and r.json()["uses_left"] == 0
    proposal_id = await proposal(ctx, world)
    url = f"/api/v1/precedents/{proposal_id}/approve"
    approvals = [
        await client.post(url, json={"scope": "unit"}, headers=world.auth("admin"))
        for _ in range(2)
    ]
    assert [a.status_code for a in approvals] == [200, 200]
    assert approvals[0].json()["document_id"] == approvals[1].json()["document_id"] is not None


async def test_idempotency_key_replays_the_first_response(
    client: httpx.AsyncClient, world: World
) -> None:
    admin = {**world.auth("admin"), "Idempotency-Key": "moi-xa-tan-phu-1"}
    body = {"role": "cadre", "unit_id": world.commune_id, "uses": 30}
    first = await client.post("/api/v1/invites", json=body, headers=admin)
    again = await client.post("/api/v1/invites", json=body, headers=admin)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    listed = await client.get("/api/v1/invites", headers=world.auth("admin"))
    assert listed.json()["total"] == 1

    changed = await client.post("/api/v1/invites", json={**body, "uses": 2}, headers=admin)
    assert_error(changed, 409, "conflict")
    # The key is per caller: the same key from another admin token is a different request.
    other = await client.post(
        "/api/v1/invites",
        json=body,
        headers={
            "Authorization": admin["Authorization"] + "x",
            "Idempotency-Key": "moi-xa-tan-phu-1",
        },
    )
    assert other.status_code == 401
    # Without a key, a retry creates a second invite: the key is what makes it safe.
    await client.post("/api/v1/invites", json=body, headers=world.auth("admin"))
    listed = await client.get("/api/v1/invites", headers=world.auth("admin"))
    assert listed.json()["total"] == 2


async def test_concurrent_duplicates_create_one_case(
    client: httpx.AsyncClient, world: World
) -> None:
    headers = {**world.auth("cadre"), "Idempotency-Key": "case-dat-dai-42"}
    body = {"question": "Hộ dân tự ý chuyển đất lúa sang đất ở, xã xử lý thế nào?"}
    responses = await asyncio.gather(
        *(client.post("/api/v1/cases", json=body, headers=headers) for _ in range(5))
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    mine = await client.get("/api/v1/cases", headers=world.auth("cadre"))
    assert mine.json()["total"] == 1


async def test_invalid_idempotency_key(client: httpx.AsyncClient, world: World) -> None:
    r = await client.post(
        "/api/v1/invites",
        json={"role": "cadre", "unit_id": world.commune_id},
        headers={**world.auth("admin"), "Idempotency-Key": "k" * 201},
    )
    assert_error(r, 422, "invalid")
