"""`troly audit ...` commands: verify the chain against the signed anchors, write an anchor,
show recent entries."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cli.database import on_database
from core.anchoring import anchor_now
from core.audit import anchors
from core.audit import service as audit
from core.audit.labels import action_label, data_text, entity_label
from core.clock import local
from core.config import Settings, get_settings
from core.db import unit_of_work

app = typer.Typer(no_args_is_help=True)
console = Console()
T = TypeVar("T")


def _read(work: Callable[[AsyncSession], Awaitable[T]], *, write: bool = False) -> T:
    """Run `work` against the configured (migrated) database; `write` commits it."""

    async def in_session(_: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> T:
        if write:
            async with unit_of_work(sessionmaker) as session:
                return await work(session)
        async with sessionmaker() as session:
            return await work(session)

    return asyncio.run(on_database(in_session))


@app.command("verify")
def verify() -> None:
    """Check the chain and every signed anchor; name the first broken entry (exit 1 if any)."""
    settings = get_settings()
    report = _read(lambda session: audit.verify_anchored(session, settings))
    if report.ok:
        count = len(anchors.read_anchors(settings))
        console.print(
            f"[green]Nhật ký toàn vẹn[/green]: đã kiểm tra {report.checked} mục và {count} mốc."
        )
        return
    where = f" tại mục #{report.first_broken_id}" if report.first_broken_id else ""
    console.print(
        f"[red]Chuỗi nhật ký bị phá vỡ{where}[/red]: "
        f"{report.reason} (đã kiểm tra {report.checked} mục)."
    )
    raise typer.Exit(1)


@app.command("anchor")
def anchor() -> None:
    """Write a signed anchor of the current head now and send it to admins."""
    settings = get_settings()
    made = _read(lambda session: anchor_now(session, settings, force=True), write=True)
    assert made is not None
    console.print(
        f"[green]Đã ghi mốc[/green]: {made.count} mục, mã băm cuối {made.head[:16]}… "
        f"({anchors.anchors_file(settings)})."
    )


@app.command("show")
def show(
    entity: Annotated[str | None, typer.Option(help="e.g. case, document, initiative")] = None,
    entity_id: Annotated[str | None, typer.Option("--id", help="Entity id")] = None,
    limit: Annotated[int, typer.Option(help="Entries to show, newest first")] = 20,
) -> None:
    """Show recent audit entries."""

    async def work(session: AsyncSession) -> list[tuple[str, ...]]:
        rows = await audit.entries(session, entity=entity, entity_id=entity_id, limit=limit)
        return [
            (
                str(e.id),
                local(e.at, "%d/%m/%Y %H:%M:%S"),
                str(e.actor_id or "—"),
                action_label(e.action),
                f"{entity_label(e.entity)} #{e.entity_id}",
                data_text(e.data, 80),
            )
            for e in rows
        ]

    table = Table("#", "Thời điểm", "Người", "Hành động", "Đối tượng", "Dữ liệu")
    for row in _read(work):
        table.add_row(*row)
    console.print(table)
