"""The console a supervisor or admin uses daily, in Chromium at desk width (1366 px) and phone
width (390 px): the queue (pages, search, asker, working-time countdown), tables as cards that
never scroll sideways, legible charts, the audit log in Vietnamese, and error pages with the menu.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit.service import record
from core.cases import service as cases
from core.cases.schemas import CaseCreate
from core.db import unit_of_work
from core.feedback.models import QuestionLog
from core.users import service as users
from tests.web.conftest import LiveServer, World, shot
from tests.web.test_console_browser import find, login_with_token, shows, text_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = [1366, 390]


@pytest.fixture
def sized(page: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The shared browser at the test's viewport width (a phone is emulated as mobile)."""
    width = request.param
    page.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600},
    )
    yield page
    page.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def no_sideways_scroll(driver: Any) -> bool:
    return bool(
        driver.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1"
        )
    )


def inside_viewport(driver: Any, css: str) -> bool:
    return bool(
        driver.execute_script(
            "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
            "return r.width > 0 && r.left >= 0 && r.right <= window.innerWidth + 1;",
            css,
        )
    )


async def _seed(sm: async_sessionmaker[AsyncSession], live: LiveServer, world: World) -> None:
    assert live.ctx is not None
    async with unit_of_work(sm) as session:
        cadre = await users.require_user(session, user_id=world.people["cadre"].id)
        for n in range(23):
            await cases.create_case(
                session,
                actor=cadre,
                data=CaseCreate(
                    question=f"Câu hỏi thử số {n:02d}: xác nhận tình trạng hôn nhân cho người "
                    "đã từng đăng ký kết hôn ở nước ngoài thì làm thế nào?"
                ),
                settings=live.ctx.settings,
            )
        await record(
            session,
            actor_id=world.people["admin"].id,
            action="initiative.recognised",
            entity="initiative",
            entity_id=1,
            data={"note": "Hội đồng thống nhất công nhận"},
        )
        for n, novel in enumerate([True, True, False, False, False]):
            session.add(
                QuestionLog(
                    query=f"thủ tục chứng thực bản sao số {n}",
                    confidence=0.2 if novel else 0.9,
                    novel=novel,
                    unit_id=world.commune_id,
                    user_id=world.people["cadre"].id,
                )
            )


@pytest.mark.parametrize("sized", WIDTHS, indirect=True, ids=[f"{w}px" for w in WIDTHS])
async def test_daily_console_pages_fit_and_behave(
    sized: Any,
    live: LiveServer,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    request: pytest.FixtureRequest,
) -> None:
    page = sized
    width = request.node.callspec.params["sized"]
    await _seed(sessionmaker, live, world)
    login_with_token(page, live, world.people["admin"].token, "/queue")

    # Queue: a page of 20 of 23, the asker named, time left in working time, deadline in view.
    assert shows(page, "#queue-count", "23 yêu cầu · trang 1/2"), text_of(page, "#queue-count")
    rows = page.find_elements(By.CSS_SELECTOR, "tr.case-row")
    assert len(rows) == 20
    assert "Trần Cán Bộ" in rows[0].text and "làm việc" in rows[0].text
    assert inside_viewport(page, "tr.case-row .deadline .left")
    assert no_sideways_scroll(page)
    shot(page, f"queue-{width}")
    find(page, "queue-q").send_keys("số 17")
    find(page, "queue-apply").click()
    assert shows(page, "#queue-count", "1 yêu cầu"), text_of(page, "#queue-count")
    assert "số 17" in text_of(page, "tr.case-row")

    # The case page: an internal note for supervisors and admins.
    page.find_element(By.CSS_SELECTOR, "tr.case-row a").click()
    find(page, "note-input").send_keys("Đã gọi điện hỏi Phòng Tư pháp")
    find(page, "add-note").click()
    assert shows(page, "#note-list", "Đã gọi điện hỏi Phòng Tư pháp"), text_of(page, "#notes")
    assert text_of(page, "#case-left").endswith("làm việc")
    assert no_sideways_scroll(page)
    shot(page, f"case-note-{width}")

    # Tables become cards on a phone; nothing scrolls sideways at either width.
    for path, table in (
        ("/kb", "#kb-table"),
        ("/admin/units", "#users"),
        ("/initiatives", "#my-assignments"),
    ):
        page.get(live.url + path)
        text_of(page, table)
        assert no_sideways_scroll(page), path
        shot(page, f"{path.strip('/').replace('/', '-')}-{width}")

    # Audit log: Vietnamese action names, decoded text, Vietnamese filter, fits its card.
    page.get(live.url + "/admin/audit")
    audit = text_of(page, "#audit")
    assert "Công nhận sáng kiến" in audit and "Hội đồng thống nhất công nhận" in audit
    assert "initiative.recognised" not in audit and "\\u" not in audit
    assert no_sideways_scroll(page)
    assert page.execute_script(
        "const t = document.querySelector('#audit').getBoundingClientRect();"
        "const c = document.querySelector('#audit').closest('.card').getBoundingClientRect();"
        "return t.right <= c.right + 1;"
    )
    find(page, "audit-q").send_keys("dang nhap")
    find(page, "audit-filter").click()
    assert shows(page, "#audit", "Đăng nhập web"), text_of(page, "#audit")
    assert "Công nhận sáng kiến" not in text_of(page, "#audit")
    shot(page, f"audit-{width}")

    # Charts: every label on screen is at least 12 px; tiles and the share chart agree.
    page.get(live.url + "/analytics")
    assert text_of(page, "#total-not-covered") == "2"
    assert "Trả lời từ kho tri thức: 3 (60%)" in text_of(page, "#chart-share")
    sizes = page.execute_script(
        "return [...document.querySelectorAll('svg.chart')].filter(s => s.getBoundingClientRect()"
        ".width > 0).flatMap(s => [...s.querySelectorAll('text')].map(t =>"
        " parseFloat(getComputedStyle(t).fontSize) * s.getScreenCTM().a));"
    )
    assert sizes and min(sizes) >= 12, sizes
    assert no_sideways_scroll(page)
    shot(page, f"analytics-{width}")

    # Errors: an unknown page and a wrong rubric are pages with the menu, values kept.
    page.get(live.url + "/khong-co-trang-nay")
    assert text_of(page, "#error-heading") == "Không tìm thấy trang"
    assert page.find_elements(By.CSS_SELECTOR, "header nav a[href='/queue']")
    shot(page, f"error-404-{width}")
    page.get(live.url + "/admin/rubric")
    weight = page.find_elements(By.NAME, "weight")[0]
    weight.clear()
    weight.send_keys("abc")
    find(page, "save-rubric").click()
    assert shows(page, "#rubric-error", "phải là số (đang nhập “abc”)"), text_of(
        page, "#rubric-error"
    )
    assert page.find_elements(By.NAME, "weight")[0].get_attribute("value") == "abc"
    assert no_sideways_scroll(page)
    shot(page, f"rubric-error-{width}")
