"""The console in headless Chromium against the real app: login, knowledge base, Thử hỏi."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import unit_of_work
from core.outbox.models import OutboxMessage
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
    assert "không đúng" in text_of(page, "#login-error")
    login_with_token(page, live, world.people["admin"].token)
    assert "Nguyễn Quản Trị" in text_of(page, "#who")
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
    assert "bot đã gửi" in text_of(page, "#code-sent")
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
    assert "Lê Phụ Trách" in text_of(page, "#who")
    # Single use: the same code does not open a second session.
    page.execute_cdp_cmd("Network.clearBrowserCookies", {})
    page.get(live.url + "/login")
    find(page, "code").send_keys(match.group(1))
    find(page, "login-code").click()
    assert "đã dùng" in text_of(page, "#login-error")


async def test_upload_a_document_preview_import_and_find_it_by_search(
    page: Any, live: LiveServer, world: World, tmp_path: Path
) -> None:
    source = tmp_path / "nuoi-ong.md"
    source.write_text(BEEKEEPING, encoding="utf-8")
    login_with_token(page, live, world.people["admin"].token, "/kb")
    find(page, "upload-file").send_keys(str(source))
    find(page, "upload-preview").click()
    assert "nuôi ong mật" in text_of(page, "#preview-title")
    assert text_of(page, "#preview-articles") == "2"
    structure = text_of(page, "#preview-structure")
    assert "Điều 1" in structure and "Điều 2" in structure
    shot(page, "kb-upload-preview")
    find(page, "confirm-import").click()
    assert "văn bản mới" in text_of(page, "#import-result")
    assert "nuôi ong mật" in text_of(page, "#doc-title")

    page.get(live.url + "/try")
    find(page, "question").send_keys("nhà tôi nuôi mười lăm đàn ong mật thì phải khai báo với ai")
    find(page, "ask").click()
    answer = text_of(page, "#answer-card .hits")
    assert "nuôi ong mật" in answer and "Điều 1" in answer
    shot(page, "try-finds-uploaded-document")

    # Upload the same file again with a changed article: a second version and a diff.
    source.write_text(BEEKEEPING.replace("năm mươi mét", "một trăm mét"), encoding="utf-8")
    page.get(live.url + "/kb")
    find(page, "upload-file").send_keys(str(source))
    find(page, "upload-preview").click()
    find(page, "confirm-import").click()
    assert "phiên bản mới" in text_of(page, "#import-result")
    find(page, "show-diff").click()
    diff = text_of(page, "#diff")
    assert "-Thùng ong phải đặt cách" in diff and "một trăm mét" in diff
    shot(page, "kb-version-diff")
