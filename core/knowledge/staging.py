"""The one upload staging folder (data_dir/uploads): every front writes an upload here first,
the preview and the import job read it back, and the job removes it when it ends.

A staged name is `<owner id>-<random token><suffix>`: the owner (0 for the CLI) is checked when
a name comes back from a form or a chat state, so nobody can import another admin's file.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import shutil
import time
from pathlib import Path

from core.config import Settings
from core.errors import invalid
from knowledge.importers import accepts, unsupported

_NAME_RE = re.compile(r"^(\d+)-([A-Za-z0-9_-]{16,})(\.[a-z0-9]+)$")
# Previews nobody confirmed are swept after a day.
MAX_AGE_SECONDS = 24 * 3600


def staging_dir(settings: Settings) -> Path:
    path = settings.data_dir / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sweep(folder: Path) -> None:
    cutoff = time.time() - MAX_AGE_SECONDS
    for item in folder.iterdir():
        if item.is_file() and item.stat().st_mtime < cutoff:
            item.unlink(missing_ok=True)


def _write(folder: Path, name: str, source: bytes | Path) -> None:
    _sweep(folder)
    if isinstance(source, bytes):
        (folder / name).write_bytes(source)
    else:
        shutil.copyfile(source, folder / name)


async def stage(settings: Settings, source: bytes | Path, filename: str, owner_id: int) -> str:
    """Write an upload (its bytes, or a local file for the CLI) to the folder; its staged name.
    A type no importer reads is refused before anything is written."""
    if not accepts(filename):
        raise unsupported(filename)
    name = f"{owner_id}-{secrets.token_urlsafe(18)}{Path(filename).suffix.lower()}"
    await asyncio.to_thread(_write, staging_dir(settings), name, source)
    return name


def staged_path(settings: Settings, name: str, owner_id: int) -> Path:
    """The staged file `name` of `owner_id`, refused when it is not theirs or has expired."""
    match = _NAME_RE.match(name)
    if match is None or int(match.group(1)) != owner_id:
        raise invalid("Bản xem trước không hợp lệ hoặc đã hết hạn; hãy tải tệp lên lại.")
    path = staging_dir(settings) / name
    if not path.is_file():
        raise invalid("Bản xem trước đã hết hạn; hãy tải tệp lên lại.")
    return path


def discard(settings: Settings, name: str) -> None:
    """Remove a staged file (after its job ends, or a cancelled preview)."""
    if _NAME_RE.match(name):
        (staging_dir(settings) / name).unlink(missing_ok=True)
