"""/healthz, /readyz and /metrics: readiness is false (503 with reasons) until the search index
matches the knowledge base, and /metrics is valid Prometheus text with the figures operators
need."""

from __future__ import annotations

import asyncio

import httpx
from apikit import World
from prometheus_client.parser import text_string_to_metric_families

from core.context import AppContext
from core.db import unit_of_work
from knowledge import service as kb_service
from knowledge.importers import parse_file

DOC = """---
title: Quy chế mẫu về tiếp công dân
---
Điều 1. Lịch tiếp công dân
Chủ tịch Ủy ban nhân dân xã tiếp công dân vào sáng thứ năm hằng tuần tại trụ sở.
"""


async def test_healthz_is_alive(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert len(r.headers["x-request-id"]) == 16  # generated, and logged with every line
    offered = await client.get("/healthz", headers={"X-Request-ID": "lb-42"})
    assert offered.headers["x-request-id"] == "lb-42"  # a proxy's id is carried through


async def test_readyz_is_false_until_the_index_matches(
    ctx: AppContext, client: httpx.AsyncClient
) -> None:
    ready = await client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["ready"] is True and ready.json()["checks"]["database"] == "ok"
    assert ready.json()["checks"]["search_mode"] in ("hybrid", "lexical")

    # The catch-up is held at a gate, as a long rebuild would be.
    gate = asyncio.Event()
    real_sync = ctx.retriever.catchup.sync

    async def held_sync() -> None:
        await gate.wait()
        await real_sync()

    ctx.retriever.catchup.sync = held_sync
    async with unit_of_work(ctx.sessionmaker) as session:
        await kb_service.import_parsed(session, parse_file(DOC.encode(), "tiep_dan.md"))

    behind = await client.get("/readyz")
    assert behind.status_code == 503
    body = behind.json()
    assert body["ready"] is False and body["checks"]["index"]["revisions_behind"] >= 1
    assert body["checks"]["index"]["catching_up"] is True
    assert any("Chỉ mục tìm kiếm chậm" in reason for reason in body["reasons"])

    gate.set()
    await ctx.retriever.catchup.start()
    caught_up = await client.get("/readyz")
    assert caught_up.status_code == 200 and caught_up.json()["reasons"] == []


async def test_metrics_parse_and_carry_the_figures(client: httpx.AsyncClient, world: World) -> None:
    cadre = world.auth("cadre")
    await client.post("/api/v1/search", json={"query": "nghỉ phép hằng năm"}, headers=cadre)
    created = await client.post(
        "/api/v1/cases", json={"question": "Xã xử lý đơn thư nặc danh thế nào?"}, headers=cadre
    )
    assert created.status_code == 201, created.text
    await client.get(f"/api/v1/cases/{created.json()['id']}", headers=cadre)

    r = await client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    for name in (
        "troly_http_request_duration_seconds",
        "troly_search_stage_seconds",
        "troly_cases",
        "troly_cases_overdue",
        "troly_outbox_pending",
        "troly_outbox_retrying",
        "troly_index_revisions_behind",
        "troly_search_mode",
        "process_resident_memory_bytes",
    ):
        assert name in families, name
    samples = [s for f in families.values() for s in f.samples]

    def value(name: str, **labels: str) -> float:
        found = [
            s.value for s in samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        ]  # fmt: skip
        assert found, (name, labels)
        return found[0]

    assert value("troly_cases", state="new") == 1
    assert value("troly_index_revisions_behind") == 0
    assert value("process_resident_memory_bytes") > 10_000_000
    # Routes are labelled by template, never by the concrete URL.
    routes = {s.labels.get("route") for s in samples if s.name.startswith("troly_http_request")}
    assert "/api/v1/cases/{case_id}" in routes
    assert f"/api/v1/cases/{created.json()['id']}" not in routes
    stages = {s.labels.get("stage") for s in samples if s.name.startswith("troly_search_stage")}
    assert "freshness" in stages
