"""A situation drill end to end over HTTP: a precedent is approved, the product proposes a drill
draft to its proposer, who publishes it from Telegram; the sweep `troly run` starts delivers it
to cadres of the targeted position only; the cadre answers (free text, then options), sees the
approved answer with its source, changes their rhythm with /luyentap, and the drills appear in
their output record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fake_telegram import FakeTelegram, FakeUser
from sqlalchemy import select

from core.cases import precedents
from core.cases import service as cases
from core.cases.calendar import calendar_for
from core.cases.schemas import CaseAnswer, CaseCreate, PrecedentApprove, PrecedentPropose
from core.config import Settings
from core.context import AppContext
from core.db import unit_of_work
from core.drills import service as drills
from core.drills.models import Drill, DrillDelivery, DrillSchedule
from core.drills.scheduled import sweep_drills
from core.drills.schemas import DrillCreate, DrillUpdate
from core.record.service import build
from core.users.enums import Role
from tests.factories import make_person

QUESTION = "Người dân đăng ký khai sinh cho con quá 60 ngày thì xã xử lý thế nào?"
ANSWER = "Vẫn đăng ký khai sinh; không xử phạt người đi đăng ký khai sinh quá hạn."
BASIS = "Luật Hộ tịch 2014, Điều 16"
OTHER_POSITION = "Công chức Văn phòng - Thống kê"  # not the asking cadre's


def _working_day_10(settings: Settings) -> datetime:
    """10:00 in Hà Nội on a working day about two weeks ahead (the sweep sends in office hours
    only, and two deliveries a week apart must both land on working days)."""
    calendar = calendar_for(settings)
    local = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).replace(
        hour=10, minute=0, second=0, microsecond=0
    ) + timedelta(days=14)
    while not (
        calendar.is_working_day(local.date())
        and calendar.is_working_day((local + timedelta(days=7)).date())
    ):
        local += timedelta(days=1)
    return local.astimezone(UTC)


async def test_precedent_to_drill_delivered_answered_and_recorded(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    cadre, sup1 = people.fakes["cadre"], people.fakes["sup1"]
    async with unit_of_work(ctx.sessionmaker) as s:
        other = await make_person(
            s, role=Role.CADRE, unit_id=people.commune_id, name="Đỗ Văn Thống Kê",
            position=OTHER_POSITION, telegram_id=1002,
        )  # fmt: skip
        case = await cases.create_case(
            s, actor=people.users["cadre"], data=CaseCreate(question=QUESTION),
            settings=ctx.settings, receipt=False,
        )  # fmt: skip
    other_fake = FakeUser(1002, "Kê")
    async with unit_of_work(ctx.sessionmaker) as s:
        await cases.answer(
            s, actor=people.users["sup1"], case_id=case.id,
            data=CaseAnswer(text=ANSWER, legal_basis=BASIS),
        )  # fmt: skip
        proposal = await precedents.propose(
            s, actor=people.users["sup1"], case_id=case.id, data=PrecedentPropose()
        )
    mark = fake.mark()
    async with unit_of_work(ctx.sessionmaker) as s:
        await precedents.approve(
            s, actor=people.users["admin"], proposal_id=proposal.id,
            data=PrecedentApprove(scope="unit"),
        )  # fmt: skip

    # The proposer is offered the draft and publishes it in one tap.
    offered = await fake.wait_message(sup1.id, "bài luyện tập tình huống", after=mark)
    await fake.press(sup1, offered, "Xuất bản")
    await fake.wait_message(sup1.id, "Đã xuất bản bài luyện tập", after=mark)
    async with ctx.sessionmaker() as s:
        drill = await s.scalar(select(Drill).where(Drill.precedent_id == proposal.id))
    assert drill is not None and drill.status == "published"
    assert drill.positions == [people.users["cadre"].position]  # the asker's position

    # Delivered by the sweep to the cadre of that position only; a free answer.
    monday = _working_day_10(ctx.settings)
    await sweep_drills(ctx.sessionmaker, ctx.settings, monday)
    sent = await fake.wait_message(cadre.id, "Luyện tập tình huống", after=mark)
    assert QUESTION in sent.text
    await fake.press(cadre, sent, "Trả lời")
    await fake.wait_message(cadre.id, "Gõ câu trả lời", after=mark)
    await fake.send_text(cadre, "Tiếp nhận, đăng ký khai sinh bình thường, không phạt.")
    revealed = await fake.wait_message(cadre.id, "Câu trả lời được duyệt", after=mark)
    assert ANSWER in revealed.text and BASIS in revealed.text and "Tiền lệ" in revealed.text
    await fake.press(cadre, revealed, "Đúng ý")
    await fake.wait_message(cadre.id, "đã ghi nhận", after=mark)

    # A second drill with options, a week later: the right option is confirmed.
    async with unit_of_work(ctx.sessionmaker) as s:
        second = await drills.create_drill(
            s, actor=people.users["sup1"],
            data=DrillCreate(precedent_id=proposal.id, unit_id=people.commune_id),
        )  # fmt: skip
        await drills.update_drill(
            s, actor=people.users["sup1"], drill_id=second.id,
            data=DrillUpdate(title="Khai sinh quá hạn: chọn cách xử lý",
                             options=["Từ chối", "Đăng ký, không phạt", "Phạt rồi đăng ký"],
                             correct_option=1),
        )  # fmt: skip
        await drills.publish(s, actor=people.users["sup1"], drill_id=second.id)
    await sweep_drills(ctx.sessionmaker, ctx.settings, monday + timedelta(days=7))
    options = await fake.wait_message(cadre.id, "Khai sinh quá hạn: chọn", after=mark)
    await fake.press(cadre, options, "B")
    right = await fake.wait_message(cadre.id, "Chính xác", after=mark)
    assert BASIS in right.text

    # The rhythm can be changed and paused from Telegram.
    await fake.send_text(cadre, "/luyentap")
    shown = await fake.wait_message(cadre.id, "Nhận một bài mỗi 7 ngày", after=mark)
    await fake.press(cadre, shown, "14 ngày")
    await fake.wait_message(cadre.id, "Nhận một bài mỗi 14 ngày", after=mark)
    await fake.press(cadre, shown, "Tạm dừng")
    await fake.wait_message(cadre.id, "Đang tạm dừng", after=mark)

    assert not [c for c in fake.sent_to(other_fake.id) if "Luyện tập" in c.text]
    async with unit_of_work(ctx.sessionmaker) as s:
        schedule = await s.get(DrillSchedule, people.users["cadre"].id)
        delivered = list(await s.scalars(select(DrillDelivery.user_id)))
        record = await build(s, actor=people.users["cadre"], user_id=people.users["cadre"].id)
    assert schedule is not None and schedule.paused and schedule.interval_days == 14
    assert other.user.id not in delivered
    figure = next(f for f in record.figures if f.key == "drills_completed")
    assert sorted(e.id for e in figure.evidence) == sorted([drill.id, second.id])
