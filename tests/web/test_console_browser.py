"""The console in headless Chromium against the real app: login, knowledge base, Thử hỏi."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.cases import service as cases
from core.cases.schemas import CaseCreate, PassageSnapshot
from core.db import unit_of_work
from core.initiatives import assignment
from core.initiatives import service as initiatives
from core.outbox.models import OutboxMessage
from core.users import service as users
from core.users.enums import Role
from tests.core.initiatives.factories import person
from tests.web.conftest import LiveServer, World, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BEEKEEPING = """---
kind: guidance
number: 07/2026/HD-THU
title: Hướng dẫn thử nghiệm về nuôi ong mật trong khu dân cư
issuer: UBND xã Hoà Bình (mẫu kiểm thử)
effective_from: 2026-01-01
---
Điều 1. Khai báo đàn ong
1. Hộ gia đình nuôi từ mười đàn ong mật trở lên trong khu dân cư phải khai báo với công chức
Địa chính - Nông nghiệp của xã trước khi đặt thùng ong.
2. Việc khai báo ghi rõ số thùng ong, vị trí đặt và người chịu trách nhiệm chăm sóc.

Điều 2. Khoảng cách an toàn
Thùng ong phải đặt cách cổng trường học, trạm y tế và chợ ít nhất năm mươi mét.
"""


def wait(driver: Any, seconds: float = 20) -> WebDriverWait:  # type: ignore[type-arg]
    return WebDriverWait(driver, seconds)


def find(driver: Any, element_id: str) -> Any:
    """Wait for an element by id (clicks that navigate return before the next page loads)."""
    return wait(driver).until(ec.element_to_be_clickable((By.ID, element_id)))


def text_of(driver: Any, css: str) -> str:
    return str(wait(driver).until(ec.visibility_of_element_located((By.CSS_SELECTOR, css))).text)


def shows(driver: Any, css: str, expected: str) -> bool:
    """Wait until the element shows `expected`. After a click that navigates, the old page's
    element with the same id may still be found and then detached mid-read; keep polling."""
    try:
        WebDriverWait(driver, 20, ignored_exceptions=(WebDriverException,)).until(
            ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), expected)
        )
    except TimeoutException:
        return False
    return True


def login_with_token(driver: Any, live: LiveServer, token: str, next_path: str = "/") -> None:
    driver.get(f"{live.url}/login?next={next_path}")
    find(driver, "token").send_keys(token)
    find(driver, "login-token").click()
    wait(driver).until(ec.presence_of_element_located((By.ID, "logout")))


async def test_login_with_token_and_logout(page: Any, live: LiveServer, world: World) -> None:
    page.get(live.url + "/kb")
    assert "/login?next=/kb" in page.current_url  # not signed in: sent to the login page
    find(page, "token").send_keys("troly_wrong")
    find(page, "login-token").click()
    assert shows(page, "#login-error", "không đúng"), text_of(page, "#login-error")
    login_with_token(page, live, world.people["admin"].token)
    assert shows(page, "#who", "Nguyễn Quản Trị"), text_of(page, "#who")
    assert text_of(page, "#role") == "quản trị viên"
    shot(page, "login-token-home")
    cookie = page.get_cookie("troly_session")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"
    find(page, "logout").click()
    wait(page).until(ec.presence_of_element_located((By.ID, "login-token")))
    page.get(live.url + "/")
    assert "/login" in page.current_url


async def test_login_with_one_time_code_from_the_bot(
    page: Any, live: LiveServer, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    supervisor = world.people["supervisor"]
    page.get(live.url + "/login")
    find(page, "telegram_id").send_keys(str(supervisor.telegram_id))
    find(page, "send-code").click()
    assert shows(page, "#code-sent", "bot đã gửi"), text_of(page, "#code-sent")
    # The code reaches the person only through the outbox the bot delivers.
    async with unit_of_work(sessionmaker) as session:
        message = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.user_id == supervisor.id)
        )
    assert message is not None
    match = re.search(r"<code>([A-Z0-9-]+)</code>", message.text)
    assert match
    find(page, "code").send_keys(match.group(1))
    shot(page, "login-code-entered")
    find(page, "login-code").click()
    assert shows(page, "#who", "Lê Phụ Trách"), text_of(page, "#who")
    # Single use: the same code does not open a second session.
    page.execute_cdp_cmd("Network.clearBrowserCookies", {})
    page.get(live.url + "/login")
    find(page, "code").send_keys(match.group(1))
    find(page, "login-code").click()
    assert shows(page, "#login-error", "đã dùng"), text_of(page, "#login-error")


async def test_upload_a_document_preview_import_and_find_it_by_search(
    page: Any, live: LiveServer, world: World, tmp_path: Path
) -> None:
    source = tmp_path / "nuoi-ong.md"
    source.write_text(BEEKEEPING, encoding="utf-8")
    login_with_token(page, live, world.people["admin"].token, "/kb")
    # htmx runs under the strict CSP: the index panel is loaded by an hx-get on page load.
    assert shows(page, "#reindex-panel", "Chỉ mục"), text_of(page, "#reindex-panel")
    find(page, "reindex").click()
    wait(page).until(ec.text_to_be_present_in_element((By.ID, "reindex-state"), "đã khớp"))
    find(page, "upload-file").send_keys(str(source))
    find(page, "upload-preview").click()
    assert shows(page, "#preview-title", "nuôi ong mật"), text_of(page, "#preview-title")
    assert text_of(page, "#preview-articles") == "2"
    structure = text_of(page, "#preview-structure")
    assert "Điều 1" in structure and "Điều 2" in structure
    shot(page, "kb-upload-preview")
    find(page, "confirm-import").click()
    assert shows(page, "#import-result", "văn bản mới"), text_of(page, "#import-result")
    assert shows(page, "#doc-title", "nuôi ong mật"), text_of(page, "#doc-title")

    page.get(live.url + "/try")
    find(page, "question").send_keys("nhà tôi nuôi mười lăm đàn ong mật thì phải khai báo với ai")
    find(page, "ask").click()
    answer = text_of(page, "#answer-card #lead")  # the answer leads with the cited clause
    assert "nuôi ong mật" in answer and "Điều 1" in answer
    shot(page, "try-finds-uploaded-document")

    # Upload the same file again with a changed article: a second version and a diff.
    source.write_text(BEEKEEPING.replace("năm mươi mét", "một trăm mét"), encoding="utf-8")
    page.get(live.url + "/kb")
    find(page, "upload-file").send_keys(str(source))
    find(page, "upload-preview").click()
    find(page, "confirm-import").click()
    assert shows(page, "#import-result", "phiên bản mới"), text_of(page, "#import-result")
    find(page, "show-diff").click()
    diff = text_of(page, "#diff")
    assert "-Thùng ong phải đặt cách" in diff and "một trăm mét" in diff
    shot(page, "kb-version-diff")


async def _open_case(
    sm: async_sessionmaker[AsyncSession], live: LiveServer, world: World, question: str
) -> int:
    assert live.ctx is not None
    async with unit_of_work(sm) as session:
        cadre = await users.require_user(session, user_id=world.people["cadre"].id)
        case = await cases.create_case(
            session,
            actor=cadre,
            data=CaseCreate(
                question=question,
                passages=[
                    PassageSnapshot(
                        citation="Cẩm nang mẫu, Điều 3",
                        text="Khi chưa có quy định rõ, cán bộ xin ý kiến cấp trên trước khi làm.",
                    )
                ],
                confidence=0.21,
            ),
            settings=live.ctx.settings,
        )
        return case.id


async def test_supervisor_answers_a_case_and_admin_approves_it_as_precedent(
    page: Any, live: LiveServer, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    question = "Người dân xin xác nhận cho thuê chuồng trại nuôi chim yến thì xã xử lý thế nào?"
    case_id = await _open_case(sessionmaker, live, world, question)
    login_with_token(page, live, world.people["supervisor"].token, "/queue")
    row = text_of(page, f"tr[data-case='{case_id}']")
    assert "chim yến" in row and "trong hạn" in row
    shot(page, "queue-with-countdown")
    wait(page).until(ec.element_to_be_clickable((By.LINK_TEXT, row.split()[0]))).click()
    assert shows(page, "#passages", "Cẩm nang mẫu, Điều 3"), text_of(page, "#passages")
    find(page, "answer-input").send_keys(
        "Xã tiếp nhận hồ sơ, kiểm tra hiện trạng chuồng trại và xác nhận trong năm ngày làm việc."
    )
    find(page, "legal-basis-input").send_keys("Hướng dẫn mẫu số 12, Điều 4")
    find(page, "send-answer").click()
    assert shows(page, "#done", "Đã gửi câu trả lời"), text_of(page, "#done")
    assert text_of(page, "#case-status") == "Đã trả lời"
    assert text_of(page, "#legal-basis") == "Hướng dẫn mẫu số 12, Điều 4"
    shot(page, "case-answered")
    # The asker's receipt is queued for the bot in the same transaction.
    async with unit_of_work(sessionmaker) as session:
        texts = list(
            await session.scalars(
                select(OutboxMessage.text).where(OutboxMessage.user_id == world.people["cadre"].id)
            )
        )
    assert any("Hướng dẫn mẫu số 12" in t for t in texts)

    find(page, "propose").click()
    assert shows(page, "#done", "chờ quản trị viên duyệt"), text_of(page, "#done")
    page.get(live.url + "/analytics")
    assert text_of(page, "#total-cases") == "1"
    assert page.find_elements(By.CSS_SELECTOR, "#chart-per-day svg")
    shot(page, "analytics")
    page.execute_cdp_cmd("Network.clearBrowserCookies", {})
    login_with_token(page, live, world.people["admin"].token, "/precedents")
    form = wait(page).until(ec.presence_of_element_located((By.CSS_SELECTOR, "article.proposal")))
    form.find_element(By.CSS_SELECTOR, "button.approve").click()
    assert shows(page, "#done", "Đã duyệt"), text_of(page, "#done")
    # Scoped to the asker's commune: ask as a cadre there.
    page.get(live.url + "/try")
    Select(find(page, "ask-unit")).select_by_visible_text("UBND xã Hoà Bình")
    find(page, "question").send_keys("xác nhận cho thuê chuồng nuôi chim yến")
    find(page, "ask").click()
    assert shows(page, "#answer-card #lead", "chim yến"), text_of(page, "#answer-card")
    assert "Hướng dẫn:" in text_of(page, "#lead-text")  # approved guidance shows its answer
    shot(page, "precedent-searchable")


async def test_evaluator_scores_an_initiative_blind(
    page: Any, live: LiveServer, world: World, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    assert live.ctx is not None
    settings = live.ctx.settings
    async with unit_of_work(sessionmaker) as session:
        second = await users.create_user(
            session,
            full_name="Võ Đánh Giá Hai",
            role=Role.EVALUATOR,
            unit_id=world.province_id,
            actor=None,
        )
        item, _ = await initiatives.submit_initiative(
            session,
            author=await person(session, world.people["cadre"].id),
            title="Sổ hẹn trả kết quả bằng mã QR tại bộ phận một cửa",
            problem="Người dân phải quay lại nhiều lần để hỏi hồ sơ đã xong chưa.",
            actions="In mã QR trên giấy hẹn; quét mã để xem trạng thái hồ sơ.",
            results="Số lượt hỏi trực tiếp giảm khoảng một nửa sau ba tháng.",
            field="Cải cách hành chính",
            settings=settings,
        )
        await assignment.assign_evaluators(
            session,
            actor=await person(session, world.people["admin"].id),
            initiative_id=item.id,
            settings=settings,
            evaluator_ids=[world.people["evaluator"].id, second.id],
        )
        initiative_id = item.id
    login_with_token(page, live, world.people["evaluator"].token, "/initiatives")
    assert shows(page, "#my-assignments", "mã QR"), text_of(page, "#my-assignments")
    wait(page).until(
        ec.element_to_be_clickable((By.CSS_SELECTOR, f"a[href='/initiatives/{initiative_id}']"))
    ).click()
    for key, value in (
        ("novelty", "4"),
        ("benefit", "5"),
        ("replicability", "4"),
        ("compliance", "1"),
        ("cost", "3"),
    ):
        Select(find(page, f"score-{key}")).select_by_value(value)
    shot(page, "initiative-scoring-form")
    find(page, "submit-scores").click()
    assert shows(page, "#done", "Đã nộp phiếu chấm"), text_of(page, "#done")
    # Weighted: (30*.75 + 30*1 + 20*.75 + 20*.5) / 100 = 77.5; the other sheet stays hidden.
    assert shows(page, "#result", "Đã nộp 1/2 phiếu"), text_of(page, "#result")
    assert text_of(page, "#mean-total") == "77.5"
    sheets = text_of(page, "#sheets")
    assert "Phạm Đánh Giá" in sheets and "Võ Đánh Giá Hai" not in sheets
    assert "Tính mới: 4" in sheets
    shot(page, "initiative-scored")
