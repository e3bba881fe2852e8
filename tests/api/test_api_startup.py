"""A restart serves at once (issues 10 and 13): `troly run`'s server answers /healthz and
searches (lexical-only, labelled so) while the model is still loading, /readyz is 503 with the
reason until the model is in and the index matches, then search turns hybrid without a
restart; the same while the index itself loads. Loads are held at a gate, not raced against a
sleep."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
import threading
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest
from apikit import World, build_world
from prometheus_client.parser import text_string_to_metric_families

from cli.run import _serve
from core.config import Settings
from core.context import AppContext
from core.db import create_engine, create_sessionmaker
from retrieval import service
from retrieval.model_install import find_model
from retrieval.store import IndexStore
from tests.gates import hold

QUESTION = {"query": "đăng ký khai sinh cho trẻ em", "k": 3}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _gauges(text: str) -> dict[str, float]:
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            values[f"{sample.name}{{{labels}}}"] = sample.value
    return values


async def _until(http: httpx.AsyncClient, url: str, status: int, within: float) -> httpx.Response:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        with contextlib.suppress(httpx.TransportError):
            response = await http.get(url)
            if response.status_code == status:
                return response
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{url} did not answer {status} within {within} s")
        await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def _served(
    settings: Settings, gate: threading.Event
) -> AsyncIterator[tuple[httpx.AsyncClient, World]]:
    """`troly run`'s server (API only) once it answers /healthz, and the test's people; the
    gate is released and the server stopped on the way out."""
    settings.api_port = _free_port()
    task = asyncio.create_task(_serve(settings, api=True, bot_enabled=False, workers=False))
    engine = create_engine(settings.resolved_database_url)
    base = f"http://127.0.0.1:{settings.api_port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=300) as http:
            alive = await _until(http, "/healthz", 200, within=120)
            assert alive.json() == {"status": "ok"} and not gate.is_set()
            fake_ctx = SimpleNamespace(sessionmaker=create_sessionmaker(engine))
            yield http, await build_world(cast(AppContext, fake_ctx))
    finally:
        gate.set()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await engine.dispose()


async def test_serves_lexical_while_the_model_loads_then_turns_hybrid(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    if find_model(settings) is None:
        pytest.skip(f"embedding model not built in {settings.resolved_models_dir}")
    gate = hold(monkeypatch, service, "load_embedder")
    settings.duplicate_similarity = 1.01
    async with _served(settings, gate) as (http, world):
        loading = await http.get("/readyz")
        assert loading.status_code == 503
        body = loading.json()
        assert body["checks"]["model"] == "loading"
        assert body["checks"]["search_mode"] == "lexical"
        assert any("model loading" in reason for reason in body["reasons"])

        lexical = await http.post("/api/v1/search", json=QUESTION, headers=world.auth("cadre"))
        assert lexical.status_code == 200, lexical.text
        assert lexical.json()["mode"] == "lexical" and lexical.json()["hits"]

        gauges = _gauges((await http.get("/metrics")).text)
        assert gauges["troly_model_loading{}"] == 1
        assert gauges["troly_search_mode{mode=lexical}"] == 1
        assert gauges["troly_searches_total{mode=lexical}"] >= 1

        gate.set()
        ready: dict[str, Any] = (await _until(http, "/readyz", 200, within=300)).json()
        assert ready["checks"]["search_mode"] == "hybrid"
        assert ready["checks"]["model"] == settings.embedding_model
        hybrid = await http.post("/api/v1/search", json=QUESTION, headers=world.auth("cadre"))
        assert hybrid.status_code == 200 and hybrid.json()["mode"] == "hybrid"
        gauges = _gauges((await http.get("/metrics")).text)
        assert gauges["troly_model_loading{}"] == 0
        assert gauges["troly_search_mode{mode=hybrid}"] == 1
        # What is loaded for good is kept off the collector's full passes (no request pauses
        # while a catch-up allocates a new index generation).
        assert gc.get_freeze_count() > 0


async def test_answers_at_once_while_the_index_loads_in_the_background(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 10: at 100k chunks loading the index took tens of seconds before the server
    answered anything. The load is held at a gate here: /healthz answers, /readyz says why
    it is not ready, and a search waits for the index instead of failing."""
    gate = hold(monkeypatch, IndexStore, "load")
    async with _served(settings, gate) as (http, world):
        loading = await http.get("/readyz")
        assert loading.status_code == 503
        assert loading.json()["checks"]["index"]["index_revision"] is None
        assert "Đang nạp chỉ mục tìm kiếm (index loading)." in loading.json()["reasons"]

        search = asyncio.create_task(
            http.post("/api/v1/search", json=QUESTION, headers=world.auth("cadre"))
        )
        await asyncio.sleep(0.5)
        assert not search.done()  # waits for the index rather than failing
        assert (await http.get("/healthz")).status_code == 200  # the loop stays free
        gate.set()
        answered = await search
        assert answered.status_code == 200 and answered.json()["hits"], answered.text
