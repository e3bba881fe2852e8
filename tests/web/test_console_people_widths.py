"""Issue 11 console items in Chromium at 1366 and 390 px: people admin (an account without
Telegram signed in with the code shown once, user search without diacritics, revoking an
invitation, renaming a unit), the case page's actions and citation search, and the upload
preview naming the version a document becomes. Nothing scrolls sideways on a phone."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.cases import service as cases
from core.cases.schemas import CaseCreate
from core.db import unit_of_work
from core.users import invites
from core.users import service as users
from core.users.enums import Role
from knowledge import service as kb
from knowledge.importers import parse_file
from tests.web.conftest import LiveServer, World, shot
from tests.web.test_console_browser import find, login_with_token, shows, text_of, wait
from tests.web.test_console_widths import WIDTHS, no_sideways_scroll, sized

__all__ = ["sized"]  # the fixture, imported so pytest finds it here
pytestmark = [pytest.mark.browser, pytest.mark.slow]
IDS = [f"{w}px" for w in WIDTHS]

LAW = """# Quy chế thử về hộ tịch

Điều 1. Đăng ký khai sinh
1. Cha hoặc mẹ đăng ký khai sinh cho con tại Ủy ban nhân dân xã nơi cư trú.
2. Thời hạn đăng ký khai sinh là 60 ngày kể từ ngày sinh.
"""


@pytest.mark.parametrize("sized", WIDTHS, indirect=True, ids=IDS)
async def test_people_admin(
    sized: Any,
    live: LiveServer,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    request: pytest.FixtureRequest,
) -> None:
    page, width = sized, request.node.callspec.params["sized"]
    async with unit_of_work(sessionmaker) as s:
        invite = await invites.create_invite(
            s, role=Role.CADRE, unit_id=world.commune_id, actor=None
        )
    login_with_token(page, live, world.people["admin"].token, "/admin/units")

    find(page, "account-name").send_keys("Đỗ Thị Mới")
    find(page, "account-role").send_keys("người phụ trách")
    find(page, "create-account").click()
    assert shows(page, "#done", "Đã tạo tài khoản"), text_of(page, "#done")
    code = text_of(page, "#signin-code")
    link = text_of(page, "#signin-link")
    assert len(code) == 9 and link.endswith(f"/login?code={code}")
    assert no_sideways_scroll(page)
    shot(page, f"people-code-shown-once-{width}")

    find(page, "user-search").send_keys("le phu trach")
    find(page, "user-search-go").click()
    assert shows(page, "#user-count", "1 người"), text_of(page, "#user-count")
    assert "Lê Phụ Trách" in text_of(page, "#users") and "Trần Cán Bộ" not in text_of(
        page, "#users"
    )
    assert no_sideways_scroll(page)
    shot(page, f"people-search-{width}")

    row = next(
        r for r in page.find_elements(By.CSS_SELECTOR, "#invites tbody tr") if invite.code in r.text
    )
    row.find_element(By.CSS_SELECTOR, ".revoke-box summary").click()
    row.find_element(By.CSS_SELECTOR, ".revoke-invite").click()
    assert shows(page, "#done", "thu hồi"), text_of(page, "#done")
    assert invite.code not in text_of(page, "#invites")

    name = page.find_elements(By.CSS_SELECTOR, "input.unit-rename")[-1]
    name.clear()
    name.send_keys(f"UBND xã Hoà Bình {width}")
    name.find_element(By.XPATH, "./ancestor::form").find_element(By.TAG_NAME, "button").click()
    assert shows(page, "#done", "Đã lưu đơn vị"), text_of(page, "#done")
    assert f"UBND xã Hoà Bình {width}" in text_of(page, "#units")
    assert no_sideways_scroll(page)
    shot(page, f"people-units-{width}")

    # The new person opens the link they were handed: the code is filled in, one press.
    find(page, "logout").click()
    wait(page).until(ec.presence_of_element_located((By.ID, "login-token")))
    page.get(link)
    assert find(page, "code").get_attribute("value") == code.replace("-", "")
    find(page, "login-code").click()
    assert shows(page, "#who", "Đỗ Thị Mới"), text_of(page, "#who")
    shot(page, f"people-signed-in-with-code-{width}")


async def _case(sm: async_sessionmaker[AsyncSession], live: LiveServer, world: World) -> int:
    assert live.ctx is not None
    async with unit_of_work(sm) as s:
        await kb.import_parsed(s, parse_file(LAW.encode(), "ho-tich.md"))
        cadre = await users.require_user(s, user_id=world.people["cadre"].id)
        case = await cases.create_case(
            s,
            actor=cadre,
            data=CaseCreate(question="Cháu bé sinh đã 70 ngày, còn đăng ký khai sinh được không?"),
            settings=live.ctx.settings,
        )
    await live.call(live.ctx.retriever.sync())
    return case.id


@pytest.mark.parametrize("sized", WIDTHS, indirect=True, ids=IDS)
async def test_case_actions_and_citation_search(
    sized: Any,
    live: LiveServer,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    request: pytest.FixtureRequest,
) -> None:
    page, width = sized, request.node.callspec.params["sized"]
    case_id = await _case(sessionmaker, live, world)
    login_with_token(page, live, world.people["supervisor"].token, f"/cases/{case_id}")
    # A new case at the supervisor's level: claim, answer and forward (as the bot offers).
    for button in ("claim", "send-answer", "forward"):
        assert page.find_elements(By.ID, button), button
    find(page, "answer-input").send_keys("Vẫn đăng ký được, quá hạn thì đăng ký khai sinh muộn.")
    box = find(page, "citation-q")
    box.send_keys("thoi han khai sinh")
    wait(page).until(ec.presence_of_element_located((By.CSS_SELECTOR, "li.citation-hit")))
    first = page.find_element(By.CSS_SELECTOR, "li.citation-hit")
    assert "Quy chế thử về hộ tịch, Điều 1, khoản 2" in first.text
    box.send_keys(Keys.ENTER)  # searches again; must not send the answer
    wait(page).until(ec.staleness_of(first))
    await asyncio.sleep(1.0)  # the search event and the form submit may each swap the list once
    first = page.find_element(By.CSS_SELECTOR, "li.citation-hit")
    first.find_element(By.CSS_SELECTOR, ".insert-citation").click()
    value = "return document.getElementById('legal-basis-input').value"  # swapped by htmx
    wait(page).until(lambda d: "Điều 1, khoản 2" in d.execute_script(value))
    assert not page.find_elements(By.ID, "done") and "/cases/" in page.current_url
    assert no_sideways_scroll(page)
    shot(page, f"case-citation-search-{width}")
    find(page, "send-answer").click()
    assert shows(page, "#legal-basis", "Quy chế thử về hộ tịch, Điều 1, khoản 2")
    assert page.find_elements(By.ID, "propose")  # answered: proposing is what is left


@pytest.mark.parametrize("sized", WIDTHS, indirect=True, ids=IDS)
async def test_upload_preview_names_the_version(
    sized: Any, live: LiveServer, world: World, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    page, width = sized, request.node.callspec.params["sized"]
    source = tmp_path / "ho-tich.html"
    body = "".join(f"<p>{line}</p>" for line in LAW.replace("# ", "").splitlines() if line)
    source.write_text(f"<html><head><title>x</title></head><body>{body}</body></html>", "utf-8")
    login_with_token(page, live, world.people["admin"].token, "/kb")
    find(page, "upload-file").send_keys(str(source))
    find(page, "upload-preview").click()
    assert text_of(page, "#preview-articles") == "1"
    assert not page.find_elements(By.ID, "preview-version")
    find(page, "confirm-import").click()
    assert shows(page, "#import-result", "văn bản mới"), text_of(page, "#import-result")
    source.write_text(source.read_text("utf-8").replace("60 ngày", "90 ngày"), "utf-8")
    page.get(live.url + "/kb")
    find(page, "upload-file").send_keys(str(source))
    find(page, "upload-preview").click()
    assert shows(page, "#preview-version", "sẽ thành phiên bản 2"), text_of(page, "h1")
    assert no_sideways_scroll(page)
    shot(page, f"kb-preview-version-{width}")
