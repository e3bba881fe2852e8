"""Two API processes sharing one database and one Redis (two app instances with their own
contexts here): an Idempotency-Key replays on the other one, concurrent duplicates sent to
both create one record, and a user's rate limit holds across both."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from apikit import build_world

from api.main import create_app
from core.config import Settings
from core.context import AppContext


@pytest.fixture
async def replicas(
    settings: Settings, redis_server: str, redis_prefix: str
) -> AsyncIterator[list[AppContext]]:
    shared = settings.model_copy(
        update={
            "redis_url": redis_server,
            "redis_prefix": redis_prefix,
            "duplicate_similarity": 1.01,
        }
    )
    contexts = [await AppContext.create(shared), await AppContext.create(shared, migrate=False)]
    yield contexts
    for ctx in contexts:
        await ctx.close()


def _client(ctx: AppContext) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(ctx)), base_url="http://t"
    )


async def test_idempotency_and_rate_limit_hold_across_replicas(
    replicas: list[AppContext],
) -> None:
    one, two = replicas
    assert one.shared.kind == two.shared.kind == "redis"
    world = await build_world(one)
    async with _client(one) as a, _client(two) as b:
        headers = {**world.auth("admin"), "Idempotency-Key": "moi-xa-1"}
        body = {"role": "cadre", "unit_id": world.commune_id, "uses": 5}
        first = await a.post("/api/v1/invites", json=body, headers=headers)
        again = await b.post("/api/v1/invites", json=body, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"

        # Concurrent duplicates spread over both replicas: one invite is created.
        headers = {**world.auth("admin"), "Idempotency-Key": "moi-xa-2"}
        answers = await asyncio.gather(
            *((a if i % 2 else b).post("/api/v1/invites", json=body, headers=headers)
              for i in range(6))
        )  # fmt: skip
        assert {r.status_code for r in answers} == {201}
        assert len({r.json()["code"] for r in answers}) == 1
        listed = await a.get("/api/v1/invites", headers=world.auth("admin"))
        assert listed.json()["total"] == 2

    for ctx in replicas:
        ctx.settings.api_rate_limit_per_minute = 3
    async with _client(one) as a, _client(two) as b:
        statuses = []
        for client in (a, b, a, b):
            r = await client.get("/api/v1/users/me", headers=world.auth("cadre"))
            statuses.append(r.status_code)
        assert statuses == [200, 200, 200, 429]
        assert int(r.headers["retry-after"]) >= 1
