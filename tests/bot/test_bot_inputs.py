"""The bot refuses control characters and over-long answers with a Vietnamese reply, using the
same checker and limits as the API and the console (core.inputs)."""

from __future__ import annotations

from fake_telegram import FakeTelegram
from sqlalchemy import func, select

from core.context import AppContext
from core.db import unit_of_work
from core.feedback.models import QuestionLog


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
