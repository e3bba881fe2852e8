"""A .docx zip bomb uploaded to the API gets a 413 in seconds, writes nothing, and other
requests are served while an upload is being parsed (issue 10, defect 1)."""

from __future__ import annotations

import asyncio
import resource
import time

import httpx
from apikit import World, assert_error
from sqlalchemy import func, select

from core.audit.models import AuditEntry
from core.context import AppContext
from knowledge.models import Chunk, Document, DocumentVersion
from tests.hostile import docx_bomb

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def _rows(ctx: AppContext) -> tuple[int, int, int, int]:
    async with ctx.sessionmaker() as s:
        counts = [
            await s.scalar(select(func.count()).select_from(model))
            for model in (Document, DocumentVersion, Chunk)
        ]
        kb_audit = await s.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("kb.%"))
        )
    return (*(int(c or 0) for c in counts), int(kb_audit or 0))


async def test_zip_bomb_gets_413_and_writes_nothing(
    client: httpx.AsyncClient, ctx: AppContext, world: World
) -> None:
    bomb = docx_bomb(99)
    started = time.monotonic()
    response = await client.post(
        "/api/v1/knowledge/documents",
        files={"file": ("quy-che.docx", bomb, DOCX)},
        headers=world.auth("admin"),
    )
    elapsed = time.monotonic() - started
    error = assert_error(response, 413, "too_large")
    assert "giải nén" in str(error["message"])
    assert elapsed < 30
    assert await _rows(ctx) == (0, 0, 0, 0)


async def test_other_requests_are_served_while_a_file_is_parsed(
    client: httpx.AsyncClient, ctx: AppContext, world: World
) -> None:
    # Caps lifted so the parse really works for a while; only the worker's limits end it.
    ctx.settings.import_max_unpacked_bytes = 1 << 30
    ctx.settings.import_max_chars = 1 << 30
    ctx.settings.import_timeout_seconds = 6
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    upload = asyncio.create_task(
        client.post(
            "/api/v1/knowledge/documents",
            files={"file": ("quy-che.docx", docx_bomb(99), DOCX)},
            headers=world.auth("admin"),
        )
    )
    pings: list[float] = []
    while not upload.done():
        started = time.monotonic()
        me = await client.get("/api/v1/users/me", headers=world.auth("cadre"))
        assert me.status_code == 200
        pings.append(time.monotonic() - started)
        await asyncio.sleep(0.2)
    assert_error(await upload, 413, "too_large")
    assert len(pings) >= 5 and max(pings) < 5, pings
    # The bomb inflated in the child, not here.
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    assert grown_mb < 500
    assert await _rows(ctx) == (0, 0, 0, 0)
