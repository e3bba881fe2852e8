"""The queue page: filters, search, paging, and time left counted in working time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.cases import service
from core.cases.calendar import WorkCalendar
from core.cases.enums import Urgency
from core.cases.queueview import QueueQuery, queue_page, sla_of, working_left
from core.config import Settings
from core.db import unit_of_work

from .conftest import MONDAY_10, World, load_user, new_case


async def _page(
    sm: async_sessionmaker[AsyncSession], user: int, now: datetime, **query: object
) -> tuple[list[str], int, int]:
    async with unit_of_work(sm) as s:
        actor = await load_user(s, user)
        page = await queue_page(s, actor=actor, query=QueueQuery(**query), now=now, per_page=2)  # type: ignore[arg-type]
    return [c.question for c in page.cases], page.total, page.pages


async def test_filters_search_and_pages(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    questions = [
        "Xin hỏi thủ tục đăng ký khai sinh quá hạn?",
        "Hộ kinh doanh có được dựng mái che trên vỉa hè?",
        "Chi hỗ trợ người có công 100% được không?",
    ]
    cases = [await new_case(sessionmaker, settings, world.cadre, q) for q in questions]
    await new_case(
        sessionmaker, settings, world.cadre2, "Khẩn: sạt lở bờ kênh", urgency=Urgency.URGENT
    )
    await new_case(sessionmaker, settings, world.other_cadre, "Câu hỏi của xã khác thôi")
    async with unit_of_work(sessionmaker) as s:
        await service.claim(s, actor=await load_user(s, world.sup1), case_id=cases[1].id)
    now = MONDAY_10 + timedelta(hours=1)

    found, total, pages = await _page(sessionmaker, world.sup1, now)
    assert total == 4 and pages == 2 and len(found) == 2  # the other commune is not theirs
    assert len((await _page(sessionmaker, world.sup1, now, page=2))[0]) == 2
    assert (await _page(sessionmaker, world.sup1, now, page=99))[0]  # clamped to the last page
    assert (await _page(sessionmaker, world.sup1, now, view="mine"))[0] == [questions[1]]
    assert (await _page(sessionmaker, world.sup1, now, view="unclaimed"))[1] == 3
    assert (await _page(sessionmaker, world.sup1, now, urgency=Urgency.URGENT))[0] == [
        "Khẩn: sạt lở bờ kênh"
    ]
    # Search reads the question, the number and the asker's name; % is a literal character.
    assert (await _page(sessionmaker, world.sup1, now, q="khai sinh"))[0] == [questions[0]]
    assert (await _page(sessionmaker, world.sup1, now, q="100%"))[0] == [questions[2]]
    assert (await _page(sessionmaker, world.sup1, now, q="Trần Thị"))[1] == 1
    assert (await _page(sessionmaker, world.sup1, now, q=cases[0].number))[1] == 1
    assert (await _page(sessionmaker, world.sup1, now, unit_id=world.other_commune))[1] == 0
    # Overdue: nothing yet; a week later, everything still open.
    assert (await _page(sessionmaker, world.sup1, now, view="overdue"))[1] == 0
    later = MONDAY_10 + timedelta(days=7)
    assert (await _page(sessionmaker, world.sup1, later, view="overdue"))[1] == 4
    # The admin sees both communes; the filter choices list them.
    async with unit_of_work(sessionmaker) as s:
        admin = await load_user(s, world.admin)
        page = await queue_page(s, actor=admin, query=QueueQuery(), now=now)
    assert page.total == 5
    assert {name for _, name in page.units} == {"UBND xã An Bình", "UBND xã Hoà Lạc"}


async def test_time_left_is_working_time(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    case = await new_case(sessionmaker, settings, world.cadre)  # Monday 10:00, 17 working hours
    calendar = WorkCalendar()
    # One working hour later: 16 h left, a working day being 8.5 h.
    view = sla_of(case, MONDAY_10 + timedelta(hours=1), calendar)
    assert view.state == "ok" and view.left == "còn 1 ngày 7 giờ 30 phút làm việc"
    # Monday 19:00 local: only the 6 office hours since 10:00 were used, not 9 wall hours.
    evening = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert sla_of(case, evening, calendar).left == "còn 1 ngày 2 giờ 30 phút làm việc"
    # Overdue by one working hour: Wednesday 11:00 local.
    late = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
    assert sla_of(case, late, calendar).left == "quá hạn 1 giờ làm việc"


def test_working_left_wording() -> None:
    assert working_left(0.25, 8.5) == "còn 15 phút làm việc"
    assert working_left(-17, 8.5) == "quá hạn 2 ngày làm việc"
    assert working_left(0, 8.5) == "còn 0 phút làm việc"
