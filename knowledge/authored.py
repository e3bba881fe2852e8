"""Documents the product writes itself: approved precedents, good practice from recognised
initiatives, and the bundled starter (sample) knowledge base."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import record
from core.db import get_row
from core.text import normalize, normalize_line
from core.users.models import User
from knowledge.chunking import Section, chunk_section
from knowledge.importers import parse_documents
from knowledge.importers.base import (
    DEFAULT_CHUNK_STEP,
    DEFAULT_CHUNK_WORDS,
    DocumentMeta,
    ParsedDocument,
    content_hash,
)
from knowledge.models import Document, DocumentKind, DocumentVersion, Scope
from knowledge.queries import get_document
from knowledge.store import ImportResult, import_parsed

STARTER_DIR = Path(__file__).resolve().parent / "starter"
STARTER_SOURCE_PREFIX = "starter/"
_VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


async def create_precedent(
    session: AsyncSession,
    *,
    title: str,
    question: str,
    answer: str,
    legal_basis: str | None,
    case_number: str,
    approved_by_id: int,
    scope: str = Scope.NATIONAL.value,
    scope_unit_id: int | None = None,
    expires_on: date | None = None,
) -> Document:
    """Publish an approved answer as a "precedent" document citing case number, approver, date.

    Called by the fast-consultation queue once an admin approves (the caller checks that right).
    Approving the same case again creates a new version of the same document.
    """
    approver = await get_row(session, User, approved_by_id, "người dùng")
    today = datetime.now(_VN_TZ).date()
    source = (
        f"Nguồn: trả lời phiếu xin ý kiến số {case_number}; phê duyệt bởi {approver.full_name} "
        f"ngày {today:%d/%m/%Y}."
    )
    body = (
        f"Tình huống: {question}\n\nHướng dẫn: {answer}\n\n"
        f"Căn cứ pháp lý: {legal_basis or 'không nêu'}\n\n{source}"
    )
    meta = DocumentMeta(
        title=f"{normalize_line(title)} (tiền lệ theo phiếu {case_number}, duyệt {today:%d/%m/%Y})",
        kind=DocumentKind.PRECEDENT.value,
        number=case_number,
        key=f"precedent:{case_number}",
        extra={
            "case_number": case_number,
            "approved_by_id": approved_by_id,
            "approved_on": today.isoformat(),
        },
    )
    reach = _Reach(scope, scope_unit_id, expires_on)
    return await _publish_plain(session, meta, body, approver, today, reach, "kb.precedent")


async def create_good_practice(
    session: AsyncSession,
    *,
    title: str,
    problem: str,
    solution: str,
    results: str,
    initiative_number: str,
    recognised_by_id: int,
    authors: str = "",
    scope: str = Scope.NATIONAL.value,
    scope_unit_id: int | None = None,
    expires_on: date | None = None,
) -> Document:
    """Publish a recognised initiative as good practice (kind guidance) citing the initiative.

    Called by the initiatives service after recognition (the caller checks that right).
    """
    recogniser = await get_row(session, User, recognised_by_id, "người dùng")
    today = datetime.now(_VN_TZ).date()
    by = f" của {authors}" if authors else ""
    body = (
        f"Vấn đề: {problem}\n\nCách làm: {solution}\n\nKết quả: {results}\n\n"
        f"Nguồn: sáng kiến số {initiative_number}{by}; công nhận bởi {recogniser.full_name} "
        f"ngày {today:%d/%m/%Y}."
    )
    meta = DocumentMeta(
        title=f"Thực tiễn tốt: {normalize_line(title)} (sáng kiến {initiative_number})",
        kind=DocumentKind.GUIDANCE.value,
        number=initiative_number,
        key=f"initiative:{initiative_number}",
        extra={
            "initiative_number": initiative_number,
            "recognised_by_id": recognised_by_id,
            "recognised_on": today.isoformat(),
        },
    )
    reach = _Reach(scope, scope_unit_id, expires_on)
    return await _publish_plain(session, meta, body, recogniser, today, reach, "kb.good_practice")


async def seed_starter(
    session: AsyncSession,
    *,
    chunk_words: int = DEFAULT_CHUNK_WORDS,
    chunk_step: int = DEFAULT_CHUNK_STEP,
) -> list[ImportResult]:
    """Import the bundled sample documents. Idempotent; a starter document that an admin
    retired or replaced by their own version is left alone."""
    results = []
    for path in sorted(STARTER_DIR.glob("*.md")):
        for parsed in parse_documents(
            path,
            f"{STARTER_SOURCE_PREFIX}{path.name}",
            chunk_words=chunk_words,
            chunk_step=chunk_step,
        ):
            existing = await session.scalar(
                select(DocumentVersion)
                .join(Document)
                .where(Document.key == parsed.meta.resolved_key, DocumentVersion.is_current)
            )
            if existing is not None and not existing.source_name.startswith(STARTER_SOURCE_PREFIX):
                continue  # the province replaced it with its own text
            results.append(await import_parsed(session, parsed, revive=False))
    return results


async def seed_if_empty(
    session: AsyncSession,
    *,
    chunk_words: int = DEFAULT_CHUNK_WORDS,
    chunk_step: int = DEFAULT_CHUNK_STEP,
) -> bool:
    """Seed the starter content when the knowledge base has no documents at all (first run)."""
    if await session.scalar(select(func.count()).select_from(Document)):
        return False
    await seed_starter(session, chunk_words=chunk_words, chunk_step=chunk_step)
    return True


# --- helpers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reach:
    """Who an authored document is for and until when."""

    scope: str
    scope_unit_id: int | None
    expires_on: date | None


async def _publish_plain(
    session: AsyncSession,
    meta: DocumentMeta,
    body: str,
    signer: User,
    today: date,
    reach: _Reach,
    action: str,
) -> Document:
    """Store a document the product wrote, issued and in force from today in the signer's
    name, and record who published it."""
    meta = replace(
        meta,
        issuer=signer.full_name,
        issued_on=today,
        effective_from=today,
        expires_on=reach.expires_on,
        scope=reach.scope,
        scope_unit_id=reach.scope_unit_id,
    )
    # Answers may quote "Điều 5. ..." lines: chunk as one plain section, never as articles.
    text = normalize(body)
    chunks = chunk_section(
        Section("", text),
        title=meta.title,
        chunk_words=DEFAULT_CHUNK_WORDS,
        chunk_step=DEFAULT_CHUNK_STEP,
    )
    parsed = ParsedDocument(meta, text, chunks, 0, action, content_hash(text))
    result = await import_parsed(session, parsed)
    doc = await get_document(session, document_id=result.document_id)
    await record(
        session,
        actor_id=signer.id,
        action=action,
        entity="document",
        entity_id=doc.id,
        data={"title": doc.title, "number": doc.number, "version": result.version_number},
    )
    return doc
