"""The bot's messages say the right thing once, in one format (issue 11, Telegram #4)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fake_telegram import FakeTelegram, FakeUser
from sqlalchemy import select, update

from core.cases import service as cases
from core.cases.models import Case
from core.cases.schemas import CaseCreate
from core.cases.texts import when
from core.context import AppContext
from core.db import unit_of_work, utcnow
from core.users import service as user_service
from core.users.enums import Role
from core.users.models import User


async def _case(ctx: AppContext, people, question: str) -> Case:
    async with unit_of_work(ctx.sessionmaker) as s:
        cadre = await s.get(User, people.users["cadre"].id)
        assert cadre is not None
        return await cases.create_case(
            s, actor=cadre, data=CaseCreate(question=question), settings=ctx.settings
        )


async def test_claim_loser_is_told_which_case_and_loses_the_button(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    sup1, sup2 = people.fakes["sup1"], people.fakes["sup2"]
    mark = fake.mark()
    case = await _case(ctx, people, "Cấp lại giấy khai sinh bị mất bản chính thế nào?")
    new1 = await fake.wait_message(sup1.id, case.number, after=mark)
    new2 = await fake.wait_message(sup2.id, case.number, after=mark)
    await fake.press(sup1, new1, "Nhận xử lý")
    await fake.wait_message(sup1.id, "Bạn đã nhận xử lý", after=mark)
    await fake.press(sup2, new2, "Nhận xử lý")
    lost = await fake.wait_message(sup2.id, "không cần xử lý", after=mark)
    assert case.number in lost.text and people.users["sup1"].full_name in lost.text
    edited = await fake.wait_for(
        lambda c: c.method == "editMessageReplyMarkup" and c.chat_id == sup2.id, after=mark
    )
    assert edited.params.get("message_id") == str(new2.result["message_id"])
    assert "Nhận xử lý" not in [b["text"] for b in edited.buttons()]


async def test_escalating_confirms_once_in_one_date_and_urgency_format(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    cadre, sup = people.fakes["cadre"], people.fakes["sup1"]
    mark = fake.mark()
    await fake.send_text(cadre, "/xinykien")
    await fake.wait_message(cadre.id, "mô tả tình huống", after=mark)
    await fake.send_text(cadre, "Hộ dân lấn chiếm hành lang giao thông để bán hàng, xử lý sao?")
    ask = await fake.wait_message(cadre.id, "Bạn có muốn gửi kèm", after=mark)
    await fake.press(cadre, ask, "Tiếp tục")
    confirm = await fake.wait_message(cadre.id, "Xác nhận gửi", after=mark)
    assert "Mức độ: thường" in confirm.text
    await fake.press(cadre, confirm, "Gửi")
    receipt = await fake.wait_message(cadre.id, "Đã gửi xin ý kiến", after=mark)
    await fake.wait_message(sup.id, "Xin ý kiến mới", after=mark)  # the outbox has run
    await asyncio.sleep(1.0)  # and would have delivered a second receipt by now
    receipts = [c for c in fake.calls[mark:] if c.chat_id == cadre.id and "Đã gửi" in c.text]
    assert receipts == [receipt]
    assert any(
        c.method == "editMessageReplyMarkup" and c.chat_id == cadre.id for c in fake.calls[mark:]
    )  # the confirmation's buttons are gone

    async with unit_of_work(ctx.sessionmaker) as s:
        case = await s.scalar(select(Case))
    assert case is not None
    due = when(case.due_at)
    assert due in receipt.text and "mức độ thường" in receipt.text
    await fake.send_text(sup, "/hangdoi")
    queue = await fake.wait_message(sup.id, "Hàng đợi", after=mark)
    assert "[thường]" in queue.text and f"hạn {due}" in queue.text


async def test_overdue_at_the_top_tells_the_asker_in_their_own_words(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    cadre, admin = people.fakes["cadre"], people.fakes["admin"]
    case = await _case(ctx, people, "Xác nhận thời gian công tác cho người đã nghỉ hưu?")
    mark = fake.mark()
    async with unit_of_work(ctx.sessionmaker) as s:  # waiting at the top rung, past its deadline
        await s.execute(
            update(Case)
            .where(Case.id == case.id)
            .values(level_unit_id=people.province_id, due_at=utcnow() - timedelta(minutes=1))
        )
    told = await fake.wait_message(cadre.id, "quá hạn", after=mark)
    assert case.number in told.text and "cấp cao hơn" not in told.text
    alarm = await fake.wait_message(admin.id, "chưa có cấp cao hơn", after=mark)
    assert case.number in alarm.text


async def test_supervisor_registers_without_a_job_title(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    async with unit_of_work(ctx.sessionmaker) as s:
        invite = await user_service.create_invite(
            s, role=Role.SUPERVISOR, unit_id=people.commune_id, actor=None, uses=1
        )
        code = invite.code
    newbie = FakeUser(5557, "Hà")
    mark = fake.mark()
    await fake.send_text(newbie, f"/start {code}")
    await fake.wait_message(newbie.id, "họ và tên", after=mark)
    await fake.send_text(newbie, "Đỗ Thu Hà")
    done = await fake.wait_message(newbie.id, "Đăng ký thành công", after=mark)
    assert "Người phụ trách trả lời" in done.text
    assert not [c for c in fake.calls[mark:] if c.chat_id == newbie.id and "chức danh" in c.text]
    async with unit_of_work(ctx.sessionmaker) as s:
        user = await s.scalar(select(User).where(User.telegram_id == newbie.id))
    assert user is not None and user.role == Role.SUPERVISOR and user.position is None
