"""`troly backup` and `troly restore` (core/backup.py does the work)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console

from core.config import get_settings

console = Console()


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app."""

    @app.command()
    def backup(
        out: Path | None = typer.Argument(
            None, help="Tệp .tar.gz sẽ tạo (mặc định: backups/troly-<thời điểm>.tar.gz)."
        ),
    ) -> None:
        """Back up the database, attachments and uploads, the secret key and audit anchors."""
        from core.backup import BackupError, create

        target = out or Path("backups") / f"troly-{datetime.now():%Y%m%d-%H%M%S}.tar.gz"
        try:
            summary = create(get_settings(), target)
        except BackupError as error:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(1) from error
        console.print(
            f"[green]Đã sao lưu[/green] {summary.database} và {summary.files} tệp "
            f"({summary.bytes / 1e6:.1f} MB) vào {summary.archive}"
        )

    @app.command()
    def restore(
        archive: Path = typer.Argument(..., exists=True, dir_okay=False, help="Tệp sao lưu."),
        force: bool = typer.Option(False, "--force", help="Ghi đè dữ liệu đang có."),
    ) -> None:
        """Restore a backup; refuses to overwrite existing data without --force."""
        from core.backup import BackupError
        from core.backup import restore as do_restore

        try:
            summary = do_restore(get_settings(), archive, force=force)
        except BackupError as error:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(1) from error
        console.print(
            f"[green]Đã khôi phục[/green] {summary.database} và {summary.files} tệp từ "
            f"{summary.archive}. Chỉ mục tìm kiếm sẽ được dựng lại khi khởi động."
        )
