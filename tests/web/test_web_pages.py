"""Console pages over plain HTTP: analytics, admin, knowledge base, cases, Thử hỏi."""

from __future__ import annotations

import html
import re

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit.models import AuditEntry
from core.context import AppContext
from core.db import unit_of_work
from core.users import service as users
from core.users import tokens
from tests.hostile import bypass_audit_guard
from tests.web.conftest import World, login


async def test_analytics_csv_and_charts(client: httpx.AsyncClient, people: World) -> None:
    await login(client, people.people["supervisor"].token)
    page = await client.get("/analytics?start=2026-01-01&end=2026-01-31")
    assert page.status_code == 200 and "<svg" in page.text
    export = await client.get("/analytics.csv?start=2026-01-01&end=2026-01-31")
    assert export.headers["content-type"].startswith("text/csv")
    body = export.content.decode("utf-8")
    assert body.startswith("\ufeffMục,Khóa,Giá trị")
    assert body.count("Câu hỏi theo ngày") == 31
    bad = await client.get("/analytics?start=2026-02-01&end=2026-01-01")
    assert bad.status_code == 422


async def test_analytics_counts_logged_questions_and_summarises_gaps(
    client: httpx.AsyncClient, people: World, ctx: AppContext
) -> None:
    from core.feedback import service as feedback

    cadre = people.people["cadre"]
    asked = [
        ("Nuôi chó thả rông bị phạt thế nào?", True),
        ("Xử lý chó thả rông cắn người", True),
        ("Hồ sơ đăng ký khai sinh gồm gì?", False),
    ]
    async with unit_of_work(ctx.sessionmaker) as session:
        for query, novel in asked:
            await feedback.log_question(
                session,
                user_id=cadre.id,
                unit_id=cadre.unit_id,
                query=query,
                passages=[],
                confidence=0.2 if novel else 0.9,
                novel=novel,
            )
    await login(client, people.people["supervisor"].token)
    page = await client.get("/analytics")
    assert 'id="total-questions">3<' in page.text
    assert "chó thả" in page.text and "thả rông" in page.text  # a recurring gap phrase
    export = (await client.get("/analytics.csv")).content.decode("utf-8")
    assert "Tổng,Số câu hỏi,3," in export
    assert "Cụm từ trong câu hỏi chưa có hướng dẫn,thả rông,2," in export


async def test_admin_creates_a_unit_sets_its_ladder_and_issues_an_invite(
    client: httpx.AsyncClient, people: World, ctx: AppContext
) -> None:
    token = await login(client, people.people["admin"].token)
    created = await client.post(
        "/admin/units",
        data={
            "csrf_token": token,
            "name": "UBND phường Mới",
            "kind": "commune",
            "parent_id": str(people.province_id),
            "positions": "Công chức Tư pháp - Hộ tịch\nCông chức Địa chính",
        },
    )
    assert created.status_code == 303
    async with unit_of_work(ctx.sessionmaker) as session:
        unit = await users.get_unit_by_name(session, name="UBND phường Mới")
    assert unit is not None and unit.positions == [
        "Công chức Tư pháp - Hộ tịch",
        "Công chức Địa chính",
    ]
    saved = await client.post(
        f"/admin/units/{unit.id}",
        data={"csrf_token": token, "escalates_to_id": str(people.province_id), "positions": "A b"},
    )
    assert saved.status_code == 303
    # A ladder that loops back is refused by the users service, shown as a page.
    loop = await client.post(
        f"/admin/units/{people.province_id}",
        data={"csrf_token": token, "escalates_to_id": str(unit.id)},
    )
    assert loop.status_code == 422 and "vòng lặp" in loop.text
    invite = await client.post(
        "/admin/invites",
        data={"csrf_token": token, "role": "cadre", "unit_id": str(unit.id), "uses": "5"},
    )
    assert invite.status_code == 303
    page = (await client.get("/admin/units")).text
    assert "/start " in page and "UBND phường Mới" in page


async def test_rubric_editor_saves_a_new_version(client: httpx.AsyncClient, people: World) -> None:
    token = await login(client, people.people["admin"].token)
    page = await client.get("/admin/rubric")
    assert 'id="rubric-version">1<' in page.text
    form = {
        "csrf_token": token,
        "key": ["novelty", "benefit", ""],
        "name": ["Tính mới", "Hiệu quả", ""],
        "description": ["", "", ""],
        "weight": ["40", "60", ""],
        "scale_min": ["1", "1", "1"],
        "scale_max": ["5", "5", "5"],
        "pass_mark": ["", "", ""],
        "note": "Rút gọn còn hai tiêu chí",
    }
    assert (await client.post("/admin/rubric", data=form)).status_code == 303
    page = await client.get("/admin/rubric")
    assert 'id="rubric-version">2<' in page.text and "Hiệu quả" in page.text
    form["weight"] = ["-1", "60", ""]
    rejected = await client.post("/admin/rubric", data=form)
    assert rejected.status_code == 422 and "không được âm" in rejected.text


async def test_audit_page_verifies_the_chain_and_names_the_broken_entry(
    client: httpx.AsyncClient, people: World, ctx: AppContext
) -> None:
    await login(client, people.people["admin"].token)
    page = await client.get("/admin/audit?verify=true")
    assert "Chuỗi nhật ký toàn vẹn" in page.text
    sm: async_sessionmaker[AsyncSession] = ctx.sessionmaker
    async with unit_of_work(sm) as session:
        await bypass_audit_guard(session)  # PostgreSQL refuses the edit otherwise
        await session.execute(
            update(AuditEntry).where(AuditEntry.id == 2).values(data={"sửa": "trái phép"})
        )
    page = await client.get("/admin/audit?verify=true")
    assert "bị đứt tại mục số 2" in page.text


async def test_forward_moves_the_case_up_the_ladder(
    client: httpx.AsyncClient, people: World, ctx: AppContext
) -> None:
    from core.cases import service as cases
    from core.cases.schemas import CaseCreate
    from core.users.models import Unit

    async with unit_of_work(ctx.sessionmaker) as session:
        commune = await session.get(Unit, people.commune_id)
        assert commune is not None and commune.escalates_to_id is not None
        upper = await users.create_user(
            session,
            full_name="Hồ Cấp Trên",
            role="supervisor",
            unit_id=commune.escalates_to_id,
            actor=None,
        )
        cadre = await users.require_user(session, user_id=people.people["cadre"].id)
        case = await cases.create_case(
            session,
            actor=cadre,
            data=CaseCreate(question="Hộ kinh doanh xin dựng mái che tạm trên vỉa hè được không?"),
            settings=ctx.settings,
        )
    token = await login(client, people.people["supervisor"].token)
    page = await client.get(f"/cases/{case.id}")
    assert 'id="forward"' in page.text and 'id="claim"' in page.text
    moved = await client.post(
        f"/cases/{case.id}/forward", data={"csrf_token": token, "note": "Vượt thẩm quyền xã"}
    )
    assert moved.status_code == 303
    async with unit_of_work(ctx.sessionmaker) as session:
        after = await cases.get_case(session, actor=upper, case_id=case.id)
    assert after.status == "forwarded" and after.level_unit_id == commune.escalates_to_id
    # The supervisor up there hands it to a named colleague at the same level.
    async with unit_of_work(ctx.sessionmaker) as session:
        colleague = await users.create_user(
            session,
            full_name="Mai Đồng Cấp",
            role="supervisor",
            unit_id=commune.escalates_to_id,
            actor=None,
        )
        upper_token = await tokens.issue_token(session, user_id=upper.id)
    async with httpx.AsyncClient(
        transport=client._transport, base_url="http://console.test"
    ) as second:
        second_csrf = await login(second, upper_token)
        page = await second.get(f"/cases/{case.id}")
        assert "Mai Đồng Cấp" in page.text
        handed = await second.post(
            f"/cases/{case.id}/forward",
            data={"csrf_token": second_csrf, "to_user_id": str(colleague.id)},
        )
        assert handed.status_code == 303
    async with unit_of_work(ctx.sessionmaker) as session:
        after = await cases.get_case(session, actor=upper, case_id=case.id)
    assert after.forwarded_to_id == colleague.id
    # Answering an empty text is refused with a Vietnamese message, nothing changes.
    empty = await client.post(f"/cases/{case.id}/answer", data={"csrf_token": token, "text": " "})
    assert empty.status_code == 422 and "chưa hợp lệ" in empty.text
    missing = await client.post(f"/cases/{case.id}/answer", data={"csrf_token": token})
    assert missing.status_code == 422 and "text/html" in missing.headers["content-type"]
    assert "chưa đủ hoặc không hợp lệ" in missing.text


async def test_knowledge_upload_rejects_unknown_files_and_retire_reindex_work(
    client: httpx.AsyncClient, people: World, ctx: AppContext
) -> None:
    token = await login(client, people.people["admin"].token)
    bad = await client.post(
        "/kb/upload",
        data={"csrf_token": token},
        files={"file": ("virus.exe", b"MZ\x90\x00", "application/octet-stream")},
    )
    assert bad.status_code == 415 and "Không hỗ trợ" in bad.text
    text = "Điều 1. Phạm vi\nHướng dẫn mẫu về lịch tiếp công dân tại trụ sở xã.\n"
    preview = await client.post(
        "/kb/upload",
        data={"csrf_token": token, "kind": "guidance"},
        files={"file": ("lich-tiep-dan.md", text.encode(), "text/markdown")},
    )
    assert preview.status_code == 200 and 'id="preview-articles">1<' in preview.text
    staged = re.search(r'name="staged" value="([^"]+)"', preview.text)
    assert staged
    # A staged name of another user (or a path) is refused.
    forged = await client.post(
        "/kb/import",
        data={"csrf_token": token, "staged": "../../etc/passwd", "filename": "x.md"},
    )
    assert forged.status_code == 422
    imported = await client.post(
        "/kb/import",
        data={"csrf_token": token, "staged": staged.group(1), "filename": "lich-tiep-dan.md"},
    )
    assert imported.status_code == 303
    doc_url = imported.headers["location"].split("?")[0]
    doc_id = int(doc_url.rsplit("/", 1)[1])
    assert ctx.retriever.status().chunks == 1
    panel = await client.post("/kb/reindex", data={"csrf_token": token})
    assert panel.status_code == 200 and 'id="reindex-state"' in panel.text
    for _ in range(100):
        progress = await client.get("/kb/reindex/progress")
        if "Đang cập nhật" not in progress.text:
            break
    assert "khớp với kho tri thức" in progress.text
    retired = await client.post(f"/kb/{doc_id}/retire", data={"csrf_token": token})
    assert retired.status_code == 303
    assert 'id="retired"' in (await client.get(doc_url)).text
    assert ctx.retriever.status().chunks == 0


def _plain(markup: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


async def test_try_shows_what_the_bot_would_send(
    client: httpx.AsyncClient, people: World, ctx: AppContext
) -> None:
    from bot import render as bot_render
    from core.answers import service as answers
    from core.users.models import User
    from knowledge import service as kb
    from knowledge.importers import parse_file

    body = "\n\n".join(
        f"Điều {n}. Lịch trực số {n}\nCông chức trực tiếp dân vào sáng thứ {n + 1} hằng tuần. "
        "Người trực ghi sổ tiếp dân và báo cáo chủ tịch xã cuối tuần."
        for n in range(1, 7)
    )
    # One long article (stored as overlapping windows).
    body += "\n\nĐiều 7. Lịch trực tiếp dân dịp lễ\n" + " ".join(
        f"Trong ngày lễ thứ {i}, công chức trực tiếp dân theo lịch trực do chủ tịch xã phân công."
        for i in range(1, 15)
    )
    parsed = parse_file(f"# Quy chế tiếp dân mẫu\n\n{body}\n".encode(), "tiep-dan.md")
    async with unit_of_work(ctx.sessionmaker) as session:
        await kb.import_parsed(session, parsed)
    await ctx.retriever.sync()
    question = "lịch trực tiếp dân của công chức xã"
    token = await login(client, people.people["cadre"].token)
    fragment = await client.post(
        "/try",
        data={"question": question},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    web = _plain(fragment.text)

    # The bot's own rendering of the same question for the same person.
    cadre = people.people["cadre"]
    async with unit_of_work(ctx.sessionmaker) as session:
        user = await session.get(User, cadre.id)
        assert user is not None
    result = await answers.ask(
        None, ctx.retriever, user=user, query=question, k=5,
        position="Công chức Văn phòng - Thống kê",
    )  # fmt: skip
    assert len(result.passages) > 1  # other passages go under "Xem thêm", as in the bot
    r = result.response
    bot_text = bot_render.answer(
        result.passages, confidence=r.confidence, novel=r.novel, lexical=r.mode == "lexical",
        understood=r.understood.text if r.understood and r.understood.changed else None,
    )  # fmt: skip
    main = web.split("➕ Xem thêm")[0]
    assert "Điều 7" in main
    for part in bot_text.split("\n"):
        line = _plain(part)
        if line:
            assert line in main, line

    # A bare "Điều 3", which two documents have: both fronts say where else it is.
    other = "# Quy định lưu trữ mẫu\n\n" + "".join(
        f"Điều {n}. Việc thứ {n}\nVăn thư xã lưu trữ hồ sơ loại {n} trong kho.\n\n"
        for n in (1, 2, 3)
    )
    async with unit_of_work(ctx.sessionmaker) as session:
        await kb.import_parsed(session, parse_file(other.encode(), "luu-tru.md"))
    await ctx.retriever.sync()
    bare = await client.post(
        "/try", data={"question": "dieu 3 noi gi"},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )  # fmt: skip
    result = await answers.ask(None, ctx.retriever, user=user, query="dieu 3 noi gi", k=5)
    assert result.also_in_note and "Điều 3 còn có trong" in result.also_in_note
    assert result.also_in_note in _plain(bare.text)
    assert bot_render.esc(result.also_in_note) in bot_render.answer(
        result.passages, confidence=result.response.confidence, novel=result.response.novel,
        note=result.also_in_note,
    )  # fmt: skip
