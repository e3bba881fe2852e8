"""Console pages a supervisor or admin uses daily (issue 11): the queue's filters, search and
pages; error pages with the menu; the rubric form that keeps what was typed."""

from __future__ import annotations

import httpx

from core.cases import service as cases
from core.cases.enums import Urgency
from core.cases.schemas import CaseCreate
from core.context import AppContext
from core.db import unit_of_work
from core.users import service as users
from tests.web.conftest import World, login


async def _cases(ctx: AppContext, people: World, count: int) -> list[int]:
    ids = []
    async with unit_of_work(ctx.sessionmaker) as session:
        cadre = await users.require_user(session, user_id=people.people["cadre"].id)
        for n in range(count):
            case = await cases.create_case(
                session,
                actor=cadre,
                data=CaseCreate(
                    question=f"Câu hỏi thử số {n:02d} về cấp giấy xác nhận tình trạng hôn nhân",
                    urgency=Urgency.URGENT if n == 0 else Urgency.NORMAL,
                ),
                settings=ctx.settings,
            )
            ids.append(case.id)
    return ids


async def test_queue_pages_filters_and_names_the_asker(
    client: httpx.AsyncClient, people: World, ctx: AppContext
) -> None:
    await _cases(ctx, people, 23)
    await login(client, people.people["supervisor"].token)
    first = (await client.get("/queue")).text
    assert 'id="queue-count">23 yêu cầu · trang 1/2' in first
    assert first.count('class="case-row"') == 20
    assert "Trần Cán Bộ" in first  # the asker's name
    assert "làm việc" in first  # time left in working time
    assert 'href="/queue?page=2"' in first
    second = (await client.get("/queue?page=2")).text
    assert second.count('class="case-row"') == 3
    urgent = (await client.get("/queue?urgency=urgent")).text
    assert urgent.count('class="case-row"') == 1 and "số 00" in urgent
    found = (await client.get("/queue", params={"q": "số 17"})).text
    assert found.count('class="case-row"') == 1 and "số 17" in found
    assert 'hx-get="/queue?partial=1&amp;q=s%E1%BB%91+17"' in found  # refresh keeps the filter
    mine = (await client.get("/queue?view=mine")).text
    assert 'id="queue-empty"' in mine
    # Nonsense filters mean "no filter", not an error.
    odd = await client.get("/queue?view=x&unit=abc&urgency=zz&page=-3")
    assert odd.status_code == 200 and "23 yêu cầu" in odd.text


async def test_unknown_console_url_is_a_page_with_the_menu_and_api_stays_json(
    client: httpx.AsyncClient, people: World
) -> None:
    anonymous = await client.get("/khong-co-trang-nay")
    assert anonymous.status_code == 404 and "text/html" in anonymous.headers["content-type"]
    assert "Không tìm thấy trang" in anonymous.text
    await login(client, people.people["admin"].token)
    page = await client.get("/khong-co-trang-nay")
    assert page.status_code == 404 and 'href="/queue"' in page.text and 'id="logout"' in page.text
    api = await client.get("/api/v1/khong-co")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"


async def test_too_large_upload_is_a_page_and_empty_file_is_called_empty(
    client: httpx.AsyncClient, people: World, ctx: AppContext
) -> None:
    token = await login(client, people.people["admin"].token)
    limit = ctx.settings.max_upload_bytes
    big = await client.post(
        "/kb/upload",
        data={"csrf_token": token},
        files={"file": ("lon.pdf", b"0" * (limit + 1), "application/pdf")},
    )
    assert big.status_code == 413 and "text/html" in big.headers["content-type"]
    assert "quá lớn" in big.text and 'id="logout"' in big.text
    api = await client.post(
        "/api/v1/knowledge/documents",
        files={"file": ("lon.pdf", b"0" * (limit + 1), "application/pdf")},
    )
    assert api.status_code == 413 and api.json()["error"]["code"] == "too_large"
    empty = await client.post(
        "/kb/upload",
        data={"csrf_token": token},
        files={"file": ("trong.pdf", b"", "application/pdf")},
    )
    assert empty.status_code == 422 and "rỗng" in empty.text and "hỏng" not in empty.text
    unsupported = await client.post(
        "/kb/upload",
        data={"csrf_token": token},
        files={"file": ("anh.exe", b"MZ", "application/octet-stream")},
    )
    assert unsupported.status_code == 415 and 'id="logout"' in unsupported.text


async def test_unexpected_failure_on_a_console_page_is_an_html_500(
    ctx: AppContext, people: World
) -> None:
    from fastapi import APIRouter

    from api.main import create_app

    app = create_app(ctx)
    boom = APIRouter()

    @boom.get("/thu-loi")
    async def fail() -> None:
        raise RuntimeError("boom")

    @boom.get("/api/v1/thu-loi")
    async def fail_api() -> None:
        raise RuntimeError("boom")

    app.include_router(boom)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as c:
        page = await c.get("/thu-loi")
        assert page.status_code == 500 and "Hệ thống gặp lỗi" in page.text
        api = await c.get("/api/v1/thu-loi")
        assert api.status_code == 500 and api.json()["error"]["code"] == "internal"


async def test_rubric_form_keeps_values_and_says_what_is_wrong(
    client: httpx.AsyncClient, people: World
) -> None:
    token = await login(client, people.people["admin"].token)
    form = {
        "csrf_token": token,
        "key": ["novelty", "benefit", ""],
        "name": ["Tính mới", "Hiệu quả", ""],
        "description": ["", "", ""],
        "weight": ["abc", "60", ""],
        "scale_min": ["1", "1", "1"],
        "scale_max": ["5", "5", "5"],
        "pass_mark": ["", "", ""],
        "note": "Thử sai",
    }
    wrong = await client.post("/admin/rubric", data=form)
    assert wrong.status_code == 422
    assert "Trọng số của tiêu chí “Tính mới” phải là số (đang nhập “abc”)" in wrong.text
    assert 'value="abc"' in wrong.text and 'value="Hiệu quả"' in wrong.text
    assert 'value="Thử sai"' in wrong.text and "could not convert" not in wrong.text
    form["weight"] = ["50", "60", ""]
    over = await client.post("/admin/rubric", data=form)
    assert over.status_code == 422 and "Tổng trọng số phải bằng 100 (hiện là 110)" in over.text
    assert 'id="rubric-version">1<' in (await client.get("/admin/rubric")).text  # not saved


async def test_audit_log_speaks_vietnamese_and_filters_by_vietnamese_terms(
    client: httpx.AsyncClient, people: World, ctx: AppContext
) -> None:
    from core.audit.service import record

    async with unit_of_work(ctx.sessionmaker) as session:
        await record(
            session,
            actor_id=people.people["admin"].id,
            action="initiative.recognised",
            entity="initiative",
            entity_id=7,
            data={"note": "Hội đồng thống nhất công nhận"},
        )
    await login(client, people.people["admin"].token)
    page = (await client.get("/admin/audit")).text
    assert "Công nhận sáng kiến" in page and "initiative.recognised" not in page
    assert "Hội đồng thống nhất công nhận" in page and "\\u" not in page
    assert "Sáng kiến 7" in page
    found = (await client.get("/admin/audit", params={"q": "sáng kiến"})).text
    assert "Công nhận sáng kiến" in found and "Đăng nhập web" not in found
    unaccented = (await client.get("/admin/audit", params={"q": "dang nhap"})).text
    assert "Đăng nhập web" in unaccented and "Công nhận sáng kiến" not in unaccented
    nothing = (await client.get("/admin/audit", params={"q": "không có gì"})).text
    assert 'id="audit-empty"' in nothing


async def test_analytics_tiles_and_share_chart_count_the_same_questions(
    client: httpx.AsyncClient, people: World, ctx: AppContext
) -> None:
    from core.feedback.models import QuestionLog

    async with unit_of_work(ctx.sessionmaker) as session:
        for n, novel in enumerate([True, True, True, False, False]):
            session.add(
                QuestionLog(
                    query=f"câu hỏi thử {n}",
                    confidence=0.2 if novel else 0.9,
                    novel=novel,
                    unit_id=people.commune_id,
                    user_id=people.people["cadre"].id,
                )
            )
    await login(client, people.people["admin"].token)
    page = (await client.get("/analytics")).text
    assert 'id="total-questions">5<' in page and 'id="total-not-covered">3<' in page
    assert "Trả lời từ kho tri thức: 2 (40%)" in page
    assert "Chưa có, chưa xin ý kiến: 3 (60%)" in page
    # Drawn twice, wide and narrow, for the CSS to pick by screen width.
    assert page.count("chart chart-wide") == page.count("chart chart-narrow") > 0


async def test_internal_notes_on_the_case_page(
    client: httpx.AsyncClient, people: World, ctx: AppContext
) -> None:
    (case_id,) = await _cases(ctx, people, 1)
    token = await login(client, people.people["supervisor"].token)
    saved = await client.post(
        f"/cases/{case_id}/notes", data={"csrf_token": token, "text": "Chờ ý kiến Phòng Tư pháp"}
    )
    assert saved.status_code == 303
    page = (await client.get(f"/cases/{case_id}")).text
    assert 'id="notes"' in page and "Chờ ý kiến Phòng Tư pháp" in page
    assert "Ghi chú nội bộ" in page  # and in the history, by its label only


async def test_retiring_a_document_is_confirmed_and_can_be_undone(
    client: httpx.AsyncClient, people: World, ctx: AppContext
) -> None:
    import re

    token = await login(client, people.people["admin"].token)
    text = "Điều 1. Phạm vi\nHướng dẫn mẫu về lịch tiếp công dân tại trụ sở xã.\n"
    preview = await client.post(
        "/kb/upload",
        data={"csrf_token": token, "kind": "guidance"},
        files={"file": ("lich-tiep-dan.md", text.encode(), "text/markdown")},
    )
    staged = re.search(r'name="staged" value="([^"]+)"', preview.text)
    assert staged
    imported = await client.post(
        "/kb/import",
        data={"csrf_token": token, "staged": staged.group(1), "filename": "lich-tiep-dan.md"},
    )
    doc_url = imported.headers["location"].split("?")[0]
    page = (await client.get(doc_url)).text
    # The retire button only opens a confirmation; the form inside it does the work.
    assert 'id="retire-box"' in page and 'id="confirm-retire"' in page
    assert "Các đoạn đang dùng (1)" in page
    await client.post(f"{doc_url}/retire", data={"csrf_token": token})
    retired = (await client.get(doc_url)).text
    assert 'id="retired"' in retired and "Các đoạn đang dùng" not in retired
    assert ctx.retriever.status().chunks == 0
    undone = await client.post(f"{doc_url}/unretire", data={"csrf_token": token})
    assert undone.status_code == 303
    again = (await client.get(doc_url)).text
    assert 'id="retired"' not in again and "Các đoạn đang dùng (1)" in again
    assert ctx.retriever.status().chunks == 1


async def test_queue_search_ignores_diacritics_and_case(
    client: httpx.AsyncClient, people: World, ctx: AppContext
) -> None:
    async with unit_of_work(ctx.sessionmaker) as session:
        cadre = await users.require_user(session, user_id=people.people["cadre"].id)
        for question in ("Thủ tục đăng ký khai sinh cho trẻ", "Xác nhận tình trạng hôn nhân"):
            await cases.create_case(
                session, actor=cadre, data=CaseCreate(question=question), settings=ctx.settings
            )
    await login(client, people.people["supervisor"].token)
    for typed in ("thu tuc dang ky", "THỦ TỤC", "thủ tuc"):
        page = (await client.get("/queue", params={"q": typed})).text
        assert page.count('class="case-row"') == 1 and "Thủ tục đăng ký" in page, typed
    # The asker's name matches without diacritics too ("Trần Cán Bộ").
    by_name = (await client.get("/queue", params={"q": "tran can bo"})).text
    assert by_name.count('class="case-row"') == 2
    none = (await client.get("/queue", params={"q": "thu tuc hai quan"})).text
    assert 'id="queue-empty"' in none


async def test_upload_preview_says_which_version_the_document_becomes(
    client: httpx.AsyncClient, people: World
) -> None:
    import re

    token = await login(client, people.people["admin"].token)
    text = "# Hướng dẫn lịch trực\n\nĐiều 1. Lịch trực\nTrực sáng thứ Bảy tại trụ sở xã.\n"

    async def upload(body: str, name: str) -> str:
        response = await client.post(
            "/kb/upload",
            data={"csrf_token": token},
            files={"file": (name, body.encode(), "text/html")},
        )
        assert response.status_code == 200, response.text
        return response.text

    first = await upload(text, "lich-truc.md")
    assert 'id="preview-version"' not in first  # a new document
    staged = re.search(r'name="staged" value="([^"]+)"', first)
    assert staged
    await client.post(
        "/kb/import",
        data={"csrf_token": token, "staged": staged.group(1), "filename": "lich-truc.md"},
    )
    again = await upload(text + "Trực chiều Chủ nhật khi có thiên tai.\n", "lich-truc.md")
    assert "sẽ thành phiên bản 2" in again
    html_page = (
        "<html><body><h1>Hướng dẫn lịch trực</h1><p>Điều 1. Lịch trực</p>"
        "<p>Trực sáng thứ Bảy tại trụ sở xã.</p></body></html>"
    )
    as_html = await upload(html_page, "lich-truc.html")  # .html pages are accepted too
    assert 'id="preview-articles">1<' in as_html
