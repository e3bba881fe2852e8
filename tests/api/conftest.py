"""API fixtures: a real AppContext (database + retriever) per test, the app over ASGI, and a
small world of units and one person per role, each with a bearer token."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from apikit import World, build_world
from fastapi import FastAPI

from api.main import create_app
from core.config import Settings
from core.context import AppContext


@pytest.fixture
async def ctx(settings: Settings) -> AsyncIterator[AppContext]:
    # Near-duplicate linking is the queue's own test subject; here every case stands alone.
    settings.duplicate_similarity = 1.01
    context = await AppContext.create(settings)
    yield context
    await context.close()


@pytest.fixture
def app(ctx: AppContext) -> FastAPI:
    return create_app(ctx)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@pytest.fixture
async def world(ctx: AppContext) -> World:
    return await build_world(ctx)
