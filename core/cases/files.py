"""Case attachments kept on disk (data_dir/attachments), so the console can show them.

Fronts store the bytes they received (the bot downloads from Telegram) and record the
returned relative path on the attachment; the console serves it back under the case's
access rules. A path from the database is resolved only inside the attachments folder.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from core.config import Settings
from core.errors import not_found

FOLDER = "attachments"
_UNSAFE = re.compile(r"[^\w.\-]+")


def _root(settings: Settings) -> Path:
    return (settings.data_dir / FOLDER).resolve()


def save(settings: Settings, *, name: str, data: bytes) -> str:
    """Write one attachment; returns its path relative to the data dir."""
    safe = _UNSAFE.sub("_", Path(name).name).strip("._")[:80] or "tep"
    relative = f"{FOLDER}/{uuid.uuid4().hex}-{safe}"
    target = settings.data_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return relative


def locate(settings: Settings, relative: str | None) -> Path:
    """The file of a stored attachment; not found when missing or outside the folder."""
    if not relative:
        raise not_found("tệp đính kèm")
    path = (settings.data_dir / relative).resolve()
    if not path.is_relative_to(_root(settings)) or not path.is_file():
        raise not_found("tệp đính kèm")
    return path
