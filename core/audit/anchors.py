"""Audit anchors: signed checkpoints of the chain, kept outside the database.

The hash chain alone cannot tell a deleted tail, or a row rewritten with every later hash
recomputed, from an honest log: whoever can write the table can rebuild a consistent chain.
An anchor records (entry count, head hash, time), signed with HMAC-SHA256 under the
installation's secret key, one JSON line appended to `data_dir/audit_anchors.jsonl` (and sent
to admins by `core.anchoring`). `verify` then also demands, for every anchor, that the log still
has at least that many entries and that the entry at that position carries the anchored hash.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.models import AuditEntry
from core.config import Settings
from core.db import utcnow

GENESIS = "0" * 64
FILE_NAME = "audit_anchors.jsonl"


@dataclass(frozen=True)
class Anchor:
    """The chain had `count` entries, the last one hashing to `head`, at time `at`."""

    count: int
    head: str
    at: str
    signature: str = ""
    line: int = 0  # position in the anchors file, for messages

    def payload(self) -> bytes:
        return json.dumps({"count": self.count, "head": self.head, "at": self.at}).encode()


def anchors_file(settings: Settings) -> Path:
    return settings.data_dir / FILE_NAME


def sign(anchor: Anchor, key: bytes) -> str:
    return hmac.new(key, anchor.payload(), hashlib.sha256).hexdigest()


async def current_head(session: AsyncSession) -> tuple[int, str]:
    """(entries, hash of the last one) in one consistent view: appenders are serialised, so
    every entry with a lower id than the head is already committed."""
    last = (
        await session.execute(
            select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
        )
    ).first()
    if last is None:
        return 0, GENESIS
    count = await session.scalar(select(func.count()).where(AuditEntry.id <= last.id))
    return int(count or 0), str(last.hash)


async def write_anchor(session: AsyncSession, settings: Settings) -> Anchor:
    """Sign the current head and append it to the anchors file (one line, fsynced)."""
    count, head = await current_head(session)
    anchor = Anchor(count, head, utcnow().replace(microsecond=0).isoformat())
    signed = Anchor(anchor.count, anchor.head, anchor.at, sign(anchor, settings.signing_key()))
    line = json.dumps({"count": count, "head": head, "at": signed.at, "sig": signed.signature})
    path = anchors_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    # One O_APPEND write per line: concurrent writers never interleave inside a line.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return signed


def last_anchor(settings: Settings) -> Anchor | None:
    anchors = read_anchors(settings)
    return anchors[-1] if anchors else None


def read_anchors(settings: Settings) -> list[Anchor]:
    """Every anchor in the file, in order; unreadable lines come back unsigned (signature "")."""
    path = anchors_file(settings)
    if not path.exists():
        return []
    anchors = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
            anchors.append(
                Anchor(int(row["count"]), str(row["head"]), str(row["at"]), str(row["sig"]), number)
            )
        except (ValueError, KeyError, TypeError):
            anchors.append(Anchor(-1, "", "", "", number))
    return anchors


def forged(anchors: list[Anchor], key: bytes) -> Anchor | None:
    """The first anchor whose signature does not match (edited or written without the key)."""
    for anchor in anchors:
        if anchor.count < 0 or not hmac.compare_digest(anchor.signature, sign(anchor, key)):
            return anchor
    return None


def describe(anchor: Anchor) -> str:
    """Short Vietnamese description of an anchor, for reports."""
    try:
        at = datetime.fromisoformat(anchor.at).strftime("%d/%m/%Y %H:%M UTC")
    except ValueError:
        at = anchor.at
    return f"mốc dòng {anchor.line} ({anchor.count} mục, lúc {at})"
