"""Commending a case from Telegram: a case answered before half its deadline is offered to the
answerer's fellow supervisor with a 🏅 button; one tap (with the suggested citation) commends,
the answerer is told, and the commendation is in their record. A late answer is not offered."""

from __future__ import annotations

from datetime import timedelta

from fake_telegram import FakeTelegram
from sqlalchemy import select

from core.cases import service as cases
from core.cases.schemas import CaseAnswer, CaseCreate
from core.context import AppContext
from core.db import unit_of_work, utcnow
from core.outbox.models import OutboxMessage
from core.record.service import build


async def test_an_early_answer_is_commended_in_one_tap(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    sup1, sup2 = people.fakes["sup1"], people.fakes["sup2"]
    mark = fake.mark()
    async with unit_of_work(ctx.sessionmaker) as s:
        case = await cases.create_case(
            s, actor=people.users["cadre"], settings=ctx.settings, receipt=False,
            data=CaseCreate(question="Xã có được tự đặt lệ phí trông giữ xe ở chợ không?"),
        )  # fmt: skip
        await cases.answer(
            s, actor=people.users["sup1"], case_id=case.id,
            data=CaseAnswer(text="Không; mức thu do HĐND tỉnh quyết định.",
                            legal_basis="Luật Phí và lệ phí 2015"),
        )  # fmt: skip
    offer = await fake.wait_message(sup2.id, "trả lời sớm", after=mark)
    assert case.number in offer.text and "Trần Văn Phụ Trách" in offer.text
    assert not [c for c in fake.calls[mark:] if c.chat_id == sup1.id and "trả lời sớm" in c.text]
    await fake.press(sup2, offer, "Biểu dương")
    ask = await fake.wait_message(sup2.id, "lời biểu dương ngắn", after=mark)
    await fake.press(sup2, ask, "Dùng lời đề xuất")
    await fake.wait_message(sup2.id, "Đã biểu dương", after=mark)
    told = await fake.wait_message(sup1.id, "Biểu dương", after=mark)
    assert case.number in told.text and "Lê Thị Giám Sát" in told.text

    async with unit_of_work(ctx.sessionmaker) as s:
        late = await cases.create_case(
            s, actor=people.users["cadre"], settings=ctx.settings, receipt=False,
            data=CaseCreate(question="Thôn có được thu quỹ an ninh theo đầu người không?"),
            now=utcnow() - timedelta(days=30),
        )  # fmt: skip
        await cases.answer(
            s, actor=people.users["sup1"], case_id=late.id, data=CaseAnswer(text="Không được.")
        )
        offered = await s.scalar(
            select(OutboxMessage).where(
                OutboxMessage.idempotency_key.like(f"commend-offer:case:{late.id}:%")
            )
        )
        record = await build(s, actor=people.users["sup1"], user_id=people.users["sup1"].id)
    assert offered is None
    figure = next(f for f in record.figures if f.key == "commendations")
    assert figure.count == 1 and case.number in figure.evidence[0].label
