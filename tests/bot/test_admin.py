"""Admin: a document sent to the bot is previewed, imported on confirmation, and searchable."""

from __future__ import annotations

import pytest
from fake_telegram import FakeTelegram
from sqlalchemy import select

from bot import texts
from core.context import AppContext
from core.db import unit_of_work
from core.knowledge import imports
from knowledge.models import Document

GUIDE = """---
kind: guidance
number: 07/2026/HD-THU
title: Hướng dẫn thử về phòng chống sạt lở đất ở thôn bản
---

## Điều 1. Theo dõi vết nứt trên sườn đồi

1. Tổ an toàn thôn kiểm tra vết nứt sau mỗi trận mưa lớn và báo cáo Ủy ban nhân dân xã.

## Điều 2. Di dời hộ dân khỏi vùng nguy hiểm

1. Khi vết nứt mở rộng, Chủ tịch Ủy ban nhân dân xã quyết định di dời tạm thời các hộ dân.
"""


async def test_admin_imports_document_after_preview(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    admin, cadre = people.fakes["admin"], people.fakes["cadre"]
    ctx.settings.novel_threshold = 0.0
    mark = fake.mark()
    await fake.send_document(admin, "chay.exe", b"MZ\x00\x00")
    refused = await fake.wait_message(admin.id, "Định dạng tệp không được hỗ trợ", after=mark)
    assert ".html" in refused.text and ".jsonl" in refused.text  # the importers' one list
    await fake.send_document(cadre, "huong_dan.md", GUIDE.encode())
    await fake.wait_message(cadre.id, "Chỉ quản trị viên", after=mark)

    await fake.send_document(admin, "huong_dan_sat_lo.md", GUIDE.encode(), "text/markdown")
    preview = await fake.wait_message(admin.id, "Xem trước tài liệu", after=mark)
    assert "Hướng dẫn thử về phòng chống sạt lở đất" in preview.text
    assert "Số điều: 2" in preview.text and "07/2026/HD-THU" in preview.text
    await fake.press(admin, preview, "Nhập")
    # Issue 11 #9: the import is a background job; the bot says so at once, then the result
    # arrives through the outbox as a new message.
    await fake.wait_message(admin.id, "Đang nhập “huong_dan_sat_lo.md”", after=mark)
    imported = await fake.wait_message(admin.id, "Đã nhập", after=mark)
    assert "đã thêm mới, 2 điều" in imported.text and "created" not in imported.text

    await fake.send_text(cadre, "khi nào phải di dời hộ dân vì vết nứt sạt lở")
    answer = await fake.wait_message(cadre.id, "Hướng dẫn thử về phòng chống sạt lở", after=mark)
    assert "Điều 2" in answer.text

    await fake.send_text(admin, "/kb")
    stats = await fake.wait_message(admin.id, "Cơ sở tri thức", after=mark)
    assert "Văn bản đang dùng: 2" in stats.text
    assert "kết hợp ngữ nghĩa và từ khóa" in stats.text and "hybrid" not in stats.text

    # The same document, changed: the preview says which version it would become.
    changed = GUIDE.replace("Điều 2.", "Điều 2. (sửa đổi)")
    await fake.send_document(admin, "huong_dan_sat_lo_v2.md", changed.encode(), "text/markdown")
    again = await fake.wait_message(admin.id, "sẽ thành phiên bản 2", after=mark)
    assert "Xem trước tài liệu" in again.text


async def test_admin_follows_a_background_import_with_the_progress_button(
    ctx: AppContext, people, fake: FakeTelegram, runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11 #9: the queued message has 🔄 Xem tiến độ; a tap shows the job's phase and
    counts so far, a document larger than a step (one passage here) moving passage by passage."""
    # The test drives the job: neither the upload's own start nor the worker loop takes it.
    monkeypatch.setattr(imports, "start", lambda *_args: None)

    async def nothing_pending(*_args: object) -> int:
        return 0

    monkeypatch.setattr(imports, "run_pending", nothing_pending)
    monkeypatch.setattr(imports, "BATCH_CHUNKS", 1)
    admin = people.fakes["admin"]
    mark = fake.mark()
    await fake.send_document(admin, "huong_dan_sat_lo.md", GUIDE.encode(), "text/markdown")
    preview = await fake.wait_message(admin.id, "Xem trước tài liệu", after=mark)
    await fake.press(admin, preview, "Nhập")
    queued = await fake.wait_message(admin.id, "Đang nhập “huong_dan_sat_lo.md”", after=mark)
    await fake.press(admin, queued, "Xem tiến độ")
    await fake.wait_message(admin.id, "“huong_dan_sat_lo.md”: Đang chờ đến lượt nhập…", after=mark)

    job_id = await imports.claim(ctx.sessionmaker, ctx.settings)
    assert job_id is not None
    steps = imports.steps(ctx.sessionmaker, ctx.settings, job_id, ctx.retriever.sync)
    await anext(steps)  # parsed
    await anext(steps)  # the first passage staged
    mark = fake.mark()
    await fake.press(admin, queued, "Xem tiến độ")
    shown = await fake.wait_message(admin.id, "Đang lưu vào kho tri thức…", after=mark)
    assert "Đã lưu 0/1 văn bản, 1/2 đoạn." in shown.text
    assert [b["text"] for b in shown.buttons()] == [texts.BTN_IMPORT_PROGRESS]
    async for _ in steps:
        pass
    await fake.wait_message(admin.id, "Đã nhập", after=mark)  # the result, through the outbox
    mark = fake.mark()
    await fake.press(admin, queued, "Xem tiến độ")
    done = await fake.wait_message(admin.id, "Đã nhập", after=mark)  # the message, edited
    assert "đã thêm mới, 2 điều, 2 đoạn" in done.text and done.buttons() == []


async def test_admin_picks_a_unit_scope_after_preview(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    """Issue 10, defect 9: a bot upload is not nationwide unless the admin says so."""
    admin = people.fakes["admin"]
    mark = fake.mark()
    own = GUIDE.replace("07/2026/HD-THU", "08/2026/QC-AB").replace("Hướng dẫn thử", "Quy chế xã")
    await fake.send_document(admin, "quy_che.md", own.encode(), "text/markdown")
    preview = await fake.wait_message(admin.id, "Xem trước tài liệu", after=mark)
    labels = [b["text"] for b in preview.buttons()]
    assert any("toàn tỉnh: Tỉnh Thử Nghiệm" in label for label in labels)
    await fake.press(admin, preview, "một đơn vị")
    choose = await fake.wait_message(admin.id, texts.IMPORT_PICK_UNIT, after=mark)
    await fake.press(admin, choose, "Xã An Bình")
    done = await fake.wait_message(admin.id, "Đã nhập", after=mark)
    assert "phạm vi: Một đơn vị (Xã An Bình)" in done.text
    async with unit_of_work(ctx.sessionmaker) as s:
        doc = await s.scalar(select(Document).where(Document.number == "08/2026/QC-AB"))
        assert doc is not None and (doc.scope, doc.scope_unit_id) == ("unit", people.commune_id)


async def test_role_filters_route_admin_and_supervisor_commands(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    """Issue 10: the role checks are router filters; everyone else gets the polite refusal."""
    cadre, sup = people.fakes["cadre"], people.fakes["sup1"]
    mark = fake.mark()
    await fake.send_text(cadre, "/kb")
    await fake.wait_message(cadre.id, texts.ADMIN_ONLY, after=mark)
    await fake.send_text(sup, "/kb")
    await fake.wait_message(sup.id, texts.ADMIN_ONLY, after=mark)
    await fake.send_text(cadre, "/hangdoi")
    await fake.wait_message(cadre.id, texts.SUP_ONLY, after=mark)
    await fake.send_document(sup, "huong_dan.md", GUIDE.encode())
    await fake.wait_message(sup.id, "Chỉ quản trị viên", after=mark)


async def test_role_filter_needs_an_active_holder_of_the_role() -> None:
    from bot.filters import RoleFilter
    from core.users.enums import Role
    from core.users.models import User

    admin = User(role=Role.ADMIN, active=True)
    check = RoleFilter(Role.ADMIN)
    assert await check(None, user=admin) is True  # type: ignore[arg-type]
    assert await check(None, user=None) is False  # type: ignore[arg-type]
    assert await check(None, user=User(role=Role.ADMIN, active=False)) is False  # type: ignore[arg-type]
    assert await RoleFilter(Role.SUPERVISOR, Role.ADMIN)(None, user=admin) is True  # type: ignore[arg-type]
    assert await check(None, user=User(role=Role.SUPERVISOR, active=True)) is False  # type: ignore[arg-type]
