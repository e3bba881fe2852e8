"""The composition root: long-lived objects every front (bot, API, CLI, workers) is given."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.config import Settings
from core.db import create_engine, create_sessionmaker
from core.inputs import configure as configure_inputs
from core.migrate import upgrade
from core.shared import SharedState, create_shared_state
from retrieval.service import Retriever


@dataclass
class AppContext:
    """Settings, database, retriever and the state replicas share, created once per process
    and passed in."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    retriever: Retriever
    # Rate-limit windows, idempotency records, locks: Redis when configured, else memory.
    shared: SharedState = field(init=False)

    def __post_init__(self) -> None:
        configure_inputs(self.settings)  # input limits follow this process's settings
        self.shared = create_shared_state(self.settings)

    @classmethod
    async def create(
        cls,
        settings: Settings,
        *,
        migrate: bool = True,
        sync_index: bool = True,
        model_in_background: bool = False,
    ) -> AppContext:
        """Open the database (migrating it to head), load the model and the search index
        (synced with the knowledge base, or with `sync_index=False` loaded from disk and
        caught up in the background, so the process serves at once; with
        `model_in_background` the model loads after this returns and search is lexical-only
        until then)."""
        settings.ensure_dirs()
        engine = create_engine(settings.resolved_database_url)
        if migrate:
            await upgrade(engine)
        sessionmaker = create_sessionmaker(engine)
        retriever = await Retriever.create(
            settings, sessionmaker, sync=sync_index, model_in_background=model_in_background
        )
        return cls(settings, engine, sessionmaker, retriever)

    async def close(self) -> None:
        """Release the database pool and the shared-state connection."""
        await self.shared.close()
        await self.engine.dispose()
