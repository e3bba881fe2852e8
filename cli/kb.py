"""`troly kb ...` commands: import, list, show, retire and seed the knowledge base.

Each command owns its transaction (`unit_of_work`); commands that change the knowledge base
then bring the search index up to date (`retriever.sync()`) unless `--no-index` is given —
the index also catches up by itself at the next start, because it tracks the KB revision.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cli.database import on_database
from core.clock import local
from core.config import Settings
from core.db import unit_of_work
from core.errors import DomainError, ErrorCode
from core.knowledge import imports, staging
from knowledge import service as kb
from knowledge.importers import ACCEPTED_TYPES, accepts
from knowledge.queries import DocumentStatus

app = typer.Typer(no_args_is_help=True)
console = Console()
T = TypeVar("T")

_STATUS_VI = {
    "created": "[green]mới[/green]",
    "new_version": "[cyan]phiên bản mới[/cyan]",
    "updated": "[cyan]cập nhật thông tin[/cyan]",
    "restored": "[cyan]khôi phục[/cyan]",
    "unchanged": "không đổi",
    "skipped": "[yellow]bỏ qua (đã gỡ)[/yellow]",
}


def _run(work: Callable[[Settings, async_sessionmaker[AsyncSession]], Awaitable[T]]) -> T:
    """Run `work` against the configured, migrated database."""

    try:
        return asyncio.run(on_database(work))
    except DomainError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None


async def _sync_index(settings: Settings) -> None:
    """Open the app context (model + index) and bring the index up to date with the database."""
    from core.context import AppContext

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("Đang cập nhật chỉ mục tìm kiếm (đoạn)", total=None)
        ctx = await AppContext.create(settings, migrate=False, sync_index=False)
        try:
            await ctx.retriever.sync(
                progress=lambda done, total: bar.update(task, completed=done, total=total)
            )
            status = ctx.retriever.status()
        finally:
            await ctx.retriever.catchup.stop()
            await ctx.close()
    mode = "kết hợp ngữ nghĩa + từ khóa" if status.mode == "hybrid" else "chỉ từ khóa"
    console.print(f"Chỉ mục tìm kiếm: {status.chunks} đoạn, phiên bản {status.revision} ({mode}).")


def _expand(paths: list[Path]) -> list[Path]:
    """Files as given, and every supported file under the given folders (sorted)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*")) if p.is_file() and accepts(p.name))
        elif path.is_file():
            files.append(path)
        else:
            console.print(f"[red]Không tìm thấy: {path}[/red]")
            raise typer.Exit(1)
    return files


async def _submit(
    settings: Settings, sm: async_sessionmaker[AsyncSession], path: Path, fields: dict[str, str]
) -> int:
    """Stage a local file and create its import job, claimed for this process; its id."""
    staged = await staging.stage(settings, path, path.name, 0)
    try:
        async with unit_of_work(sm) as session:
            job = await imports.submit(
                session, settings, actor=None, staged=staged, filename=path.name,
                fields=fields, run_here=True,
            )  # fmt: skip
    except DomainError:
        staging.discard(settings, staged)
        raise
    return job.id


def _date(value: date | None) -> str | None:
    return f"{value:%d/%m/%Y}" if value else None


@app.command("import")
def import_(
    paths: Annotated[list[Path], typer.Argument(help=f"Files or folders ({ACCEPTED_TYPES})")],
    no_index: Annotated[
        bool, typer.Option("--no-index", help="Do not update the search index now")
    ] = False,
    scope: Annotated[str, typer.Option(help="national, province or unit")] = "",
    scope_unit: Annotated[str, typer.Option(help="Unit name for province/unit scope")] = "",
    issuer: Annotated[str, typer.Option(help="Issuing body")] = "",
    number: Annotated[str, typer.Option(help="Document number (số hiệu)")] = "",
    issued_on: Annotated[str, typer.Option(help="Issue date, 2026-01-31 or 31/01/2026")] = "",
    effective_from: Annotated[str, typer.Option(help="First day in force")] = "",
    expires_on: Annotated[str, typer.Option(help="First day no longer in force")] = "",
    positions: Annotated[str, typer.Option(help="Positions it applies to, comma-separated")] = "",
) -> None:
    """Import documents; unchanged ones are skipped, changed ones get a new version. The
    metadata options override the files' own front matter for every file given."""
    fields: dict[str, str] = {
        "scope": scope, "scope_unit": scope_unit, "issuer": issuer, "number": number,
        "issued_on": issued_on, "effective_from": effective_from, "expires_on": expires_on,
        "positions": positions,
    }  # fmt: skip
    files = _expand(paths)
    if not files:
        console.print("[yellow]Không có tệp nào được hỗ trợ để nhập.[/yellow]")
        raise typer.Exit(1)
    failures = 0

    async def work(
        settings: Settings, sm: async_sessionmaker[AsyncSession]
    ) -> list[kb.ImportResult]:
        nonlocal failures
        results: list[kb.ImportResult] = []
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console) as progress:
            for path in files:
                task = progress.add_task(f"Đọc {path.name}", total=None)
                try:
                    # The same job as the bot, console and API: staged, parsed in the
                    # isolated child under the caps, stored in committed batches.
                    job = await _submit(settings, sm, path, fields)
                    async for step in imports.steps(sm, settings, job, None):
                        # A large document's passages move step by step too.
                        phase = step.job.phase_label.rstrip("…") or "Đã nhập"
                        progress.update(
                            task, description=f"{path.name}: {phase} (đoạn)",
                            total=step.job.chunks_total, completed=step.job.chunks_indexed,
                        )  # fmt: skip
                        results.extend(step.results)
                    if step.job.error:
                        raise DomainError(ErrorCode.INVALID, step.job.error)
                except DomainError as exc:
                    failures += 1
                    progress.console.print(f"[red]✗ {path}: {exc.message}[/red]")
        changed = any(r.status not in ("unchanged", "skipped") for r in results)
        if changed and not no_index:
            await _sync_index(settings)
        return results

    results = _run(work)
    if not results:
        console.print("[red]Không có văn bản nào được nhập.[/red]")
        raise typer.Exit(1)
    table = Table("ID", "Văn bản", "Kết quả", "Phiên bản", "Điều", "Đoạn")
    for r in results:
        table.add_row(
            str(r.document_id),
            r.title,
            _STATUS_VI[r.status],
            str(r.version_number),
            str(r.articles),
            str(r.chunks),
        )
    console.print(table)
    if failures:
        console.print(f"[red]{failures} tệp không nhập được.[/red]")
        raise typer.Exit(1)


@app.command("list")
def list_(
    kind: Annotated[
        str | None, typer.Option(help="regulation, competency, guidance, precedent")
    ] = None,
    status: Annotated[str, typer.Option(help="active, retired or all")] = "active",
    search: Annotated[
        str | None, typer.Option(help="Words in the title (diacritics optional)")
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows per page")] = 50,
    offset: Annotated[int, typer.Option(help="Rows to skip")] = 0,
) -> None:
    """List documents, newest first."""
    if status not in ("active", "retired", "all"):
        console.print("[red]--status phải là active, retired hoặc all.[/red]")
        raise typer.Exit(2)
    doc_status: DocumentStatus = status  # type: ignore[assignment]

    async def work(settings: Settings, sm: async_sessionmaker[AsyncSession]) -> Table:
        async with sm() as session:
            page = await kb.list_documents(
                session, kind=kind, status=doc_status, search=search, limit=limit, offset=offset
            )
            counts = await kb.chunk_counts(session, document_ids=[d.id for d in page.items])
        table = Table(
            "ID",
            "Loại",
            "Số hiệu",
            "Tên văn bản",
            "Phiên bản",
            "Đoạn",
            "Trạng thái",
            title=f"{page.total} văn bản",
        )
        for d in page.items:
            table.add_row(
                str(d.id),
                d.kind,
                d.number or "",
                d.title,
                str(max((v.number for v in d.versions), default=0)),
                str(counts[d.id]),
                "đã gỡ" if d.retired_at else "đang dùng",
            )
        return table

    console.print(_run(work))


@app.command("show")
def show(
    document_id: Annotated[int, typer.Argument(help="Document id (see `troly kb list`)")],
    chunks: Annotated[int, typer.Option(help="Chunk citations to show")] = 5,
) -> None:
    """Show a document: metadata, versions, chunk count and a few citations."""

    async def work(settings: Settings, sm: async_sessionmaker[AsyncSession]) -> None:
        async with sm() as session:
            doc = await kb.get_document(session, document_id=document_id)
            count = (await kb.chunk_counts(session, document_ids=[doc.id]))[doc.id]
            sample = await kb.list_chunks(session, document_id=doc.id, limit=chunks)
        console.print(f"[bold]{doc.title}[/bold] (#{doc.id})")
        fields = {
            "Loại": doc.kind,
            "Số hiệu": doc.number,
            "Cơ quan ban hành": doc.issuer,
            "Ngày ban hành": _date(doc.issued_on),
            "Hiệu lực từ": _date(doc.effective_from),
            "Hết hiệu lực": _date(doc.expires_on),
            "Phạm vi": doc.scope + (f" (đơn vị #{doc.scope_unit_id})" if doc.scope_unit_id else ""),
            "Vị trí áp dụng": ", ".join(doc.positions) or "mọi vị trí",
            "Trạng thái": f"đã gỡ lúc {local(doc.retired_at)}" if doc.retired_at else "đang dùng",
            "Đoạn đang tìm kiếm được": count,
        }
        for label, value in fields.items():
            if value not in (None, ""):
                console.print(f"  {label}: {value}")
        versions = Table(
            "Phiên bản", "Tạo lúc", "Nguồn", "Mã băm", "Trạng thái", title="Các phiên bản"
        )
        for v in doc.versions:
            versions.add_row(
                str(v.number),
                local(v.created_at),
                v.source_name,
                v.content_hash[:12],
                "hiện hành" if v.is_current else "đã thay thế",
            )
        console.print(versions)
        for c in sample:
            console.print(f"  • {c.citation}" + (f" — {c.heading}" if c.heading else ""))

    _run(work)


@app.command("retire")
def retire(
    document_id: Annotated[int, typer.Argument(help="Document id")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation")] = False,
    no_index: Annotated[
        bool, typer.Option("--no-index", help="Do not update the search index now")
    ] = False,
) -> None:
    """Retire a document: it leaves search, its versions stay for audit."""
    if not yes:
        typer.confirm(f"Gỡ văn bản #{document_id} khỏi cơ sở tri thức?", abort=True)

    async def work(settings: Settings, sm: async_sessionmaker[AsyncSession]) -> str:
        async with unit_of_work(sm) as session:
            doc = await kb.retire_document(session, document_id=document_id)
        if not no_index:
            await _sync_index(settings)
        return doc.title

    title = _run(work)
    console.print(f"[green]Đã gỡ[/green] “{title}” khỏi tìm kiếm (vẫn lưu để đối chiếu).")


@app.command("seed")
def seed(
    no_index: Annotated[
        bool, typer.Option("--no-index", help="Do not update the search index now")
    ] = False,
) -> None:
    """Import the bundled sample knowledge base (idempotent; replaced or retired ones are kept)."""

    async def work(
        settings: Settings, sm: async_sessionmaker[AsyncSession]
    ) -> list[kb.ImportResult]:
        async with unit_of_work(sm) as session:
            results = await kb.seed_starter(
                session, chunk_words=settings.chunk_words, chunk_step=settings.chunk_step
            )
        if not no_index and any(r.status not in ("unchanged", "skipped") for r in results):
            await _sync_index(settings)
        return results

    for r in _run(work):
        console.print(f"  {_STATUS_VI[r.status]}: {r.title} ({r.articles} điều, {r.chunks} đoạn)")
