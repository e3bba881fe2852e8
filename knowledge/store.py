"""Storing parsed documents: versioned import by content hash, retire, the KB revision.

Every change bumps `KnowledgeState.revision` (so the search index can tell it is stale) and
writes an audit entry, in the caller's transaction: services flush, the edge commits, and after
committing the edge calls `retriever.sync()`. A document too large for one step of an import
job has its passages staged first (`stage_passages`, committed step by step, read by nothing
else), and `import_parsed(..., staged=...)` copies them in: it becomes visible, and the revision
moves, only then.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import record
from core.db import utcnow
from core.errors import DomainError, ErrorCode
from core.text import fold
from core.users.authz import require_admin
from core.users.models import Unit, User
from knowledge.importers.base import DocumentMeta, ParsedDocument, apply_fields
from knowledge.models import (
    PASSAGE_COLUMNS,
    Chunk,
    Document,
    DocumentVersion,
    KnowledgeState,
    Scope,
    StagedPassage,
)
from knowledge.queries import get_document

ADMIN_ONLY = "Chỉ quản trị viên mới được thay đổi cơ sở tri thức."

ImportStatus = Literal["created", "new_version", "updated", "restored", "unchanged", "skipped"]
# What fronts show for each import status.
STATUS_LABELS: dict[str, str] = {
    "created": "đã thêm mới",
    "new_version": "đã cập nhật thành phiên bản mới",
    "updated": "đã cập nhật thông tin văn bản",
    "restored": "đã khôi phục văn bản đã gỡ",
    "unchanged": "không thay đổi (nội dung đã có)",
    "skipped": "bỏ qua (văn bản đã bị gỡ)",
}


@dataclass(frozen=True)
class ImportResult:
    """What an import did to one document."""

    document_id: int
    version_id: int
    version_number: int
    status: ImportStatus
    title: str
    articles: int
    chunks: int

    @property
    def status_label(self) -> str:
        """The status in Vietnamese, for bot and web replies."""
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class PlannedImport:
    """What importing a parsed document would do, for the preview before it is confirmed."""

    version_number: int  # the version the document would be at after the import
    current: int | None  # its current version, None for a new document

    @property
    def note(self) -> str | None:
        """The preview's Vietnamese line about versions (None for a new document)."""
        if self.current is None:
            return None
        if self.version_number == self.current:
            return (
                f"Nội dung trùng phiên bản {self.current} đang có trong kho: "
                "nhập lại không tạo phiên bản mới."
            )
        return (
            f"Văn bản này đã có trong kho (phiên bản {self.current}): "
            f"khi nhập sẽ thành phiên bản {self.version_number}."
        )


async def plan_import(session: AsyncSession, parsed: ParsedDocument) -> PlannedImport:
    """The version `import_parsed` would leave the document at, read without writing."""
    doc_id = await session.scalar(
        select(Document.id).where(Document.key == parsed.meta.resolved_key)
    )
    if doc_id is None:
        return PlannedImport(1, None)
    rows = await session.execute(
        select(DocumentVersion.number, DocumentVersion.content_hash, DocumentVersion.is_current)
        .where(DocumentVersion.document_id == doc_id)
        .order_by(DocumentVersion.number)
    )
    versions = list(rows.tuples())
    current = next((v for v in versions if v[2]), versions[-1] if versions else None)
    if current is None:
        return PlannedImport(1, None)
    if current[1] == parsed.content_hash:
        return PlannedImport(current[0], current[0])
    return PlannedImport(max(v[0] for v in versions) + 1, current[0])


def needs_passages(planned: PlannedImport) -> bool:
    """Whether the planned import writes a new version's passages (not a no-op or metadata)."""
    return planned.version_number != planned.current


async def staged_count(session: AsyncSession, batch: str) -> int:
    """How many passages are staged under `batch` (they are staged in order from the first)."""
    count = await session.scalar(
        select(func.count()).select_from(StagedPassage).where(StagedPassage.batch == batch)
    )
    return int(count or 0)


async def stage_passages(
    session: AsyncSession, batch: str, parsed: ParsedDocument, stop: int
) -> int:
    """Stage the passages of `parsed` after those already under `batch`, up to `stop`, for an
    import that writes them in several transactions; returns how many are staged now. The
    batch names the content (e.g. its hash), so a resumed import continues where it stopped."""
    start = await staged_count(session, batch)
    rows = [{"batch": batch, **row} for row in _passages(parsed, start, stop)]
    if rows:
        await session.execute(insert(StagedPassage), rows)
    return max(start, min(stop, len(parsed.chunks)))


async def discard_staged(session: AsyncSession, prefix: str) -> None:
    """Delete the staged passages whose batch starts with `prefix` (an import that ended)."""
    await session.execute(delete(StagedPassage).where(StagedPassage.batch.startswith(prefix)))


async def import_parsed(
    session: AsyncSession,
    parsed: ParsedDocument,
    *,
    actor: User | None = None,
    revive: bool = True,
    staged: str | None = None,
) -> ImportResult:
    """Store a parsed document: unchanged content is a no-op, changed content a new version.

    The old version's chunks are deactivated (kept for audit). `revive=False` leaves a retired
    document retired instead of bringing it back. `actor=None` means the system (CLI, seed);
    otherwise the acting user must be an admin. With `staged`, the new version's passages are
    the ones staged under that batch (`stage_passages`, completed here), copied in this
    transaction; the staged rows are removed whatever the outcome.
    """
    if staged is None:
        return await _import(session, parsed, actor, revive, None)
    await stage_passages(session, staged, parsed, len(parsed.chunks))
    result = await _import(session, parsed, actor, revive, staged)
    await discard_staged(session, staged)
    return result


async def _import(
    session: AsyncSession,
    parsed: ParsedDocument,
    actor: User | None,
    revive: bool,
    staged: str | None,
) -> ImportResult:
    actor_id = _admin_id(actor)
    meta = parsed.meta
    unit_id = await _resolve_unit(session, meta)
    doc = await session.scalar(select(Document).where(Document.key == meta.resolved_key))
    if doc is None:
        doc = Document(key=meta.resolved_key, versions=[], created_at=utcnow())
        _apply_meta(doc, meta, unit_id)
        session.add(doc)
        await session.flush()
        links = await _supersede(session, doc, meta)
        version = await _add_version(session, doc, parsed, actor_id, staged)
        return await _finish(session, doc, version, parsed, "created", actor_id, links)

    current = next((v for v in doc.versions if v.is_current), None)
    if doc.retired_at is not None and not revive:
        return _result(doc, current, parsed, "skipped")
    changed = _apply_meta(doc, meta, unit_id) + await _supersede(session, doc, meta)
    if current is not None and current.content_hash == parsed.content_hash:
        if doc.retired_at is not None:
            doc.retired_at = None
            await _set_active(session, current.id, True)
            return await _finish(session, doc, current, parsed, "restored", actor_id)
        if not changed:
            return _result(doc, current, parsed, "unchanged")
        return await _finish(session, doc, current, parsed, "updated", actor_id, changed)
    if current is not None:
        current.is_current = False
        current.retired_at = utcnow()
        await _set_active(session, current.id, False)
    doc.retired_at = None
    version = await _add_version(session, doc, parsed, actor_id, staged)
    return await _finish(session, doc, version, parsed, "new_version", actor_id, changed)


async def import_documents(
    session: AsyncSession,
    documents: list[ParsedDocument],
    *,
    actor: User | None = None,
) -> list[ImportResult]:
    """Import several parsed documents (e.g. every document of a JSONL file) in order."""
    return [await import_parsed(session, d, actor=actor) for d in documents]


async def retire_document(
    session: AsyncSession, *, document_id: int, actor: User | None = None
) -> Document:
    """Take a document out of search (its chunks are deactivated); its versions stay for audit."""
    actor_id = _admin_id(actor)
    doc = await get_document(session, document_id=document_id)
    if doc.retired_at is not None:
        raise DomainError(ErrorCode.CONFLICT, "Văn bản này đã được gỡ khỏi cơ sở tri thức.")
    doc.retired_at = doc.updated_at = utcnow()
    await session.execute(update(Chunk).where(Chunk.document_id == doc.id).values(active=False))
    await _revise(session, doc, actor_id, "kb.retire")
    return doc


async def unretire_document(
    session: AsyncSession, *, document_id: int, actor: User | None = None
) -> Document:
    """Undo a retirement: the current version's chunks are searched again."""
    actor_id = _admin_id(actor)
    doc = await get_document(session, document_id=document_id)
    if doc.retired_at is None:
        raise DomainError(ErrorCode.CONFLICT, "Văn bản này đang được dùng, không cần khôi phục.")
    current = next((v for v in doc.versions if v.is_current), None)
    doc.retired_at = None
    doc.updated_at = utcnow()
    if current is not None:
        await _set_active(session, current.id, True)
    await _revise(session, doc, actor_id, "kb.unretire")
    return doc


# What an admin may change on a stored document without re-importing it.
EDITABLE_FIELDS = frozenset(
    {"number", "issuer", "issued_on", "effective_from", "expires_on", "scope", "scope_unit",
     "scope_unit_id", "positions"}
)  # fmt: skip


async def update_metadata(
    session: AsyncSession,
    *,
    document_id: int,
    fields: dict[str, str | list[str]],
    actor: User | None = None,
) -> list[str]:
    """Change a document's scope, unit, issuer, number, dates or positions (validated like an
    import's front matter; an empty value clears the field). Audited, and the revision is
    bumped so search applies the new scope at once. Returns the names of changed fields."""
    actor_id = _admin_id(actor)
    unknown = sorted(set(fields) - EDITABLE_FIELDS)
    if unknown:
        raise DomainError(ErrorCode.INVALID, f"Không sửa được trường: {', '.join(unknown)}.")
    doc = await get_document(session, document_id=document_id)
    meta = DocumentMeta(
        title=doc.title, kind=doc.kind, number=doc.number, issuer=doc.issuer,
        issued_on=doc.issued_on, effective_from=doc.effective_from, expires_on=doc.expires_on,
        scope=doc.scope, scope_unit_id=doc.scope_unit_id, positions=list(doc.positions),
        extra=dict(doc.meta),
    )  # fmt: skip
    apply_fields(meta, dict(fields))
    changed = _apply_meta(doc, meta, await _resolve_unit(session, meta))
    if changed:
        await _revise(session, doc, actor_id, "kb.metadata", changed=changed)
    return changed


async def bump_revision(session: AsyncSession) -> int:
    """Increase the knowledge-base revision by one and return the new value."""
    result = await session.execute(
        update(KnowledgeState)
        .where(KnowledgeState.id == 1)
        .values(revision=KnowledgeState.revision + 1)
        .returning(KnowledgeState.revision)
    )
    revision = result.scalar()
    if revision is None:  # the migration seeds the row; recreate it if someone deleted it
        session.add(KnowledgeState(id=1, revision=1))
        await session.flush()
        return 1
    return int(revision)


# --- helpers -----------------------------------------------------------------------------


async def _revise(
    session: AsyncSession, doc: Document, actor_id: int | None, action: str, **data: Any
) -> None:
    """A change search must see: bump the revision and audit it (title, details, revision)."""
    revision = await bump_revision(session)
    await record(
        session,
        actor_id=actor_id,
        action=action,
        entity="document",
        entity_id=doc.id,
        data={"title": doc.title, **data, "revision": revision},
    )


def _admin_id(actor: User | None) -> int | None:
    """The acting admin's id for the audit log; None is the system (CLI, seed). The check is on
    the caller's own User, so it cannot test someone else's role by mistake."""
    if actor is None:
        return None
    return require_admin(actor, ADMIN_ONLY).id


async def _resolve_unit(session: AsyncSession, meta: DocumentMeta) -> int | None:
    if meta.scope == Scope.NATIONAL:
        return None
    if meta.scope_unit_id is not None:
        if await session.get(Unit, meta.scope_unit_id) is None:
            raise DomainError(ErrorCode.INVALID, "Không tìm thấy đơn vị phạm vi áp dụng.")
        return meta.scope_unit_id
    if not meta.scope_unit:
        raise DomainError(
            ErrorCode.INVALID, "Văn bản phạm vi tỉnh/đơn vị cần ghi rõ đơn vị (scope_unit)."
        )
    unit_id = await session.scalar(select(Unit.id).where(Unit.name == meta.scope_unit))
    if unit_id is None:
        raise DomainError(ErrorCode.INVALID, f"Không tìm thấy đơn vị “{meta.scope_unit}”.")
    return unit_id


def _apply_meta(doc: Document, meta: DocumentMeta, unit_id: int | None) -> list[str]:
    """Copy metadata onto the document; return the names of fields that changed."""
    values: dict[str, Any] = {
        "kind": meta.kind,
        "number": meta.number[:100] if meta.number else None,
        "title": meta.title[:500],
        "issuer": meta.issuer[:200] if meta.issuer else None,
        "issued_on": meta.issued_on,
        "effective_from": meta.effective_from,
        "expires_on": meta.expires_on,
        "scope": meta.scope,
        "scope_unit_id": unit_id,
        "positions": list(meta.positions),
        "meta": dict(meta.extra),
    }
    changed = [k for k, v in values.items() if getattr(doc, k, None) != v]
    for name in changed:
        setattr(doc, name, values[name])
    if changed:
        doc.updated_at = utcnow()
    return changed


async def _supersede(session: AsyncSession, doc: Document, meta: DocumentMeta) -> list[str]:
    """Mark the documents `meta.supersedes` names as replaced by `doc` (search drops them)."""
    changed = []
    for ref in meta.supersedes:
        old = await session.scalar(
            select(Document).where(
                (Document.key == fold(ref)[:300])
                | (Document.number == ref)
                | (Document.title == ref)
            )
        )
        if old is None:
            raise DomainError(ErrorCode.INVALID, f"Không tìm thấy văn bản bị thay thế “{ref}”.")
        if old.id != doc.id and old.superseded_by_id != doc.id:
            old.superseded_by_id = doc.id
            old.updated_at = utcnow()
            changed.append(f"supersedes:{old.id}")
    return changed


async def _add_version(
    session: AsyncSession,
    doc: Document,
    parsed: ParsedDocument,
    actor_id: int | None,
    staged: str | None,
) -> DocumentVersion:
    number = max((v.number for v in doc.versions), default=0) + 1
    version = DocumentVersion(
        document_id=doc.id,
        number=number,
        content_hash=parsed.content_hash,
        source_name=parsed.source_name[:300],
        text=parsed.text,
        is_current=True,
        created_by_id=actor_id,
        created_at=utcnow(),
    )
    doc.versions.append(version)
    await session.flush()
    owner = {"version_id": version.id, "document_id": doc.id, "active": True}
    if staged is not None:
        # Copied inside the database, in passage order (chunk ids follow it, as below).
        source = (
            select(
                *(literal(v) for v in owner.values()),
                *(getattr(StagedPassage, c) for c in PASSAGE_COLUMNS),
            )
            .where(StagedPassage.batch == staged)
            .order_by(StagedPassage.ordinal)
        )
        await session.execute(insert(Chunk).from_select([*owner, *PASSAGE_COLUMNS], source))
        return version
    rows = [{**owner, **row} for row in _passages(parsed, 0, len(parsed.chunks))]
    if rows:
        # One executemany: thousands of chunks insert in well under a second.
        await session.execute(insert(Chunk), rows)
    return version


def _passages(parsed: ParsedDocument, start: int, stop: int) -> list[dict[str, Any]]:
    """The `PassageColumns` of passages `start` to `stop` of a parsed document."""
    return [
        {
            "external_id": c.external_id[:300] if c.external_id else None,
            "ordinal": i,
            "citation": c.citation[:500],
            "article": c.article[:20] if c.article else None,
            "clause": c.clause[:20] if c.clause else None,
            "point": c.point[:20] if c.point else None,
            "heading": c.heading[:500],
            "text": c.text,
        }
        for i, c in enumerate(parsed.chunks[start:stop], start)
    ]


async def _set_active(session: AsyncSession, version_id: int, active: bool) -> None:
    await session.execute(update(Chunk).where(Chunk.version_id == version_id).values(active=active))


async def _finish(
    session: AsyncSession,
    doc: Document,
    version: DocumentVersion,
    parsed: ParsedDocument,
    status: ImportStatus,
    actor_id: int | None,
    changed: list[str] | None = None,
) -> ImportResult:
    await _revise(
        session,
        doc,
        actor_id,
        f"kb.{status}",
        version=version.number,
        content_hash=version.content_hash,
        chunks=len(parsed.chunks),
        source=parsed.source_name,
        changed=changed or [],
    )
    return _result(doc, version, parsed, status)


def _result(
    doc: Document, version: DocumentVersion | None, parsed: ParsedDocument, status: ImportStatus
) -> ImportResult:
    return ImportResult(
        document_id=doc.id,
        version_id=version.id if version else 0,
        version_number=version.number if version else 0,
        status=status,
        title=doc.title,
        articles=parsed.articles,
        chunks=len(parsed.chunks),
    )
