"""Questions get cited answers; feedback buttons; HTML escaping; over-long input; rate limit."""

from __future__ import annotations

from fake_telegram import FakeTelegram
from sqlalchemy import select

from bot import texts
from core.context import AppContext
from core.db import unit_of_work
from core.feedback.models import QuestionLog


async def test_question_gets_cited_answer_and_feedback(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    cadre = people.fakes["cadre"]
    # The tiny test corpus cannot calibrate confidence; pin the threshold so it is "covered".
    ctx.settings.novel_threshold = 0.0
    await fake.send_text(cadre, "cong chuc xa duoc nghi phep hang nam bao nhieu ngay")
    answer = await fake.wait_message(cadre.id, "Điều 1")
    assert "Quy chế mẫu về làm việc của công chức xã" in answer.text
    assert "Độ tin cậy" in answer.text and "Tóm lại" in answer.text
    assert "Hiệu lực" in answer.text or "hiệu lực" in answer.text
    labels = [b["text"] for b in answer.buttons()]
    for label in (texts.BTN_HELPFUL, texts.BTN_UNHELPFUL, texts.BTN_ESCALATE):
        assert label in labels

    mark = fake.mark()
    await fake.press(cadre, answer, "Chưa đúng")
    why = await fake.wait_message(cadre.id, "Vì sao", after=mark)
    await fake.send_text(cadre, "Thiếu quy định về nghỉ phép của cán bộ không chuyên trách")
    await fake.wait_message(cadre.id, "góp ý đã được ghi nhận", after=mark)
    assert why.buttons()[0]["text"] == texts.BTN_SKIP
    async with unit_of_work(ctx.sessionmaker) as s:
        entry = await s.scalar(select(QuestionLog))
    assert entry is not None and entry.feedback == "unhelpful"
    assert entry.feedback_reason and "không chuyên trách" in entry.feedback_reason
    assert entry.passages[0]["citation"].startswith("Quy chế mẫu")


async def test_more_passages_and_helpful(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    cadre = people.fakes["cadre"]
    ctx.settings.novel_threshold = 0.0
    mark = fake.mark()
    await fake.send_text(cadre, "chứng thực bản sao khi bản chính bị tẩy xóa")
    answer = await fake.wait_message(cadre.id, "Điều 4", after=mark)
    assert answer.text.index("Điều 4") < answer.text.index("2. ")  # best passage first
    await fake.press(cadre, answer, "Xem thêm")
    more = await fake.wait_message(cadre.id, "Thêm các đoạn liên quan", after=mark)
    assert "<b>4. " in more.text
    await fake.press(cadre, answer, "Hữu ích")
    await fake.wait_for(
        lambda c: c.method == "answerCallbackQuery" and "Cảm ơn" in str(c.params.get("text")),
        after=mark,
    )
    async with unit_of_work(ctx.sessionmaker) as s:
        entry = await s.scalar(select(QuestionLog))
    assert entry is not None and entry.feedback == "helpful"
