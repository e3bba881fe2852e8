"""Issue 11 #9: one document larger than a batch is stored in committed steps with progress,
and nothing of it is visible (listing, versions, revision, index, search) before its last step.

BATCH_CHUNKS is 10 here and the law has 35 articles (one passage each): the job stages 10, 20,
30 passages in three committed steps and imports the document whole in the fourth.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import func, select

from core.context import AppContext
from core.db import unit_of_work
from core.knowledge import imports
from core.knowledge.models import ImportJob
from core.knowledge.staging import stage
from knowledge import queries
from knowledge.models import Chunk, Document, DocumentVersion, StagedPassage
from retrieval import building
from retrieval.models import SearchRequest
from retrieval.source import read_view
from tests.web.conftest import World, login

ARTICLES = 35
TITLE = "Luật thử nghiệm về quản lý đê điều thôn bản"
QUESTION = "gia cố đê điều thôn bản"


def law(wording: str = "gia cố") -> bytes:
    rows = [
        {
            "id": f"DD#{n}",
            "document": TITLE,
            "article": str(n),
            "title": f"Quy định {n}",
            "text": f"Ủy ban nhân dân xã tổ chức {wording} đê điều thôn bản theo quy định {n}.",
        }
        for n in range(1, ARTICLES + 1)
    ]
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports, "BATCH_CHUNKS", 10)


async def _queue(ctx: AppContext, data: bytes) -> int:
    staged = await stage(ctx.settings, data, "luat-de-dieu.jsonl", 0)
    async with unit_of_work(ctx.sessionmaker) as session:
        job = await imports.submit(
            session, ctx.settings, actor=None, staged=staged, filename="luat-de-dieu.jsonl",
            fields={"scope": "national"},
        )  # fmt: skip
        return job.id


async def _count(ctx: AppContext, model: type[object]) -> int:
    async with unit_of_work(ctx.sessionmaker) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _seen(ctx: AppContext) -> tuple[int, int, list[str], int]:
    """What a reader sees of the law: its documents listed, its versions, the titles of the
    passages search finds for it, and the knowledge-base revision."""
    async with unit_of_work(ctx.sessionmaker) as session:
        listed = await queries.list_documents(session, search=TITLE)
        versions = await session.scalar(
            select(func.count())
            .select_from(DocumentVersion)
            .join(Document)
            .where(Document.title == TITLE)
        )
        revision = await queries.current_revision(session)
    hits = await ctx.retriever.search(SearchRequest(query=QUESTION, k=3))
    return listed.total, int(versions or 0), [h.document_title for h in hits.hits], revision


async def test_a_large_document_is_stored_in_steps_and_seen_only_whole(
    client: httpx.AsyncClient, ctx: AppContext, people: World
) -> None:
    await login(client, str(people.people["admin"].token), "/kb")
    bearer = {"Authorization": f"Bearer {people.people['admin'].token}"}
    before = await _seen(ctx)
    assert before[:3] == (0, 0, [])
    indexed = len((await read_view(ctx.sessionmaker)).rows)
    job_id = await _queue(ctx, law())
    assert await imports.claim(ctx.sessionmaker, ctx.settings) == job_id
    steps = imports.steps(ctx.sessionmaker, ctx.settings, job_id, ctx.retriever.sync)
    parsed = await anext(steps)
    assert (parsed.job.chunks_total, parsed.job.chunks_indexed) == (ARTICLES, 0)

    for stored in (10, 20, 30):  # committed steps of staged passages
        step = await anext(steps)
        assert (step.job.chunks_indexed, step.job.documents_done, step.results) == (stored, 0, [])
        panel = (await client.get(f"/kb/imports/{job_id}/progress")).text
        assert f"0/1 văn bản, {stored}/{ARTICLES} đoạn" in panel, panel
        assert "Đang lưu vào kho tri thức…" in panel
        api = await client.get(f"/api/v1/knowledge/imports/{job_id}", headers=bearer)
        assert (api.json()["phase"], api.json()["chunks_indexed"]) == ("storing", stored)
        assert await _count(ctx, StagedPassage) == stored
        # A concurrent reader sees none of it: not listed, no version, same revision, not
        # in what the index is built from, not found by search.
        assert await _seen(ctx) == before
        view = await read_view(ctx.sessionmaker)
        assert len(view.rows) == indexed and TITLE not in {d.title for d in view.docs.values()}

    last = await anext(steps)  # the remainder, and the document made visible whole
    assert (last.job.chunks_indexed, last.job.documents_done) == (ARTICLES, 1)
    assert [r.status for r in last.results] == ["created"]
    panel = (await client.get(f"/kb/imports/{job_id}/progress")).text
    assert f"1/1 văn bản, {ARTICLES}/{ARTICLES} đoạn" in panel
    assert "Đang cập nhật chỉ mục tìm kiếm…" in panel  # the index step comes next
    listed, versions, _hits, revision = await _seen(ctx)
    assert (listed, versions, revision) == (1, 1, before[3] + 1)  # one bump, when visible
    assert await _count(ctx, Chunk) == ARTICLES and await _count(ctx, StagedPassage) == 0

    ended = await anext(steps)
    assert ended.job.status == "done" and ended.job.outcome == {"created": 1}
    assert TITLE in (await _seen(ctx))[2]  # searchable once the index caught up
    page = (await client.get(f"/kb/imports/{job_id}")).text
    assert f"“{TITLE}” đã thêm mới, {ARTICLES} điều, {ARTICLES} đoạn" in page

    # A changed text: version 1 is served until version 2 is complete.
    job_id = await _queue(ctx, law("nạo vét"))
    await imports.claim(ctx.sessionmaker, ctx.settings, job_id)
    steps = imports.steps(ctx.sessionmaker, ctx.settings, job_id, ctx.retriever.sync)
    await anext(steps)
    served = await _seen(ctx)
    for _ in range(3):
        await anext(steps)
        assert await _seen(ctx) == served and served[1] == 1 and TITLE in served[2]
    last = await anext(steps)
    assert [(r.status, r.version_number) for r in last.results] == [("new_version", 2)]
    async for _ in steps:
        pass
    async with unit_of_work(ctx.sessionmaker) as session:
        active = await session.scalar(select(func.count()).select_from(Chunk).where(Chunk.active))
        assert active == ARTICLES
    assert await _count(ctx, Chunk) == 2 * ARTICLES  # version 1's kept for audit


async def test_a_job_killed_midway_is_claimed_again_and_ends_with_one_whole_version(
    ctx: AppContext,
) -> None:
    job_id = await _queue(ctx, law())
    assert await imports.claim(ctx.sessionmaker, ctx.settings) == job_id
    steps = imports.steps(ctx.sessionmaker, ctx.settings, job_id, ctx.retriever.sync)
    for _ in range(3):  # parsed, 10 staged, 20 staged
        await anext(steps)
    await steps.aclose()  # the worker dies: nothing more runs, nothing is cleaned up
    assert await _count(ctx, StagedPassage) == 20 and await _count(ctx, Document) == 0
    assert await imports.claim(ctx.sessionmaker, ctx.settings) is None  # its lease holds
    async with unit_of_work(ctx.sessionmaker) as session:
        job = await session.get(ImportJob, job_id)
        assert job is not None
        job.lease_until = job.created_at  # ... until it runs out

    assert await imports.claim(ctx.sessionmaker, ctx.settings) == job_id
    counts = [
        s.job.chunks_indexed
        async for s in imports.steps(ctx.sessionmaker, ctx.settings, job_id, ctx.retriever.sync)
    ]
    # Parsed, then on from the 20 passages already staged, then the rest and the end.
    assert counts == [0, 30, ARTICLES, ARTICLES]
    async with unit_of_work(ctx.sessionmaker) as session:
        job = await session.get(ImportJob, job_id)
        assert job is not None
        assert (job.status, job.attempts, job.outcome) == ("done", 2, {"created": 1})
        ordinals = list(await session.scalars(select(Chunk.ordinal).order_by(Chunk.id)))
    assert ordinals == list(range(ARTICLES))  # each passage once, in order
    assert await _count(ctx, Document) == 1 and await _count(ctx, DocumentVersion) == 1
    assert await _count(ctx, StagedPassage) == 0


async def test_a_job_that_fails_midway_leaves_nothing_staged(ctx: AppContext) -> None:
    job_id = await _queue(ctx, law())
    async with unit_of_work(ctx.sessionmaker) as session:
        job = await session.get(ImportJob, job_id)
        assert job is not None
        job.fields = {"scope": "unit", "scope_unit_id": "999999"}  # refused when storing
    await imports.claim(ctx.sessionmaker, ctx.settings)
    ended = await imports.run_job(ctx.sessionmaker, ctx.settings, job_id, ctx.retriever.sync)
    assert ended.job.status == "failed"
    assert ended.job.error == "Không tìm thấy đơn vị phạm vi áp dụng."
    assert await _count(ctx, StagedPassage) == 0 and await _count(ctx, Document) == 0


async def test_the_index_step_commits_how_far_it_has_got(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index step took a minute for a 2,000-article law with nothing to show: the job now
    counts the passages the search index has taken in, committed as it goes."""
    monkeypatch.setattr(building, "_BATCH", 8)
    monkeypatch.setattr(imports, "INDEX_PROGRESS_SECONDS", 0.01)
    seen: list[tuple[int, int]] = []

    async def index(progress: Callable[[int, int], None] | None = None) -> None:
        def both(done: int, total: int) -> None:
            seen.append((done, total))
            assert progress is not None
            progress(done, total)

        await ctx.retriever.sync(progress=both)

    job_id = await _queue(ctx, law())
    await imports.claim(ctx.sessionmaker, ctx.settings)
    ended = await imports.run_job(ctx.sessionmaker, ctx.settings, job_id, index)
    assert ended.job.status == "done"
    assert seen == [(8, 35), (16, 35), (24, 35), (32, 35), (35, 35)]
    assert (ended.job.index_done, ended.job.index_total) == (35, 35)

    # How the progress page, the CLI and the bot word it while the step runs.
    ended.job.status, ended.job.index_done = "running", 16
    assert ended.job.phase_label == "Đang cập nhật chỉ mục tìm kiếm… (16/35 đoạn)"
