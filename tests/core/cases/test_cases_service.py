"""Case life cycle on a real database: routing, atomic claims, answers, access rules."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit.models import AuditEntry
from core.cases import service
from core.cases.enums import CaseStatus
from core.cases.models import Case
from core.cases.schemas import CaseAnswer, CaseCreate, CaseFeedback, CaseFilter, PassageSnapshot
from core.config import Settings
from core.db import unit_of_work
from core.errors import DomainError, ErrorCode
from core.outbox.buttons import Action, button
from core.outbox.models import OutboxMessage

from .conftest import World, _user, load_user, new_case


async def _outbox(sessionmaker: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with sessionmaker() as s:
        return list(await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_create_routes_to_unit_supervisors_with_buttons(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    case = await new_case(sessionmaker, settings, world.cadre, question="Hỏi <b>thử</b> nhé")
    assert case.number == f"XYK-2026-{case.id:06d}"
    assert case.status == CaseStatus.NEW
    assert case.level_unit_id == world.commune
    # 17 working hours from Monday 10:00 -> Wednesday 10:00 (8.5 h a day).
    assert case.due_at.isoformat() == "2026-12-02T03:00:00+00:00"
    messages = await _outbox(sessionmaker)
    by_user = {m.user_id: m for m in messages}
    assert set(by_user) == {world.sup1, world.sup2, world.cadre}
    buttons = by_user[world.sup1].buttons[0]
    assert buttons[0] == button(Action.CASE_CLAIM, case.id)
    assert "&lt;b&gt;thử&lt;/b&gt;" in by_user[world.sup1].text  # user text is escaped
    assert case.number in by_user[world.cadre].text


async def test_passage_snapshot_keeps_given_fields(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    passage = PassageSnapshot(
        citation="Cẩm nang, Điều 3", text="Nội dung", document_id=4, version_id=9, score=0.4
    )
    async with unit_of_work(sessionmaker) as s:
        actor = await load_user(s, world.cadre)
        data = CaseCreate(question="Câu hỏi có trích dẫn", passages=[passage], confidence=0.31)
        case = await service.create_case(s, actor=actor, data=data, settings=settings)
    assert case.passages[0]["version_id"] == 9
    assert case.confidence == pytest.approx(0.31)


async def test_concurrent_claims_exactly_one_wins(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    case = await new_case(sessionmaker, settings, world.cadre)
    # Twenty supervisors of the commune race for the same case, each in its own session.
    async with unit_of_work(sessionmaker) as s:
        racers = [
            await _user(s, f"Giám sát {i}", "supervisor", world.commune, [world.commune])
            for i in range(20)
        ]

    async def attempt(user_id: int) -> int | str:
        try:
            async with unit_of_work(sessionmaker) as s:
                actor = await load_user(s, user_id)
                await service.claim(s, actor=actor, case_id=case.id)
                return user_id
        except DomainError as err:
            assert err.code is ErrorCode.CONFLICT
            return err.message

    results = await asyncio.gather(*(attempt(u) for u in racers))
    winners = [r for r in results if isinstance(r, int)]
    assert len(winners) == 1
    async with sessionmaker() as s:
        stored = await s.get(Case, case.id)
        assert stored is not None and stored.assignee_id == winners[0]
        name = (await load_user(s, winners[0])).full_name
        claims = await s.scalar(select(func.count()).where(AuditEntry.action == "case.claim"))
    assert claims == 1
    losers = [r for r in results if isinstance(r, str)]
    assert losers == [f"Trường hợp này đã được {name} nhận xử lý."] * 19


async def test_answer_sends_receipt_and_is_retry_safe(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    case = await new_case(sessionmaker, settings, world.cadre)
    data = CaseAnswer(text="Được chi nếu HĐND xã quyết định.", legal_basis="Luật NSNN, Điều 9")
    for _ in range(2):  # the second call is a retried request: no second receipt
        async with unit_of_work(sessionmaker) as s:
            actor = await load_user(s, world.sup1)
            answered = await service.answer(s, actor=actor, case_id=case.id, data=data)
    assert answered.status == CaseStatus.ANSWERED
    assert answered.answered_by_id == world.sup1
    receipts = [m for m in await _outbox(sessionmaker) if ":answered:" in m.idempotency_key]
    assert len(receipts) == 1 and receipts[0].user_id == world.cadre
    assert case.number in receipts[0].text
    assert "Luật NSNN, Điều 9" in receipts[0].text and "Phạm Thu Hà" in receipts[0].text
    async with unit_of_work(sessionmaker) as s:
        asker = await load_user(s, world.cadre)
        done = await service.give_feedback(
            s, actor=asker, case_id=case.id, data=CaseFeedback(helpful=True)
        )
    assert done.status == CaseStatus.CLOSED and done.feedback == "helpful"


async def test_answer_by_other_supervisor_after_claim_is_refused(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    case = await new_case(sessionmaker, settings, world.cadre)
    async with unit_of_work(sessionmaker) as s:
        await service.claim(s, actor=await load_user(s, world.sup1), case_id=case.id)
    with pytest.raises(DomainError) as err:
        async with unit_of_work(sessionmaker) as s:
            await service.answer(
                s,
                actor=await load_user(s, world.sup2),
                case_id=case.id,
                data=CaseAnswer(text="Trả lời chen ngang"),
            )
    assert err.value.code is ErrorCode.FORBIDDEN


async def test_access_rules(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    mine = await new_case(sessionmaker, settings, world.cadre)
    theirs = await new_case(sessionmaker, settings, world.other_cadre, question="Câu khác hẳn")
    async with sessionmaker() as s:
        cadre, cadre2 = await load_user(s, world.cadre), await load_user(s, world.cadre2)
        sup, other_sup = await load_user(s, world.sup1), await load_user(s, world.other_sup)
        admin, dept = await load_user(s, world.admin), await load_user(s, world.dept_sup)

        async def ids(user: object) -> set[int]:
            cases, total = await service.list_cases(s, actor=user)  # type: ignore[arg-type]
            assert total == len(cases)
            return {c.id for c in cases}

        assert await ids(cadre) == {mine.id}
        assert await ids(cadre2) == set()
        assert await ids(sup) == {mine.id}
        assert await ids(other_sup) == {theirs.id}
        assert await ids(admin) == {mine.id, theirs.id}
        assert await ids(dept) == set()  # nothing forwarded to the department yet
        with pytest.raises(DomainError) as hidden:
            await service.get_case(s, actor=cadre2, case_id=mine.id)
        assert hidden.value.code is ErrorCode.NOT_FOUND
        with pytest.raises(DomainError) as hidden:
            await service.claim(s, actor=other_sup, case_id=mine.id)
        assert hidden.value.code is ErrorCode.NOT_FOUND
        with pytest.raises(DomainError) as refused:
            await service.claim(s, actor=cadre, case_id=mine.id)
        assert refused.value.code is ErrorCode.FORBIDDEN
        queue = await service.queue(s, actor=sup)
        assert [c.id for c in queue] == [mine.id]
        page, total = await service.list_cases(
            s, actor=admin, filters=CaseFilter(unit_id=world.other_commune), limit=1
        )
        assert total == 1 and page[0].id == theirs.id


async def test_withdraw_only_by_asker(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    case = await new_case(sessionmaker, settings, world.cadre)
    with pytest.raises(DomainError):
        async with unit_of_work(sessionmaker) as s:
            await service.withdraw(s, actor=await load_user(s, world.cadre2), case_id=case.id)
    async with unit_of_work(sessionmaker) as s:
        done = await service.withdraw(s, actor=await load_user(s, world.cadre), case_id=case.id)
        assert done.status == CaseStatus.WITHDRAWN
        entries = await service.history(s, actor=await load_user(s, world.cadre), case_id=case.id)
    assert [e.action for e in entries] == ["case.create", "case.withdraw"]
    with pytest.raises(DomainError) as err:
        async with unit_of_work(sessionmaker) as s:
            await service.claim(s, actor=await load_user(s, world.sup1), case_id=case.id)
    assert err.value.code is ErrorCode.CONFLICT


async def test_routing_skips_rungs_without_supervisors(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    from core.users.models import Unit

    from .conftest import _unit

    async with unit_of_work(sessionmaker) as s:
        # A new ward with nobody supervising it yet: its cases go to the department.
        ward = await _unit(s, "UBND phường Mới", "commune", world.department, world.province)
        lonely = await _unit(s, "UBND đặc khu Xa", "commune", None, None)
        asker = await _user(s, "Ngô Thị Phương", "cadre", ward)
        far = await _user(s, "Mai Văn Quý", "cadre", lonely)
        assert await s.get(Unit, ward) is not None
    routed = await new_case(sessionmaker, settings, asker)
    assert routed.level_unit_id == world.department
    stranded = await new_case(sessionmaker, settings, far, question="Câu hỏi nơi xa")
    assert stranded.level_unit_id == lonely
    new_for = {m.user_id for m in await _outbox(sessionmaker) if ":new:" in m.idempotency_key}
    assert world.dept_sup in new_for and world.admin in new_for  # admins are the last resort


async def test_close_and_expire(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    answered = await new_case(sessionmaker, settings, world.cadre)
    stale = await new_case(sessionmaker, settings, world.cadre2, question="Việc cũ không cần nữa")
    async with unit_of_work(sessionmaker) as s:
        sup = await load_user(s, world.sup1)
        await service.answer(s, actor=sup, case_id=answered.id, data=CaseAnswer(text="Xong"))
        closed = await service.close(s, actor=sup, case_id=answered.id)
        assert closed.status == CaseStatus.CLOSED and closed.closed_at is not None
        with pytest.raises(DomainError) as err:
            await service.expire(s, actor=sup, case_id=stale.id)
        assert err.value.code is ErrorCode.FORBIDDEN
        expired = await service.expire(s, actor=await load_user(s, world.admin), case_id=stale.id)
        assert expired.status == CaseStatus.EXPIRED
    told = [m.user_id for m in await _outbox(sessionmaker) if ":expired:" in m.idempotency_key]
    assert told == [world.cadre2]
