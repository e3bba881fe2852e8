"""Shared fixtures: a fresh migrated database per test (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set), settings pointing at a temporary data dir, the real embedder."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.config import Settings
from core.db import Base, create_engine, create_sessionmaker
from core.migrate import upgrade

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_ADMIN_URL else [])
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


def _run(coro: Coroutine[Any, Any, None]) -> None:
    """Run set-up coroutines from sync session fixtures, even when a loop is already running."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per session; each test gets a copy."""
    path = tmp_path_factory.mktemp("db") / "template.db"

    async def build() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        await upgrade(engine)
        await engine.dispose()

    _run(build())
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database private to this test session, migrated once, dropped at the end."""
    if not PG_ADMIN_URL:
        pytest.skip("TEST_DATABASE_URL not set")
    name = f"troly_t_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    url = f"{base}/{name}"

    async def admin(sql: str) -> None:
        engine = create_engine(PG_ADMIN_URL)
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(sql))
        await engine.dispose()

    async def migrate() -> None:
        engine = create_engine(url)
        await upgrade(engine)
        await engine.dispose()

    _run(admin(f'CREATE DATABASE "{name}"'))
    _run(migrate())
    yield url
    _run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _reset_postgres(url: str) -> None:
    tables = [t.name for t in Base.metadata.sorted_tables if t.name != "knowledge_state"]
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        await conn.execute(text("UPDATE knowledge_state SET revision = 0"))
    await engine.dispose()


@pytest.fixture(params=BACKENDS)
async def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> AsyncIterator[str]:
    """URL of an empty, fully migrated database private to this test."""
    if request.param == "sqlite":
        path = tmp_path / "troly.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_database")
        await _reset_postgres(url)
        yield url


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture(scope="session")
def redis_server() -> str:
    """URL of a reachable Redis: TEST_REDIS_URL (CI sets it, and then it must answer), else the
    local default; skipped when neither answers."""
    import redis

    url = REDIS_URL or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        if REDIS_URL:
            raise
        pytest.skip(f"Redis not reachable at {url}")
    return url


@pytest.fixture
def redis_prefix(redis_server: str) -> Iterator[str]:
    """A key prefix private to one test; its keys are deleted afterwards."""
    import redis

    prefix = f"troly-test-{uuid.uuid4().hex[:10]}"
    yield prefix
    client = redis.Redis.from_url(redis_server)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """Built embedding models are shared by all tests (built once by `troly models install`)."""
    return Path(os.environ.get("TROLY_MODELS_DIR", REPO / "data" / "models")).resolve()


@pytest.fixture
def settings(tmp_path: Path, db_url: str, models_dir: Path) -> Settings:
    """Settings for one test: its own data dir and database, the shared model cache."""
    s = Settings(data_dir=tmp_path / "data", database_url=db_url, models_dir=models_dir)
    s.ensure_dirs()
    return s
