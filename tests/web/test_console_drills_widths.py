"""The drill list, the drill editor and the weak-topic view in Chromium at desk width
(1366 px) and phone width (390 px): a draft proposed from an approved precedent is edited
(options, the correct one, the position) and published in the browser; after the cadre's
answer the weak-topic view shows the group's share and the position's competency framework,
with content in view and no sideways scroll."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.cases import precedents
from core.cases import service as cases
from core.cases.calendar import calendar_for
from core.cases.schemas import CaseAnswer, CaseCreate, PrecedentApprove, PrecedentPropose
from core.db import unit_of_work
from core.drills import service as drills
from core.drills.models import Drill, DrillDelivery
from core.drills.scheduled import sweep_drills
from core.drills.schemas import DrillAnswer
from core.users import service as users
from knowledge.models import Document
from tests.web.conftest import LiveServer, World, shot
from tests.web.test_console_browser import find, login_with_token, shows, text_of
from tests.web.test_console_widths import WIDTHS, inside_viewport, no_sideways_scroll, sized

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["sized"]  # the fixture, imported so pytest finds it here
POSITION = "Công chức Văn phòng - Thống kê"
QUESTION = (
    "Người dân đề nghị xác nhận lý lịch để đi xuất khẩu lao động nhưng đã chuyển khẩu khỏi xã "
    "từ năm ngoái thì công chức văn phòng xử lý thế nào cho đúng quy định hiện hành?"
)


async def _draft(sm: async_sessionmaker[AsyncSession], live: LiveServer, world: World) -> int:
    """An answered case approved as a precedent: the product proposes a drill draft."""
    assert live.ctx is not None
    async with unit_of_work(sm) as s:
        cadre = await users.require_user(s, user_id=world.people["cadre"].id)
        supervisor = await users.require_user(s, user_id=world.people["supervisor"].id)
        admin = await users.require_user(s, user_id=world.people["admin"].id)
        s.add(Document(key="khung-van-phong", kind="competency", positions=[POSITION],
                       title="Khung năng lực Công chức Văn phòng - Thống kê"))  # fmt: skip
        case = await cases.create_case(
            s, actor=cadre, data=CaseCreate(question=QUESTION), settings=live.ctx.settings
        )
        await cases.answer(
            s, actor=supervisor, case_id=case.id,
            data=CaseAnswer(text="Hướng dẫn về nơi cư trú hiện tại để được xác nhận. " * 4,
                            legal_basis="Luật Cư trú 2020, Điều 11"),
        )  # fmt: skip
        proposal = await precedents.propose(
            s, actor=supervisor, case_id=case.id, data=PrecedentPropose()
        )
        await precedents.approve(
            s, actor=admin, proposal_id=proposal.id, data=PrecedentApprove(scope="unit")
        )
        drill = await s.scalar(select(Drill).where(Drill.precedent_id == proposal.id))
        assert drill is not None
        return drill.id


async def _answered(sm: async_sessionmaker[AsyncSession], live: LiveServer, world: World) -> None:
    """The sweep sends the published drill to the cadre, who picks a wrong option."""
    assert live.ctx is not None
    calendar = calendar_for(live.ctx.settings)
    day = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).replace(hour=10, minute=0) + timedelta(1)
    while not calendar.is_working_day(day.date()):
        day += timedelta(days=1)
    await sweep_drills(sm, live.ctx.settings, day.astimezone(UTC))
    async with unit_of_work(sm) as s:
        cadre = await users.require_user(s, user_id=world.people["cadre"].id)
        delivery = await s.scalar(select(DrillDelivery).where(DrillDelivery.user_id == cadre.id))
        assert delivery is not None
        await drills.answer(s, actor=cadre, delivery_id=delivery.id, data=DrillAnswer(choice=0))


@pytest.mark.parametrize("sized", WIDTHS, indirect=True, ids=[f"{w}px" for w in WIDTHS])
async def test_drill_editor_and_weak_topics_fit(
    sized: Any,
    live: LiveServer,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    request: pytest.FixtureRequest,
) -> None:
    page = sized
    width = request.node.callspec.params["sized"]
    drill_id = await _draft(sessionmaker, live, world)
    login_with_token(page, live, world.people["supervisor"].token, "/drills")
    assert shows(page, "#drills", "Bản nháp"), text_of(page, "#drills")
    assert inside_viewport(page, "#from-precedent button")
    assert no_sideways_scroll(page)
    shot(page, f"drills-{width}")

    page.get(f"{live.url}/drills/{drill_id}")
    form = find(page, "drill-form")
    options = form.find_elements(By.NAME, "option")
    for box, text in zip(options, ("Từ chối vì đã chuyển khẩu", "Hướng dẫn về nơi cư trú mới",
                                   "Xác nhận theo sổ cũ"), strict=False):  # fmt: skip
        box.send_keys(text)
    form.find_elements(By.CSS_SELECTOR, "input[name=correct]")[1].click()
    checkbox = form.find_element(By.CSS_SELECTOR, f"input[name=positions][value='{POSITION}']")
    if not checkbox.is_selected():
        checkbox.click()
    assert inside_viewport(page, "#drill-form button")
    assert no_sideways_scroll(page)
    shot(page, f"drill-editor-{width}")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    assert shows(page, "#done", "Đã lưu"), text_of(page, "#done")
    find(page, "publish").find_element(By.CSS_SELECTOR, "button").click()
    assert shows(page, "#status", "Đã xuất bản"), text_of(page, "#drill")
    assert no_sideways_scroll(page)

    await _answered(sessionmaker, live, world)
    page.get(f"{live.url}/drills/weak")
    assert shows(page, "#weak", "0% (0/1)"), text_of(page, "#weak")
    assert shows(page, "#weak", "Khung năng lực Công chức Văn phòng")
    assert "Trần Cán Bộ" not in text_of(page, "#weak")  # groups only, nobody named
    assert inside_viewport(page, "#weak .share")
    assert no_sideways_scroll(page)
    shot(page, f"drills-weak-{width}")
