"""Registration by invitation code over the fake Bot API, and the gate for unknown people."""

from __future__ import annotations

from fake_telegram import FakeTelegram, FakeUser
from sqlalchemy import select

from bot import texts
from core.context import AppContext
from core.db import unit_of_work
from core.users import service as user_service
from core.users.enums import Role
from core.users.models import Invite, User


async def test_register_with_code_name_and_position(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    async with unit_of_work(ctx.sessionmaker) as s:
        invite = await user_service.create_invite(
            s, role=Role.CADRE, unit_id=people.commune_id, actor=None, uses=1
        )
        code = invite.code
    newbie = FakeUser(5555, "An")
    await fake.send_text(newbie, f"/start {code}")
    await fake.wait_message(newbie.id, "họ và tên")
    await fake.send_text(newbie, "  Nguyễn   Văn An ")
    pick = await fake.wait_message(newbie.id, "chức danh")
    assert [b["text"] for b in pick.buttons()] == [
        "Công chức Tư pháp - Hộ tịch",
        "Công chức Văn phòng - Thống kê",
    ]
    await fake.press(newbie, pick, "Văn phòng")
    done = await fake.wait_message(newbie.id, "Đăng ký thành công")
    assert "Nguyễn Văn An" in done.text and "Xã An Bình" in done.text

    async with unit_of_work(ctx.sessionmaker) as s:
        user = await s.scalar(select(User).where(User.telegram_id == newbie.id))
        left = await s.scalar(select(Invite.uses_left).where(Invite.code == code))
    assert user is not None and user.full_name == "Nguyễn Văn An"
    assert user.position == "Công chức Văn phòng - Thống kê" and user.role == Role.CADRE
    assert left == 0

    # The code is used up: a second person is told so, in Vietnamese.
    other = FakeUser(6666, "Bình")
    mark = fake.mark()
    await fake.send_text(other, f"/start {code}")
    refused = await fake.wait_message(other.id, after=mark)
    assert "hết lượt" in refused.text


async def test_unknown_user_gets_only_an_explanation(fake: FakeTelegram, people, runner) -> None:
    stranger = FakeUser(7777, "Lạ")
    mark = fake.mark()
    await fake.send_text(stranger, "công chức xã được nghỉ phép bao nhiêu ngày?")
    reply = await fake.wait_message(stranger.id, after=mark)
    assert reply.text == texts.UNKNOWN_USER
    # A command afterwards gets the same short answer; no answer content ever leaks.
    await fake.send_text(stranger, "/sangkien")
    await fake.wait_for(lambda c: c.chat_id == stranger.id and c is not reply, after=mark)
    sent = fake.sent_to(stranger.id)
    assert [c.text for c in sent] == [texts.UNKNOWN_USER, texts.UNKNOWN_USER]


async def test_web_login_code_via_bot(ctx: AppContext, people, fake: FakeTelegram, runner) -> None:
    import re

    from core.web import service as web_service

    sup = people.fakes["sup1"]
    mark = fake.mark()
    await fake.send_text(sup, "/dangnhap")
    hint = await fake.wait_message(sup.id, "Telegram ID của bạn", after=mark)
    assert f"<code>{sup.id}</code>" in hint.text
    sent = await fake.wait_message(sup.id, "Mã đăng nhập bảng điều khiển web:", after=mark)
    match = re.search(r"<code>([^<]+)</code>", sent.text)
    assert match is not None
    async with unit_of_work(ctx.sessionmaker) as s:
        user = await web_service.redeem_login_code(s, settings=ctx.settings, code=match.group(1))
    assert user.id == people.users["sup1"].id
