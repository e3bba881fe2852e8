"""Precedent review in Telegram: approve with scope and expiry, or reject with a reason."""

from __future__ import annotations

from datetime import date

from fake_telegram import FakeTelegram
from sqlalchemy import select

from core.cases import precedents
from core.cases import service as cases
from core.cases.models import PrecedentProposal
from core.cases.schemas import CaseAnswer, CaseCreate, PrecedentPropose
from core.context import AppContext
from core.db import unit_of_work
from core.users.models import User
from knowledge.models import Document


async def _proposed(ctx: AppContext, people, question: str) -> tuple[int, str]:
    """A case asked by the cadre, answered by a supervisor and proposed as guidance."""
    async with unit_of_work(ctx.sessionmaker) as s:
        cadre = await s.get(User, people.users["cadre"].id)
        sup = await s.get(User, people.users["sup1"].id)
        assert cadre is not None and sup is not None
        case = await cases.create_case(
            s, actor=cadre, data=CaseCreate(question=question), settings=ctx.settings
        )
        await cases.answer(
            s, actor=sup, case_id=case.id,
            data=CaseAnswer(text="Lập biên bản và báo Công an xã.", legal_basis="Điều 3"),
        )  # fmt: skip
        proposal = await precedents.propose(s, actor=sup, case_id=case.id, data=PrecedentPropose())
        return proposal.id, case.number


async def test_admin_approves_with_scope_and_expiry_then_rejects_with_reason(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    admin, sup = people.fakes["admin"], people.fakes["sup1"]
    mark = fake.mark()
    first_id, first_number = await _proposed(ctx, people, "Xử lý xe máy bỏ quên ở trụ sở xã?")
    review = await fake.wait_message(admin.id, first_number, after=mark)
    assert [b["text"] for b in review.buttons()] == ["Phê duyệt", "Từ chối"]

    await fake.press(admin, review, "Phê duyệt")
    scope = await fake.wait_message(admin.id, "phạm vi", after=mark)
    assert [b["text"] for b in scope.buttons()] == [
        "Đơn vị của người hỏi",
        "Toàn tỉnh",
        "Toàn quốc",
    ]
    await fake.press(admin, scope, "Toàn tỉnh")
    expiry = await fake.wait_message(admin.id, "ngày hết hiệu lực", after=mark)
    assert expiry.buttons()[0]["text"] == "Không thời hạn"
    await fake.send_text(admin, "31/12/2020")  # in the past
    await fake.wait_message(admin.id, "Ngày chưa hợp lệ", after=mark)
    await fake.send_text(admin, "31/12/2099")
    done = await fake.wait_message(admin.id, "Đã phê duyệt", after=mark)
    assert first_number in done.text and "Toàn tỉnh" in done.text and "31/12/2099" in done.text
    await fake.wait_message(sup.id, "đã được phê duyệt", after=mark)  # the proposer is told

    async with unit_of_work(ctx.sessionmaker) as s:
        proposal = await s.get(PrecedentProposal, first_id)
        assert proposal is not None and proposal.status == "approved"
        document = await s.get(Document, proposal.document_id)
    assert proposal.scope == "province" and proposal.scope_unit_id == people.province_id
    assert proposal.expires_on == date(2099, 12, 31)
    assert document is not None and document.kind == "precedent"
    assert document.scope == "province" and document.scope_unit_id == people.province_id

    # The same buttons once decided: an explanation, no second decision.
    again = fake.mark()
    await fake.press(admin, review, "Từ chối")
    await fake.wait_for(
        lambda c: (
            c.method == "answerCallbackQuery" and "đã được xử lý" in str(c.params.get("text"))
        ),
        after=again,
    )

    second_id, second_number = await _proposed(ctx, people, "Người dân xin trích lục khai tử cũ?")
    review = await fake.wait_message(admin.id, second_number, after=again)
    await fake.press(admin, review, "Từ chối")
    await fake.wait_message(admin.id, "lý do từ chối", after=again)
    await fake.send_text(admin, "Trùng với hướng dẫn số 07 đã ban hành.")
    await fake.wait_message(admin.id, "Đã từ chối", after=again)
    told = await fake.wait_message(sup.id, "chưa được phê duyệt", after=again)
    assert "Trùng với hướng dẫn số 07" in told.text
    async with unit_of_work(ctx.sessionmaker) as s:
        rejected = await s.scalar(
            select(PrecedentProposal).where(PrecedentProposal.id == second_id)
        )
    assert rejected is not None and rejected.status == "rejected"
    assert rejected.decision_note == "Trùng với hướng dẫn số 07 đã ban hành."
