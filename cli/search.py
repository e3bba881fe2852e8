"""`troly search`, `troly eval` and `troly doctor`."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from core.config import Settings, get_settings
from core.context import AppContext
from retrieval.doctor import Check
from retrieval.evaluation import VARIANTS, run_eval
from retrieval.excerpt import clip
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
        if resp.understood is not None and resp.understood.changed:
            console.print(f"Hiểu câu hỏi là: [italic]{resp.understood.text}[/italic]")
        for i, hit in enumerate(resp.hits, 1):
            console.print(
                f"\n[bold]{i}. {hit.answer_citation}[/bold] ({hit.validity}; điểm {hit.score:.3f})"
            )
            if hit.heading:
                console.print(f"   [italic]{hit.heading}[/italic]")
            console.print(f"   {clip(hit.answer_text, 400)}")

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
    variants: Annotated[
        str,
        typer.Option(
            "--variants",
            help="Comma-separated: accented (as written), unaccented, shorthand (phone-typed)",
        ),
    ] = "accented",
    novelty: Annotated[
        bool,
        typer.Option(
            "--novelty",
            help="Also hold a third of the documents out and report "
            "how well the confidence flags the questions they answered",
        ),
    ] = False,
) -> None:
    """Measure retrieval on a labelled set, in a throwaway index (the live KB is untouched)."""
    chosen = tuple(v.strip() for v in variants.split(",") if v.strip())
    unknown = [v for v in chosen if v not in VARIANTS]
    if unknown or not chosen:
        raise typer.BadParameter(f"--variants takes {', '.join(VARIANTS)}")
    run = asyncio.run(
        run_eval(
            get_settings(), corpus, questions, k=k, out=out, progress=console.print,
            workdir=workdir, variants=chosen, novelty=novelty,
        )
    )  # fmt: skip
    first = run.reports[0]
    table = Table(title=f"{first.questions} câu hỏi · {first.chunks} đoạn · {first.mode}")
    names = ("variant", "Hit@1", "Hit@5", "Hit@10", "MRR@10", "flagged", "conf ±0.10")
    for name in (*names, "p50 ms", "p95 ms"):
        table.add_column(name, justify="right")
    for r in run.reports:
        table.add_row(
            r.variant, f"{r.hit1:.4f}", f"{r.hit5:.4f}", f"{r.hit10:.4f}", f"{r.mrr10:.4f}",
            f"{r.flagged:.3f}", f"{r.consistent_with(first):.3f}", f"{r.p50_ms:.1f}",
            f"{r.p95_ms:.1f}",
        )  # fmt: skip
    console.print(table)
    if run.novelty is not None:
        n = run.novelty
        console.print(
            f"Novelty: {n.held_out}/{n.documents} documents held out · AUROC {n.auroc:.4f} · "
            f"not covered flagged {n.not_covered_flagged:.3f} ({n.not_covered} questions) · "
            f"answered right flagged {n.correct_flagged:.3f} ({n.correct} questions)"
        )


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


def _calendar_check(settings: Settings) -> Check:
    """Warn when the public-holiday calendar is about to run out (deadlines would then count
    holidays as working days)."""
    from core.cases.calendar import calendar_for, coverage_warning

    calendar = calendar_for(settings)
    warning = coverage_warning(calendar, datetime.now(calendar.tz).date())
    if warning:
        return Check("calendar", "warn", warning)
    return Check("calendar", "ok", f"ngày nghỉ lễ đến hết {calendar.until:%d/%m/%Y}")


def doctor() -> None:
    """Check the database, the embedding model, the search index and the settings."""
    from retrieval.doctor import diagnose

    settings = get_settings()
    settings.ensure_dirs()  # directories only; the doctor never migrates or indexes
    checks = [*asyncio.run(diagnose(settings)), _calendar_check(settings)]
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
