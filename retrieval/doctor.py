"""Health checks behind `troly doctor`: database, migrations, model, index freshness.

Read-only: it reports what is wrong and never rebuilds anything itself.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select, text

from core.config import Settings
from core.db import create_engine
from knowledge.models import Chunk, KnowledgeState
from retrieval.store import IndexStore


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report."""

    name: str
    level: Literal["ok", "warn", "fail"]
    detail: str


def _head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    from core.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def diagnose(settings: Settings) -> list[Check]:
    """Every check, in the order a person would fix them."""
    checks: list[Check] = []
    db_revision: int | None = None
    active_chunks = 0
    engine = create_engine(settings.resolved_database_url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            checks.append(Check("database", "ok", engine.url.render_as_string(hide_password=True)))
            head = _head_revision()
            try:
                current = await conn.scalar(text("SELECT version_num FROM alembic_version"))
            except Exception:
                current = None
            if current is None:
                checks.append(Check("migrations", "fail", "not migrated: run `troly migrate`"))
            elif current != head:
                checks.append(Check("migrations", "warn", f"at {current}, head is {head}"))
            else:
                checks.append(Check("migrations", "ok", f"at head ({current})"))
                db_revision = await conn.scalar(
                    select(KnowledgeState.revision).where(KnowledgeState.id == 1)
                )
                active_chunks = int(
                    await conn.scalar(
                        select(func.count()).select_from(Chunk).where(Chunk.active.is_(True))
                    )
                    or 0
                )
    except Exception as exc:
        checks.append(Check("database", "fail", f"unreachable: {exc.__class__.__name__}: {exc}"))
    finally:
        await engine.dispose()

    from retrieval.embedder import load_embedder

    embedder = await asyncio.to_thread(load_embedder, settings)
    if embedder is None:
        checks.append(
            Check(
                "model",
                "warn",
                f"{settings.embedding_model} not installed: search is LEXICAL-ONLY (BM25). "
                "Run `troly models install`.",
            )
        )
    else:
        checks.append(Check("model", "ok", f"{settings.embedding_model} ({embedder.dim} dims)"))

    manifest = IndexStore(settings.index_dir).manifest()
    if manifest is None:
        checks.append(Check("index", "warn", "no index yet: it is built on first start"))
    else:
        rev, count, model = manifest.get("revision"), manifest.get("count"), manifest.get("model")
        detail = f"{count} chunks, revision {rev}, {'dense ' + str(model) if model else 'lexical'}"
        if db_revision is not None and rev != (db_revision or 0):
            checks.append(
                Check(
                    "index",
                    "warn",
                    f"{detail}; database is at revision {db_revision or 0} "
                    "(synced automatically before the next search)",
                )
            )
        elif embedder is not None and model != settings.embedding_model:
            checks.append(
                Check("index", "warn", f"{detail}; dense vectors missing (rebuilt on start)")
            )
        else:
            checks.append(Check("index", "ok", f"{detail}; {active_chunks} active chunks in DB"))
    return checks
