"""Import, re-import idempotence, versioning, retire, listing, stats, precedents, audit
(SQLite, and PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit.models import AuditEntry
from core.audit.service import verify
from core.db import unit_of_work
from core.errors import DomainError, ErrorCode
from core.users.models import Unit, User
from knowledge import service
from knowledge.importers import parse_documents, parse_file
from knowledge.models import Chunk, Document, DocumentVersion

SM = async_sessionmaker[AsyncSession]

LONG = " ".join(f"từ{i}" for i in range(400))
ROWS = [
    {
        "id": "Quy chế mẫu#1",
        "document": "Quy chế mẫu",
        "article": "1",
        "title": "Phạm vi",
        "text": "Quy chế này áp dụng cho công chức xã mẫu.",
    },
    {
        "id": "Quy chế mẫu#2",
        "document": "Quy chế mẫu",
        "article": "2",
        "title": "Giờ làm việc",
        "text": f"1. Buổi sáng từ 7 giờ 30.\n\n2. Buổi chiều {LONG}.",
    },
    {
        "id": "Nội quy mẫu#1",
        "document": "Nội quy mẫu",
        "article": "1",
        "title": "Tiếp dân",
        "text": "Tiếp công dân vào thứ Ba và thứ Năm hằng tuần.",
    },
]


def _jsonl(rows: list[dict[str, str]]) -> bytes:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()


async def _count(session: AsyncSession, model: type, *where: object) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def _import(sm: SM, data: bytes, name: str = "mau.jsonl") -> list[service.ImportResult]:
    async with unit_of_work(sm) as session:
        return await service.import_documents(session, parse_documents(data, name))


async def test_jsonl_import_groups_documents_and_keeps_external_ids(sessionmaker: SM) -> None:
    results = await _import(sessionmaker, _jsonl(ROWS))
    assert [(r.title, r.status, r.articles) for r in results] == [
        ("Quy chế mẫu", "created", 2),
        ("Nội quy mẫu", "created", 1),
    ]
    async with sessionmaker() as session:
        chunks = list(await session.scalars(select(Chunk).order_by(Chunk.id)))
        assert {c.external_id for c in chunks} == {r["id"] for r in ROWS}
        long_windows = [c for c in chunks if c.external_id == "Quy chế mẫu#2"]
        assert len(long_windows) >= 3 and all(c.article == "2" for c in long_windows)
        assert long_windows[0].citation == "Quy chế mẫu, Điều 2, khoản 1–2"
        assert long_windows[-1].citation == "Quy chế mẫu, Điều 2, khoản 2"
        assert (await service.stats(session)).revision == 2
        actions = list(await session.scalars(select(AuditEntry.action)))
        assert actions == ["kb.created", "kb.created"]


async def test_reimport_unchanged_is_a_no_op(sessionmaker: SM) -> None:
    await _import(sessionmaker, _jsonl(ROWS))
    again = await _import(sessionmaker, _jsonl(ROWS))
    assert {r.status for r in again} == {"unchanged"}
    async with sessionmaker() as session:
        assert await _count(session, DocumentVersion) == 2
        assert await _count(session, AuditEntry) == 2
        assert await service.current_revision(session) == 2


async def test_changed_content_creates_version_and_retires_old_chunks(sessionmaker: SM) -> None:
    first = await _import(sessionmaker, _jsonl(ROWS))
    changed = [dict(r) for r in ROWS[:2]]
    changed[0]["text"] = "Quy chế này áp dụng cho công chức và người hoạt động không chuyên trách."
    second = await _import(sessionmaker, _jsonl(changed))
    assert second[0].status == "new_version" and second[0].version_number == 2
    async with sessionmaker() as session:
        doc = await service.get_document(session, document_id=first[0].document_id)
        old, new = doc.versions
        assert (old.is_current, new.is_current) == (False, True)
        assert old.retired_at is not None and new.retired_at is None
        old_chunks = await service.list_chunks(session, document_id=doc.id, version_id=old.id)
        assert old_chunks and not any(c.active for c in old_chunks)
        current = await service.list_chunks(session, document_id=doc.id)
        assert current and all(c.active and c.version_id == new.id for c in current)
        # The old text stays readable for audit and diffs.
        assert "công chức xã mẫu" in await service.get_version_text(session, version_id=old.id)
        assert await service.current_revision(session) == 3
        assert (await verify(session)).ok


async def test_retire_and_restore(sessionmaker: SM) -> None:
    [doc_result, other] = await _import(sessionmaker, _jsonl(ROWS))
    async with unit_of_work(sessionmaker) as session:
        doc = await service.retire_document(session, document_id=doc_result.document_id)
        assert doc.retired_at is not None
    async with sessionmaker() as session:
        assert await _count(session, Chunk, Chunk.document_id == doc.id, Chunk.active) == 0
        assert (
            await _count(session, Chunk, Chunk.document_id == other.document_id, Chunk.active) == 1
        )
        stats = await service.stats(session)
        assert stats.documents == 1 and stats.retired_documents == 1 and stats.revision == 3
        last = await session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        assert last is not None and last.action == "kb.retire" and last.entity_id == str(doc.id)
    with pytest.raises(DomainError) as err:
        async with unit_of_work(sessionmaker) as session:
            await service.retire_document(session, document_id=doc.id)
    assert err.value.code is ErrorCode.CONFLICT
    restored = await _import(sessionmaker, _jsonl(ROWS[:2]))
    assert restored[0].status == "restored"
    async with sessionmaker() as session:
        assert await _count(session, Chunk, Chunk.document_id == doc.id, Chunk.active) > 0


async def test_metadata_only_change_updates_in_place(sessionmaker: SM) -> None:
    md = "---\nkind: guidance\ntitle: Hướng dẫn mẫu\n---\n# Hướng dẫn mẫu\nNội dung hướng dẫn."
    [first] = await _import(sessionmaker, md.encode(), "huong-dan.md")
    later = md.replace("kind: guidance", "kind: guidance\neffective_from: 01/07/2025")
    [second] = await _import(sessionmaker, later.encode(), "huong-dan.md")
    assert (first.status, second.status) == ("created", "updated")
    assert second.version_id == first.version_id
    async with sessionmaker() as session:
        doc = await service.get_document(session, document_id=first.document_id)
        assert doc.effective_from is not None and doc.effective_from.isoformat() == "2025-07-01"


async def test_list_documents_filters_and_pages(sessionmaker: SM) -> None:
    await _import(sessionmaker, _jsonl(ROWS))
    md = "---\nkind: competency\n---\n# Khung năng lực mẫu\nNội dung."
    await _import(sessionmaker, md.encode(), "khung.md")
    async with sessionmaker() as session:
        page = await service.list_documents(session, search="quy che")
        assert [d.title for d in page.items] == ["Quy chế mẫu"] and page.total == 1
        page = await service.list_documents(session, kind="competency")
        assert [d.title for d in page.items] == ["Khung năng lực mẫu"]
        page = await service.list_documents(session, limit=2, offset=2)
        assert page.total == 3 and len(page.items) == 1
        counts = await service.chunk_counts(session, document_ids=[d.id for d in page.items])
        assert next(iter(counts.values())) >= 1
        assert (await service.list_documents(session, status="retired")).total == 0


async def test_only_admins_change_the_knowledge_base(sessionmaker: SM) -> None:
    async with unit_of_work(sessionmaker) as session:
        unit = Unit(name="Xã Mẫu", kind="commune")
        session.add(unit)
        await session.flush()
        cadre = User(full_name="Nguyễn Văn A", role="cadre", unit_id=unit.id)
        admin = User(full_name="Trần Thị B", role="admin", unit_id=unit.id)
        session.add_all([cadre, admin])
    parsed = parse_file(_jsonl(ROWS[2:]), "mau.jsonl")
    with pytest.raises(DomainError) as err:
        async with unit_of_work(sessionmaker) as session:
            await service.import_parsed(session, parsed, actor=cadre)
    assert err.value.code is ErrorCode.FORBIDDEN
    async with unit_of_work(sessionmaker) as session:
        result = await service.import_parsed(session, parsed, actor=admin)
    async with sessionmaker() as session:
        entry = await session.scalar(select(AuditEntry))
        assert entry is not None and entry.actor_id == admin.id
        version = await session.get(DocumentVersion, result.version_id)
        assert version is not None and version.created_by_id == admin.id


async def test_unit_scope_needs_a_known_unit(sessionmaker: SM) -> None:
    md = "---\nscope: unit\nscope_unit: Phường Không Có\n---\n# Quy định riêng\nNội dung."
    with pytest.raises(DomainError) as err:
        await _import(sessionmaker, md.encode(), "rieng.md")
    assert err.value.code is ErrorCode.INVALID and "Phường Không Có" in err.value.message
    async with unit_of_work(sessionmaker) as session:
        session.add(Unit(name="Phường Mẫu", kind="commune"))
    [result] = await _import(sessionmaker, md.replace("Không Có", "Mẫu").encode(), "rieng.md")
    async with sessionmaker() as session:
        doc = await service.get_document(session, document_id=result.document_id)
        assert doc.scope == "unit" and doc.scope_unit_id is not None


async def test_precedent_and_good_practice_cite_their_source(sessionmaker: SM) -> None:
    async with unit_of_work(sessionmaker) as session:
        unit = Unit(name="Tỉnh Mẫu", kind="province")
        session.add(unit)
        await session.flush()
        admin = User(full_name="Lê Văn Duyệt", role="admin", unit_id=unit.id)
        session.add(admin)
        await session.flush()
        doc = await service.create_precedent(
            session,
            title="Xác nhận cư trú khi chưa có bản đồ địa giới mới",
            question="Người dân hỏi nơi xác nhận cư trú sau khi sáp nhập xã.",
            answer="Điều 5. Tạm thời UBND xã mới xác nhận theo dữ liệu dân cư hiện có.",
            legal_basis="Hướng dẫn mẫu số 1",
            case_number="XYK-2025-0007",
            approved_by_id=admin.id,
            scope="province",
            scope_unit_id=unit.id,
            expires_on=(datetime.now(UTC) + timedelta(days=365)).date(),
        )
        practice = await service.create_good_practice(
            session,
            title="Sổ tay điện tử tiếp dân",
            problem="Người dân chờ lâu.",
            solution="Lập sổ tay điện tử các thủ tục thường gặp.",
            results="Thời gian chờ giảm một nửa.",
            initiative_number="SK-2025-0003",
            recognised_by_id=admin.id,
            authors="Tổ một cửa",
        )
    async with sessionmaker() as session:
        doc = await service.get_document(session, document_id=doc.id)
        assert doc.kind == "precedent" and doc.number == "XYK-2025-0007"
        assert "XYK-2025-0007" in doc.title and doc.issuer == "Lê Văn Duyệt"
        assert doc.meta["approved_by_id"] == admin.id
        chunks = await service.list_chunks(session, document_id=doc.id)
        # The quoted "Điều 5." does not turn the answer into an article.
        assert len(chunks) == 1 and chunks[0].article is None
        assert chunks[0].citation == doc.title
        assert "Tình huống:" in chunks[0].text and "Lê Văn Duyệt" in chunks[0].text
        practice = await service.get_document(session, document_id=practice.id)
        assert practice.kind == "guidance" and "SK-2025-0003" in practice.title
        actions = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
        assert actions == ["kb.created", "kb.precedent", "kb.created", "kb.good_practice"]
        assert (await verify(session)).ok


async def test_seed_is_idempotent_and_respects_replacements(sessionmaker: SM) -> None:
    async with unit_of_work(sessionmaker) as session:
        assert await service.seed_if_empty(session)
    async with sessionmaker() as session:
        seeded = await _count(session, Document)
        assert seeded >= 3
        assert {d.kind for d in (await service.list_documents(session)).items} >= {
            "guidance",
            "competency",
        }
    async with unit_of_work(sessionmaker) as session:
        assert not await service.seed_if_empty(session)
        again = await service.seed_starter(session)
        assert {r.status for r in again} == {"unchanged"}
        retired = again[0].document_id
        await service.retire_document(session, document_id=retired)
    async with unit_of_work(sessionmaker) as session:
        results = await service.seed_starter(session)
        assert {r.status for r in results if r.document_id == retired} == {"skipped"}
    async with sessionmaker() as session:
        assert await _count(session, Document, Document.retired_at.is_not(None)) == 1


async def test_supersedes_links_the_replaced_document(sessionmaker: SM) -> None:
    old_md = "---\nnumber: 05/2020/QĐ-MẪU\ntitle: Quy chế cũ\n---\nĐiều 1. Cũ\nNội dung cũ."
    new_md = (
        "---\nnumber: 09/2025/QĐ-MẪU\ntitle: Quy chế mới\nsupersedes: 05/2020/QĐ-MẪU\n---\n"
        "Điều 1. Mới\nNội dung mới."
    )
    [old] = await _import(sessionmaker, old_md.encode(), "cu.md")
    [new] = await _import(sessionmaker, new_md.encode(), "moi.md")
    async with sessionmaker() as session:
        replaced = await service.get_document(session, document_id=old.document_id)
        assert replaced.superseded_by_id == new.document_id
        last = await session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        assert last is not None and f"supersedes:{old.document_id}" in last.data["changed"]
    missing = new_md.replace("05/2020/QĐ-MẪU", "01/1999/KHÔNG-CÓ")
    with pytest.raises(DomainError) as err:
        await _import(sessionmaker, missing.encode(), "moi.md")
    assert err.value.code is ErrorCode.INVALID and "01/1999/KHÔNG-CÓ" in err.value.message
