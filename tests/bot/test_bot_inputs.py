"""The bot refuses control characters and over-long answers with a Vietnamese reply, using the
same checker and limits as the API and the console (core.inputs)."""

from __future__ import annotations

from fake_telegram import FakeTelegram, FakeUser
from sqlalchemy import func, select

from core.context import AppContext
from core.db import unit_of_work
from core.feedback.models import QuestionLog
from core.users import service as user_service
from core.users.enums import Role
from core.users.models import User


async def test_control_characters_are_refused_with_a_reply(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    cadre = people.fakes["cadre"]
    mark = fake.mark()
    await fake.send_text(cadre, "Xin hỏi về \x00 hộ tịch")
    refused = await fake.wait_message(cadre.id, "ký tự điều khiển", after=mark)
    assert "NUL" in refused.text
    await fake.send_text(cadre, "/xinykien")
    await fake.wait_message(cadre.id, "mô tả tình huống", after=mark)
    await fake.send_text(cadre, "Tình huống\x07 có chuông")
    await fake.wait_message(cadre.id, "ký tự điều khiển", after=mark)
    async with unit_of_work(ctx.sessionmaker) as session:
        assert await session.scalar(select(func.count()).select_from(QuestionLog)) == 0


async def test_question_limit_follows_the_setting(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    cadre = people.fakes["cadre"]
    mark = fake.mark()
    await fake.send_text(cadre, "Hỏi " + "x" * ctx.settings.max_text_chars)
    refused = await fake.wait_message(cadre.id, "vượt giới hạn", after=mark)
    assert f"{ctx.settings.max_text_chars} ký tự" in refused.text


async def test_every_dialogue_step_refuses_control_characters(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    """Registration has no check of its own: the bot-wide guard refuses the name."""
    async with unit_of_work(ctx.sessionmaker) as s:
        invite = await user_service.create_invite(
            s, role=Role.CADRE, unit_id=people.commune_id, actor=None, uses=1
        )
        code = invite.code
    newbie = FakeUser(7777, "An")
    await fake.send_text(newbie, f"/start {code}")
    await fake.wait_message(newbie.id, "họ và tên")
    mark = fake.mark()
    await fake.send_text(newbie, "Nguyễn\x00 Văn An")
    await fake.wait_message(newbie.id, "ký tự điều khiển", after=mark)
    await fake.send_text(newbie, "Nguyễn Văn An")  # the step is still waiting for the name
    await fake.wait_message(newbie.id, "chức danh", after=mark)
    async with unit_of_work(ctx.sessionmaker) as s:
        names = list(await s.scalars(select(User.full_name)))
    assert names and not any("\x00" in n for n in names)
