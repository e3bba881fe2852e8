"""The database a command works on: the configured one, migrated before the command reads it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.config import Settings, get_settings
from core.db import create_engine, create_sessionmaker
from core.migrate import upgrade

T = TypeVar("T")


async def on_database(
    work: Callable[[Settings, async_sessionmaker[AsyncSession]], Awaitable[T]],
) -> T:
    """Run `work` against the configured database (data folders made, schema migrated), then
    close its connections."""
    settings = get_settings()
    settings.ensure_dirs()
    engine = create_engine(settings.resolved_database_url)
    try:
        await upgrade(engine)
        return await work(settings, create_sessionmaker(engine))
    finally:
        await engine.dispose()
