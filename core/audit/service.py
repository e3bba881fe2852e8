"""Record audit entries and verify the hash chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.anchors import GENESIS, Anchor, describe, forged, read_anchors
from core.audit.labels import matching_codes
from core.audit.models import AuditEntry
from core.config import Settings
from core.db import utcnow


def _digest(entry: AuditEntry) -> str:
    payload = json.dumps(
        {
            "prev": entry.prev_hash,
            "at": entry.at.isoformat(),
            "actor": entry.actor_id,
            "action": entry.action,
            "entity": entry.entity,
            "entity_id": entry.entity_id,
            "data": entry.data,
        },
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


async def record(
    session: AsyncSession,
    *,
    actor_id: int | None,
    action: str,
    entity: str,
    entity_id: object,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry chained to the previous one, inside the caller's transaction."""
    if session.get_bind().dialect.name == "postgresql":
        # Serialise appenders so two transactions never chain onto the same predecessor.
        await session.execute(text("SELECT pg_advisory_xact_lock(7301)"))
    last = await session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    entry = AuditEntry(
        at=utcnow().replace(microsecond=0),
        actor_id=actor_id,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        data=json.loads(json.dumps(data or {}, ensure_ascii=False, default=str)),
        prev_hash=last or GENESIS,
    )
    entry.hash = _digest(entry)
    session.add(entry)
    await session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    """Result of a chain verification: ok, entries checked, first broken entry id."""

    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str = ""


async def verify(session: AsyncSession, anchors: Sequence[Anchor] = ()) -> ChainReport:
    """Walk the log in order; name the first entry whose link or content hash is wrong, or that
    disagrees with a (signature-checked) anchor: the entry at an anchor's position must carry
    the anchored hash, and the log may never hold fewer entries than an anchor recorded."""
    by_position: dict[int, Anchor] = {}
    for anchor in anchors:
        by_position.setdefault(anchor.count, anchor)
    prev = GENESIS
    checked = 0
    result = await session.stream_scalars(select(AuditEntry).order_by(AuditEntry.id))
    async for entry in result:
        checked += 1
        if entry.prev_hash != prev:
            return ChainReport(False, checked, entry.id, "liên kết với mục trước bị sai")
        if _digest(entry) != entry.hash:
            return ChainReport(False, checked, entry.id, "nội dung đã bị sửa")
        pinned = by_position.get(checked)
        if pinned is not None and pinned.head != entry.hash:
            reason = f"khác với {describe(pinned)}: mục này hoặc mục trước đã bị viết lại"
            return ChainReport(False, checked, entry.id, reason)
        prev = entry.hash
    longest = max((a.count for a in anchors), default=0)
    if longest > checked:
        last = next(a for a in anchors if a.count == longest)
        reason = f"chỉ còn {checked} mục, ít hơn {describe(last)}: nhật ký đã bị xóa bớt"
        return ChainReport(False, checked, None, reason)
    return ChainReport(True, checked)


async def verify_anchored(session: AsyncSession, settings: Settings) -> ChainReport:
    """What `troly audit verify` and the audit page check: the anchors file's signatures, then
    the chain against every anchor in it."""
    pinned = read_anchors(settings)
    bad = forged(pinned, settings.signing_key()) if pinned else None
    if bad is not None:
        reason = f"tệp mốc bị sửa ở dòng {bad.line} (chữ ký không khớp)"
        return ChainReport(False, 0, None, reason)
    return await verify(session, pinned)


async def entries(
    session: AsyncSession,
    *,
    entity: str | None = None,
    entity_id: object | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[AuditEntry]:
    """Newest entries first, optionally for one entity (the audit page, `troly audit show`)."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
    if entity is not None:
        stmt = stmt.where(AuditEntry.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(AuditEntry.entity_id == str(entity_id))
    return list(await session.scalars(stmt))


async def search(
    session: AsyncSession, *, term: str, limit: int = 50, offset: int = 0
) -> list[AuditEntry]:
    """Newest entries whose action or kind of record the term names, in Vietnamese or as a
    code ("sáng kiến", "dang nhap", "case"); every entry when the term is blank."""
    if not term.strip():
        return await entries(session, limit=limit, offset=offset)
    actions, kinds = matching_codes(term)
    if not actions and not kinds:
        return []
    stmt = (
        select(AuditEntry)
        .where(or_(AuditEntry.action.in_(actions), AuditEntry.entity.in_(kinds)))
        .order_by(AuditEntry.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(await session.scalars(stmt))
