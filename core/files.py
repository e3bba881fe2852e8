"""Atomic file replacement: a reader sees the old file or the new one, never half of either.

Index manifests and the model folder's build marker are read by other processes (replicas,
the next start) while they may be rewritten; a crash between write and rename must leave the
old file in place, and the rename must not reach the disk before the data does.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_atomic(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Let `write` fill a temporary file beside `path`, fsync it, then rename it over `path`."""
    tmp = path.with_name(f"{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
