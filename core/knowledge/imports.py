"""Import a file and reindex: the one use case behind the CLI, API, console and bot.

A front stages the upload (`core.knowledge.staging`), may `preview` it, then `submit`s an
import job (a row in `import_jobs`) and returns. A worker `claim`s the job with a
compare-and-set on its status (two replicas never run the same job; a job whose worker died is
claimed again once its lease has run out, and importing is idempotent by content hash) and
runs its `steps`: parse in the isolated child process, store the documents in batches of about
`BATCH_CHUNKS` passages (each batch commits with the job's counts, so a progress page reads
them; a larger document is staged that many passages per step and made visible whole in its
last step), bring the search index up to date, and end as done or failed with a Vietnamese
error.
The staged file is removed when the job ends; the bot's uploader hears the result through the
outbox. Jobs run in this process's background tasks (`start`, right after submitting) and in
`troly run`'s worker loop (`run_import_loop`), which also picks up jobs of other replicas.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.config import Settings
from core.db import unit_of_work, utcnow
from core.errors import DomainError, ErrorCode, not_found
from core.knowledge import texts
from core.knowledge.models import ImportJob, JobStatus
from core.knowledge.staging import discard, staged_path, staging_dir
from core.outbox.service import enqueue
from core.periodic import every
from core.users import service as users
from core.users.authz import require_admin
from core.users.models import User
from knowledge.importers import ParsedDocument
from knowledge.importers.base import DocumentMeta, apply_fields, override
from knowledge.importers.isolated import parse_upload
from knowledge.models import SCOPE_LABELS
from knowledge.store import (
    ImportResult,
    PlannedImport,
    discard_staged,
    import_parsed,
    needs_passages,
    plan_import,
    stage_passages,
    staged_count,
)

log = logging.getLogger(__name__)

# Passages stored per committed step: small enough for the progress to move, large enough
# that a 2,000-article file is a handful of transactions.
BATCH_CHUNKS = 200
# Files up to this size are imported while the console's request waits (a few seconds at
# most), larger ones in the background with a progress page; both go through a job.
WAIT_BYTES = 200_000
Fields = dict[str, Any]
# Seconds between commits of the index step's progress (and renewals of the job's lease).
INDEX_PROGRESS_SECONDS = 1.0


class Index(Protocol):
    """Brings the search index up to date (Retriever.sync), telling `progress(done, total)`."""

    def __call__(self, progress: Callable[[int, int], None] | None = None) -> Awaitable[None]: ...


@dataclass(frozen=True)
class Preview:
    """A staged file parsed for the preview: its documents and, for one, its next version."""

    documents: list[ParsedDocument]
    planned: PlannedImport | None


@dataclass(frozen=True)
class Step:
    """One committed step of a job: the job's row as committed, and what the step imported."""

    job: ImportJob
    results: list[ImportResult] = field(default_factory=list)


def _lease_end(settings: Settings, now: datetime | None = None) -> datetime:
    """When a lease taken or renewed at `now` (default: this instant) runs out: longer than
    the slowest step (the parse is capped by the import timeout)."""
    start = utcnow() if now is None else now
    return start + timedelta(seconds=max(300.0, 4 * settings.import_timeout_seconds))


def _renew(job: ImportJob, settings: Settings, now: datetime | None = None) -> None:
    """Extend the job's lease (or take it, for a job created claimed): its worker is alive
    and on it, so no other one claims it."""
    job.lease_until = _lease_end(settings, now)


async def read(
    settings: Settings, staged: str, owner_id: int, filename: str, fields: Fields
) -> list[ParsedDocument]:
    """Parse a staged file in the isolated child (time and memory caps) with the uploader's
    metadata over the file's."""
    documents = await parse_upload(staged_path(settings, staged, owner_id), filename, settings)
    override(documents, fields)
    return documents


async def preview(
    session: AsyncSession,
    settings: Settings,
    *,
    staged: str,
    owner_id: int,
    filename: str,
    fields: Fields,
) -> Preview:
    """What importing the staged file would do, read without writing."""
    documents = await read(settings, staged, owner_id, filename, fields)
    planned = await plan_import(session, documents[0]) if len(documents) == 1 else None
    return Preview(documents, planned)


def check_fields(fields: Fields) -> None:
    """Refuse bad metadata (an unknown scope, a malformed date) before a job is queued."""
    given = {k: v for k, v in fields.items() if v not in ("", None, [])}
    apply_fields(DocumentMeta(title="-"), given)


async def submit(
    session: AsyncSession,
    settings: Settings,
    *,
    actor: User | None,
    staged: str,
    filename: str,
    fields: Fields | None = None,
    notify: bool = False,
    run_here: bool = False,
) -> ImportJob:
    """Queue the import of a staged file (flushed in the caller's transaction). `actor=None` is
    the system (CLI); otherwise an admin, who must own the staged file. With `run_here` the job
    is created already claimed: the caller runs it (`run_job`) and no worker takes it."""
    if actor is not None:
        require_admin(actor)
    staged_path(settings, staged, actor.id if actor else 0)
    fields = {k: v for k, v in (fields or {}).items() if v not in ("", None, [])}
    check_fields(fields)
    job = ImportJob(
        filename=filename,
        staged=staged,
        fields=fields,
        actor_id=actor.id if actor else None,
        notify=notify,
    )
    if run_here:
        now = utcnow()
        job.status, job.attempts, job.started_at = JobStatus.RUNNING, 1, now
        _renew(job, settings, now)
    session.add(job)
    await session.flush()
    return job


async def get_job(session: AsyncSession, *, job_id: int, actor: User) -> ImportJob:
    """An import job, for its progress page (admins only)."""
    require_admin(actor)
    job = await session.get(ImportJob, job_id, populate_existing=True)
    if job is None:
        raise not_found("lượt nhập này")
    return job


async def recent(session: AsyncSession, *, actor: User, limit: int = 5) -> list[ImportJob]:
    """The latest import jobs, newest first (the knowledge-base page links their progress)."""
    require_admin(actor)
    rows = await session.scalars(select(ImportJob).order_by(ImportJob.id.desc()).limit(limit))
    return list(rows)


# A claimed job starts over: importing is idempotent, so a re-run after a crash is safe.
_FRESH: dict[str, Any] = {
    "error": None, "error_code": None, "documents_total": 0, "documents_done": 0,
    "articles_parsed": 0, "chunks_total": 0, "chunks_indexed": 0, "outcome": {},
    "document_id": None, "title": None,
}  # fmt: skip


def _claimable(now: Any) -> ColumnElement[bool]:
    return or_(
        ImportJob.status == JobStatus.QUEUED,
        and_(ImportJob.status == JobStatus.RUNNING, ImportJob.lease_until < now),
    )


async def claim(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, job_id: int | None = None
) -> int | None:
    """Take the oldest claimable job (or `job_id`) for this worker; None when there is none.

    A compare-and-set on the status: of two workers updating the same row, the second sees
    the first's commit and matches nothing (PostgreSQL re-checks the condition after the row
    lock; SQLite serialises writers)."""
    now = utcnow()
    async with unit_of_work(sessionmaker) as session:
        stmt = select(ImportJob.id).where(_claimable(now)).order_by(ImportJob.id).limit(5)
        if job_id is not None:
            stmt = stmt.where(ImportJob.id == job_id)
        for candidate in (await session.scalars(stmt)).all():
            taken = await session.execute(
                update(ImportJob)
                .where(ImportJob.id == candidate, _claimable(now))
                .values(
                    status=JobStatus.RUNNING,
                    attempts=ImportJob.attempts + 1,
                    lease_until=_lease_end(settings, now),
                    started_at=now,
                    **_FRESH,
                )
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                return candidate
    return None


def _batches(documents: list[ParsedDocument]) -> list[list[ParsedDocument]]:
    batches: list[list[ParsedDocument]] = [[]]
    size = 0
    for doc in documents:
        if batches[-1] and size + len(doc.chunks) > BATCH_CHUNKS:
            batches.append([])
            size = 0
        batches[-1].append(doc)
        size += len(doc.chunks)
    return batches


async def _row(session: AsyncSession, job_id: int) -> ImportJob:
    job = await session.get(ImportJob, job_id, populate_existing=True)
    assert job is not None
    return job


async def _scope(session: AsyncSession, fields: Fields) -> str | None:
    scope = str(fields.get("scope") or "")
    if not scope:
        return None
    unit_id = int(fields.get("scope_unit_id") or 0)
    unit = await users.get_unit(session, unit_id=unit_id) if unit_id else None
    return SCOPE_LABELS.get(scope, scope) + (f" ({unit.name})" if unit else "")


def _prefix(job_id: int) -> str:
    """What the job's staged passages are named after (`_store_large`)."""
    return f"import-{job_id}:"


async def _store(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    job_id: int,
    batch: list[ParsedDocument],
    *,
    staged: str | None = None,
    counted: int = 0,
) -> Step:
    """Import a batch of documents in one transaction with the job's counts (`counted` of
    their passages were counted by earlier steps)."""
    async with unit_of_work(sessionmaker) as session:
        job = await _row(session, job_id)
        actor = await session.get(User, job.actor_id) if job.actor_id is not None else None
        results = [await import_parsed(session, d, actor=actor, staged=staged) for d in batch]
        job.documents_done += len(batch)
        job.chunks_indexed += sum(len(d.chunks) for d in batch) - counted
        tally = Counter(job.outcome) + Counter(r.status for r in results)
        job.outcome = dict(tally)
        job.document_id, job.title = results[-1].document_id, results[-1].title
        _renew(job, settings)
    return Step(job, results)


async def _store_large(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    job_id: int,
    position: int,
    doc: ParsedDocument,
) -> AsyncIterator[Step]:
    """A document of more than `BATCH_CHUNKS` passages: they are staged that many per committed
    step (the job counts them), and the last step imports the document from them in one
    transaction, so search, listings and the revision see it only whole. A job claimed again
    after its worker died goes on after the passages already staged (named by the document's
    place in the file and content); `_end` removes whatever a failed job staged."""
    batch = f"{_prefix(job_id)}{position}:{doc.content_hash[:16]}"
    async with unit_of_work(sessionmaker) as session:
        large = needs_passages(await plan_import(session, doc))  # not a no-op re-import
        stored = await staged_count(session, batch) if large else 0
    counted = 0
    while large and len(doc.chunks) - stored > BATCH_CHUNKS:
        async with unit_of_work(sessionmaker) as session:
            stored = await stage_passages(session, batch, doc, stored + BATCH_CHUNKS)
            job = await _row(session, job_id)
            job.chunks_indexed += stored - counted
            _renew(job, settings)
        counted = stored
        yield Step(job)
    yield await _store(
        sessionmaker, settings, job_id, [doc], staged=batch if large else None, counted=counted
    )


async def _end(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    job_id: int,
    error: DomainError | None,
) -> ImportJob:
    """Mark the job done or failed, tell the uploader if asked, remove the staged file."""
    async with unit_of_work(sessionmaker) as session:
        job = await _row(session, job_id)
        job.status = JobStatus.FAILED if error else JobStatus.DONE
        job.error = error.message if error else None
        job.error_code = error.code.name if error else None
        job.finished_at = utcnow()
        job.lease_until = None
        await discard_staged(session, _prefix(job_id))  # a document left half-staged
        if job.notify and job.actor_id is not None:
            text = texts.result(job, await _scope(session, job.fields))
            await enqueue(
                session, user_id=job.actor_id, text=text, idempotency_key=f"kb-import-{job.id}"
            )
    discard(settings, job.staged)
    return job


async def steps(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    job_id: int,
    index: Index | None,
) -> AsyncIterator[Step]:
    """Run a claimed job, yielding after each committed step: parsed, each stored batch, and
    the end. `index` brings the search index up to date (None: the caller does it later)."""
    async with unit_of_work(sessionmaker) as session:
        job = await _row(session, job_id)
        staged, filename, fields = job.staged, job.filename, job.fields
    try:
        if not (staging_dir(settings) / staged).is_file():
            raise DomainError(ErrorCode.NOT_FOUND, texts.FILE_GONE)
        documents = await parse_upload(staging_dir(settings) / staged, filename, settings)
        override(documents, fields)
        async with unit_of_work(sessionmaker) as session:
            job = await _row(session, job_id)
            job.documents_total = len(documents)
            job.articles_parsed = sum(d.articles for d in documents)
            job.chunks_total = sum(len(d.chunks) for d in documents)
        yield Step(job)
        position = 0
        for batch in _batches(documents):
            if len(batch[0].chunks) > BATCH_CHUNKS:  # alone in its batch
                async for step in _store_large(sessionmaker, settings, job_id, position, batch[0]):
                    yield step
            else:
                yield await _store(sessionmaker, settings, job_id, batch)
            position += len(batch)
        if index is not None:
            await _index(sessionmaker, settings, job_id, index)
    except DomainError as exc:
        yield Step(await _end(sessionmaker, settings, job_id, exc))
        return
    except Exception:
        log.exception("import job %s failed", job_id)
        unexpected = DomainError(ErrorCode.UNAVAILABLE, texts.UNEXPECTED)
        yield Step(await _end(sessionmaker, settings, job_id, unexpected))
        return
    yield Step(await _end(sessionmaker, settings, job_id, None))


async def _index(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, job_id: int, index: Index
) -> None:
    """The index step: while the search index takes in the new passages (a minute for a
    2,000-article law), its count is committed about every second and the lease renewed."""
    heard: list[tuple[int, int]] = []
    task = asyncio.ensure_future(index(progress=lambda done, total: heard.append((done, total))))
    while heard or not task.done():
        if not task.done():
            await asyncio.wait({task}, timeout=INDEX_PROGRESS_SECONDS)
        if heard:
            latest = heard[-1]
            heard.clear()  # before committing: more may arrive meanwhile
            async with unit_of_work(sessionmaker) as session:
                job = await _row(session, job_id)
                job.index_done, job.index_total = latest
                _renew(job, settings)
    await task  # its failure ends the job as failed


async def run_job(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    job_id: int,
    index: Index | None,
) -> Step:
    """Run a claimed job to its end: its final row and every document's result."""
    last: ImportJob | None = None
    results: list[ImportResult] = []
    async for step in steps(sessionmaker, settings, job_id, index):
        last = step.job
        results.extend(step.results)
    assert last is not None
    return Step(last, results)


def small(settings: Settings, staged: str) -> bool:
    """Whether a staged file is small enough (`WAIT_BYTES`) to import while a request waits."""
    return (staging_dir(settings) / staged).stat().st_size <= WAIT_BYTES


async def run_pending(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, index: Index | None
) -> int:
    """Claim and run jobs until none is left; how many ran."""
    ran = 0
    while (job_id := await claim(sessionmaker, settings)) is not None:
        await run_job(sessionmaker, settings, job_id, index)
        ran += 1
    return ran


_RUNNING: set[asyncio.Task[int]] = set()


def start(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, index: Index | None
) -> asyncio.Task[int]:
    """Run queued jobs in a background task of this process (the request returns at once)."""
    task = asyncio.create_task(run_pending(sessionmaker, settings, index), name="kb-import")
    _RUNNING.add(task)  # asyncio keeps only weak references to tasks
    task.add_done_callback(_RUNNING.discard)
    return task


async def drain() -> None:
    """Wait for this process's background import tasks (tests, shutdown)."""
    while _RUNNING:
        await asyncio.gather(*_RUNNING, return_exceptions=True)


async def run_import_loop(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    index: Index | None,
    stop: asyncio.Event,
) -> None:
    """`troly run`'s worker: run queued jobs (and jobs whose worker died) until `stop`."""
    await every(
        settings.worker_interval_seconds, lambda: run_pending(sessionmaker, settings, index), stop,
        "import worker",
    )  # fmt: skip
