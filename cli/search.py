"""`troly search`, `troly eval` and `troly doctor`."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from core.config import Settings, get_settings
from core.context import AppContext
from retrieval.evaluation import run_eval
from retrieval.models import SearchRequest

console = Console()


def register(app: typer.Typer) -> None:
    """Attach search, eval and doctor to the main app."""
    app.command("search")(search)
    app.command("eval")(eval_)
    app.command("doctor")(doctor)


def search(
    query: Annotated[str, typer.Argument(help="Câu hỏi")],
    k: Annotated[int, typer.Option("--k", help="Number of passages")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Search the knowledge base exactly as the bot does."""

    async def main() -> None:
        ctx = await AppContext.create(get_settings())
        try:
            resp = await ctx.retriever.search(SearchRequest(query=query, k=k))
        finally:
            await ctx.close()
        if as_json:
            sys.stdout.write(json.dumps(dataclasses.asdict(resp), ensure_ascii=False) + "\n")
            return
        flag = (
            "[yellow]CHƯA CÓ TRONG CƠ SỞ TRI THỨC[/yellow]" if resp.novel else "[green]có[/green]"
        )
        console.print(f"Độ tin cậy: {resp.confidence:.2f} · phù hợp: {flag} · chế độ: {resp.mode}")
        for i, hit in enumerate(resp.hits, 1):
            console.print(
                f"\n[bold]{i}. {hit.citation}[/bold] ({hit.validity}; điểm {hit.score:.3f})"
            )
            if hit.heading:
                console.print(f"   [italic]{hit.heading}[/italic]")
            console.print(f"   {hit.text[:400]}{'…' if len(hit.text) > 400 else ''}")

    asyncio.run(main())


def eval_(
    corpus: Annotated[Path, typer.Option("--corpus", exists=True, dir_okay=False)],
    questions: Annotated[Path, typer.Option("--questions", exists=True, dir_okay=False)],
    k: Annotated[int, typer.Option("--k")] = 10,
    out: Annotated[Path | None, typer.Option("--out", help="Per-question results (JSONL)")] = None,
    workdir: Annotated[
        Path | None,
        typer.Option("--workdir", help="Keep the throwaway index here to reuse it next run"),
    ] = None,
) -> None:
    """Measure retrieval on a labelled set, in a throwaway index (the live KB is untouched)."""
    report = asyncio.run(
        run_eval(
            get_settings(), corpus, questions, k=k, out=out, progress=console.print, workdir=workdir
        )
    )
    table = Table(title=f"{report.questions} câu hỏi · {report.chunks} đoạn · {report.mode}")
    for name in ("Hit@1", "Hit@5", "Hit@10", "MRR@10", "p50 ms", "p95 ms"):
        table.add_column(name, justify="right")
    table.add_row(
        f"{report.hit1:.4f}",
        f"{report.hit5:.4f}",
        f"{report.hit10:.4f}",
        f"{report.mrr10:.4f}",
        f"{report.p50_ms:.1f}",
        f"{report.p95_ms:.1f}",
    )
    console.print(table)


def _mask(settings: Settings) -> dict[str, Any]:
    from sqlalchemy.engine import make_url

    out: dict[str, Any] = {}
    for name, value in settings.model_dump().items():
        if value is None or value == "":
            out[name] = value
        elif "secret" in name or "token" in name or "key" in name:
            out[name] = "***"
        elif name.endswith("_url"):
            try:
                out[name] = make_url(str(value)).render_as_string(hide_password=True)
            except Exception:  # not a database URL (e.g. a webhook): keep host part only
                out[name] = str(value).split("?")[0]
        else:
            out[name] = str(value)
    out["resolved_database_url"] = _mask_url(settings.resolved_database_url)
    return out


def _mask_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def doctor() -> None:
    """Check the database, the embedding model, the search index and the settings."""
    from retrieval.doctor import diagnose

    settings = get_settings()
    settings.ensure_dirs()  # directories only; the doctor never migrates or indexes
    checks = asyncio.run(diagnose(settings))
    failed = False
    for check in checks:
        colour = {"ok": "green", "warn": "yellow", "fail": "red"}[check.level]
        failed |= check.level == "fail"
        console.print(f"[{colour}]{check.level.upper():4}[/{colour}] {check.name}: {check.detail}")
    table = Table(title="Settings")
    table.add_column("name")
    table.add_column("value")
    for name, value in _mask(settings).items():
        table.add_row(name, str(value))
    console.print(table)
    if failed:
        raise typer.Exit(1)
