"""Knowledge base: everyone signed in may read it (as in the API); admins upload with a parsed
preview (where scope, unit, issuer, number, dates and positions are confirmed), edit that
metadata later, compare versions, retire documents and reindex with progress."""

from __future__ import annotations

import asyncio
import difflib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from api.deps import SessionDep, end_transaction, publish_to_search
from api.web.common import Actor, Viewer, WebRoute, ctx_of, redirect, render
from core.context import AppContext
from core.errors import DomainError, ErrorCode, invalid
from core.inputs import Id, Line
from core.knowledge import imports, staging, texts
from core.knowledge.models import JOB_STATUS_LABELS, JobStatus
from core.users import service as users
from core.users.authz import is_admin, require_admin
from knowledge import service as kb
from knowledge.importers import ACCEPTED_TYPES
from knowledge.importers.base import DocumentMeta
from knowledge.models import KIND_LABELS, SCOPE_LABELS

router = APIRouter(route_class=WebRoute)

_DIFF_MAX_LINES = 4000
DONE = {"meta": "Đã lưu thông tin văn bản; tìm kiếm đã áp dụng phạm vi mới."}


@dataclass
class ReindexJob:
    """Progress of a background index sync started from the console."""

    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    error: str = ""
    task: asyncio.Task[None] | None = None


def meta_form(
    scope: Annotated[Line, Form()] = "",
    scope_unit_id: Annotated[Line, Form()] = "",
    number: Annotated[Line, Form(max_length=100)] = "",
    issuer: Annotated[Line, Form(max_length=200)] = "",
    issued_on: Annotated[Line, Form(max_length=20)] = "",
    effective_from: Annotated[Line, Form(max_length=20)] = "",
    expires_on: Annotated[Line, Form(max_length=20)] = "",
    positions: Annotated[Line, Form(max_length=2000)] = "",
) -> dict[str, str | list[str]]:
    """The document metadata fields of the preview and edit forms (validated by knowledge)."""
    return {
        "scope": scope, "scope_unit_id": scope_unit_id, "number": number, "issuer": issuer,
        "issued_on": issued_on, "effective_from": effective_from, "expires_on": expires_on,
        "positions": positions,
    }  # fmt: skip


MetaForm = Annotated[dict[str, str | list[str]], Depends(meta_form)]


@router.get("/kb")
async def kb_list(
    request: Request,
    auth: Viewer,
    session: SessionDep,
    q: Line = "",
    kind: Line = "",
    status: Line = "active",
    page: Id = 1,
) -> HTMLResponse:
    """Documents with filters, knowledge-base statistics and the index status."""
    ctx = ctx_of(request)
    size = 30
    page = max(page, 1)
    state = status if status in ("active", "retired", "all") else "active"
    listing = await kb.list_documents(
        session,
        kind=kind or None,
        status=state,  # type: ignore[arg-type]
        search=q or None,
        limit=size,
        offset=(page - 1) * size,
    )
    counts = await kb.chunk_counts(session, document_ids=[d.id for d in listing.items])
    stats = await kb.stats(session)
    jobs = await imports.recent(session, actor=auth.user) if is_admin(auth.user) else []
    return render(
        request,
        "kb_list.html",
        auth,
        listing=listing,
        counts=counts,
        stats=stats,
        index=ctx.retriever.status(),
        q=q,
        kind=kind,
        status=state,
        page=page,
        pages=max(1, -(-listing.total // size)),
        kinds=KIND_LABELS,
        suffixes=ACCEPTED_TYPES,
        jobs=jobs,
        job_labels=JOB_STATUS_LABELS,
    )


@router.post("/kb/upload")
async def kb_upload(
    request: Request,
    auth: Actor,
    session: SessionDep,
    file: Annotated[UploadFile, File()],
    kind: Annotated[Line, Form()] = "",
) -> HTMLResponse:
    """Parse an uploaded file and show its structure before anything is stored."""
    require_admin(auth.user)
    ctx = ctx_of(request)
    if kind and kind not in KIND_LABELS:
        raise invalid("Loại văn bản không hợp lệ.")
    filename = Path(file.filename or "").name
    data = await file.read(ctx.settings.max_upload_bytes + 1)
    if len(data) > ctx.settings.max_upload_bytes:
        raise DomainError(ErrorCode.TOO_LARGE)
    staged = await staging.stage(ctx.settings, data, filename, auth.user.id)
    try:
        seen = await imports.preview(
            session, ctx.settings, staged=staged, owner_id=auth.user.id,
            filename=filename, fields={"kind": kind},
        )  # fmt: skip
    except BaseException:
        staging.discard(ctx.settings, staged)
        raise
    return render(
        request,
        "kb_preview.html",
        auth,
        documents=seen.documents,
        parsed=seen.documents[0] if len(seen.documents) == 1 else None,
        planned=seen.planned,
        blank=DocumentMeta(title=""),
        staged=staged,
        filename=filename,
        kind=kind,
        kinds=KIND_LABELS,
        scopes=SCOPE_LABELS,
        units=await users.list_units(session),
    )


@router.post("/kb/import")
async def kb_import(
    request: Request,
    auth: Actor,
    session: SessionDep,
    staged: Annotated[Line, Form()],
    filename: Annotated[Line, Form()],
    fields: MetaForm,
    kind: Annotated[Line, Form()] = "",
) -> Response:
    """Store the previewed file (a new document or a new version) with the scope, unit,
    issuer, number, dates and positions confirmed on the preview, and refresh the index."""
    require_admin(auth.user)
    ctx = ctx_of(request)
    staging.staged_path(ctx.settings, staged, auth.user.id)
    # A small file is imported before answering; a large one in the background (this
    # process's, or any replica's worker) while the progress page follows it.
    wait = imports.small(ctx.settings, staged)
    job = await imports.submit(
        session, ctx.settings, actor=auth.user, staged=staged, run_here=wait,
        filename=Path(filename).name or staged, fields={**fields, "kind": kind},
    )  # fmt: skip
    await end_transaction(session)  # the job is committed before a worker looks for it
    if not wait:
        imports.start(ctx.sessionmaker, ctx.settings, ctx.retriever.sync)
        return redirect(f"/kb/imports/{job.id}")
    ended = await imports.run_job(ctx.sessionmaker, ctx.settings, job.id, ctx.retriever.sync)
    if len(ended.results) == 1:
        result = ended.results[0]
        return redirect(f"/kb/{result.document_id}?imported={result.status}")
    return redirect(f"/kb/imports/{job.id}")


@router.get("/kb/imports/{job_id}")
async def kb_import_job(
    request: Request, auth: Viewer, session: SessionDep, job_id: Id
) -> HTMLResponse:
    """An import's progress page; its panel polls `/kb/imports/{id}/progress` until the end."""
    return await _job_page(request, auth, session, job_id, "kb_import_job.html")


@router.get("/kb/imports/{job_id}/progress")
async def kb_import_progress(
    request: Request, auth: Viewer, session: SessionDep, job_id: Id
) -> HTMLResponse:
    """The progress panel alone (htmx)."""
    return await _job_page(request, auth, session, job_id, "_import_job.html")


async def _job_page(
    request: Request, auth: Viewer, session: SessionDep, job_id: int, template: str
) -> HTMLResponse:
    job = await imports.get_job(session, job_id=job_id, actor=auth.user)
    return render(
        request, template, auth, job=job, status=JOB_STATUS_LABELS[JobStatus(job.status)],
        summary=texts.outcome(job) if job.status == JobStatus.DONE else "",
    )  # fmt: skip


@router.get("/kb/{document_id}")
async def kb_document(
    request: Request,
    auth: Viewer,
    session: SessionDep,
    document_id: Id,
    imported: Line = "",
    done: Line = "",
) -> HTMLResponse:
    """A document: metadata, versions (pick two to diff) and its current chunks."""
    doc = await kb.get_document(session, document_id=document_id)
    chunks = await kb.list_chunks(session, document_id=document_id, limit=500)
    units = await users.list_units(session)
    return render(
        request,
        "kb_document.html",
        auth,
        doc=doc,
        chunks=chunks,
        kinds=KIND_LABELS,
        scopes=SCOPE_LABELS,
        units=units,
        unit_names={u.id: u.name for u in units},
        imported=imported,
        done=DONE.get(done, ""),
    )


@router.post("/kb/{document_id}/meta")
async def kb_edit_meta(
    request: Request, auth: Actor, session: SessionDep, document_id: Id, fields: MetaForm
) -> Response:
    """Change a stored document's scope, unit, issuer, number, dates or positions (audited);
    search applies the change before this answers."""
    require_admin(auth.user)
    ctx = ctx_of(request)
    await kb.update_metadata(session, document_id=document_id, fields=fields, actor=auth.user)
    await publish_to_search(session, ctx)
    return redirect(f"/kb/{document_id}?done=meta")


def _diff_lines(old: str, new: str, old_name: str, new_name: str) -> list[tuple[str, str]]:
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), old_name, new_name, n=2, lineterm=""
    )
    out: list[tuple[str, str]] = []
    for line in lines:
        css = ""
        if line.startswith("@@"):
            css = "hunk"
        elif line.startswith("+") and not line.startswith("+++"):
            css = "add"
        elif line.startswith("-") and not line.startswith("---"):
            css = "del"
        out.append((css, line))
        if len(out) >= _DIFF_MAX_LINES:
            out.append(("hunk", "… (cắt bớt: khác biệt quá dài)"))
            break
    return out


@router.get("/kb/{document_id}/diff")
async def kb_diff(
    request: Request, auth: Viewer, session: SessionDep, document_id: Id, a: Id, b: Id
) -> HTMLResponse:
    """Line diff between two versions of the same document."""
    doc = await kb.get_document(session, document_id=document_id)
    versions = {v.id: v for v in doc.versions}
    if a not in versions or b not in versions:
        raise DomainError(ErrorCode.NOT_FOUND, "Không tìm thấy phiên bản của văn bản này.")
    old = await kb.get_version_text(session, version_id=a)
    new = await kb.get_version_text(session, version_id=b)
    va, vb = versions[a], versions[b]
    lines = await asyncio.to_thread(
        _diff_lines, old, new, f"phiên bản {va.number}", f"phiên bản {vb.number}"
    )
    return render(request, "kb_diff.html", auth, doc=doc, va=va, vb=vb, lines=lines)


@router.post("/kb/{document_id}/retire")
async def kb_retire(
    request: Request, auth: Actor, session: SessionDep, document_id: Id
) -> Response:
    """Take a document out of search (versions are kept)."""
    require_admin(auth.user)
    ctx = ctx_of(request)
    await kb.retire_document(session, document_id=document_id, actor=auth.user)
    await publish_to_search(session, ctx)
    return redirect(f"/kb/{document_id}")


@router.post("/kb/{document_id}/unretire")
async def kb_unretire(
    request: Request, auth: Actor, session: SessionDep, document_id: Id
) -> Response:
    """Undo a retirement: the document is searched again."""
    require_admin(auth.user)
    ctx = ctx_of(request)
    await kb.unretire_document(session, document_id=document_id, actor=auth.user)
    await publish_to_search(session, ctx)
    return redirect(f"/kb/{document_id}")


def _jobs(request: Request) -> dict[str, ReindexJob]:
    state = request.app.state
    if not hasattr(state, "web_reindex"):
        state.web_reindex = {}
    jobs: dict[str, ReindexJob] = state.web_reindex
    return jobs


async def _run_sync(ctx: AppContext, job: ReindexJob) -> None:
    try:
        await ctx.retriever.sync()
    except Exception as exc:  # shown on the progress panel instead of being lost
        job.error = str(exc) or type(exc).__name__
    finally:
        job.finished = time.monotonic()


@router.post("/kb/reindex")
async def kb_reindex(request: Request, auth: Actor, session: SessionDep) -> HTMLResponse:
    """Start bringing the search index up to date in the background; the panel polls progress."""
    require_admin(auth.user)
    ctx = ctx_of(request)
    jobs = _jobs(request)
    job = jobs.get("current")
    if job is None or job.finished is not None:
        job = ReindexJob()
        job.task = asyncio.create_task(_run_sync(ctx, job))
        jobs["current"] = job
    return await _progress(request, auth, session, job)


@router.get("/kb/reindex/progress")
async def kb_reindex_progress(request: Request, auth: Viewer, session: SessionDep) -> HTMLResponse:
    """The progress panel (polled by htmx while a sync runs)."""
    require_admin(auth.user)
    return await _progress(request, auth, session, _jobs(request).get("current"))


async def _progress(
    request: Request, auth: Viewer, session: SessionDep, job: ReindexJob | None
) -> HTMLResponse:
    ctx = ctx_of(request)
    stats = await kb.stats(session)
    index = ctx.retriever.status()
    done = index.revision == stats.revision
    return render(
        request,
        "_reindex.html",
        auth,
        job=job,
        index=index,
        stats=stats,
        done=done,
        running=job is not None and job.finished is None,
        elapsed=(job.finished or time.monotonic()) - job.started if job else 0.0,
    )
