"""Situation drills: a draft from an approved precedent, publishing, delivery to the targeted
positions and units on each cadre's schedule (office hours, across Tết, paused), answers,
weak topics by group, and the output record."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit.models import AuditEntry
from core.cases import precedents, service
from core.cases.calendar import calendar_for
from core.cases.schemas import CaseAnswer, PrecedentApprove, PrecedentPropose
from core.config import Settings
from core.db import unit_of_work
from core.drills import service as drills
from core.drills.enums import DrillStatus
from core.drills.models import Drill, DrillDelivery
from core.drills.scheduled import sweep_drills
from core.drills.schemas import DrillAnswer, DrillCreate, DrillUpdate, ScheduleUpdate
from core.drills.weak import weak_topics
from core.errors import DomainError, ErrorCode
from core.outbox.buttons import Action, button
from core.outbox.models import OutboxMessage
from core.record.service import build
from core.users.models import User
from knowledge.models import Document
from tests.core.cases.conftest import MONDAY_10, World, load_user, new_case

VN = ZoneInfo("Asia/Ho_Chi_Minh")
TUPHAP = "Công chức Tư pháp - Hộ tịch"
VANHOA = "Công chức Văn hóa - Xã hội"
QUESTION = "Người dân đăng ký khai sinh cho con quá 60 ngày thì xã xử lý thế nào?"
ANSWER = "Vẫn đăng ký khai sinh; không xử phạt người đi đăng ký khai sinh quá hạn."
OPTIONS = ["Từ chối vì quá hạn", "Đăng ký và không xử phạt", "Yêu cầu xác nhận của thôn"]


def vn(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VN)


async def _positions(sm: async_sessionmaker[AsyncSession], **by_id: str) -> None:
    async with unit_of_work(sm) as s:
        for user_id, position in by_id.items():
            user = await s.get(User, int(user_id.removeprefix("u")))
            assert user is not None
            user.position = position


async def _approved_precedent(
    sm: async_sessionmaker[AsyncSession], settings: Settings, w: World, scope: str = "unit"
) -> int:
    case = await new_case(sm, settings, w.cadre, question=QUESTION)
    async with unit_of_work(sm) as s:
        await service.answer(
            s, actor=await load_user(s, w.sup1), case_id=case.id,
            data=CaseAnswer(text=ANSWER, legal_basis="Luật Hộ tịch 2014, Điều 16"),
        )  # fmt: skip
    async with unit_of_work(sm) as s:
        proposal = await precedents.propose(
            s, actor=await load_user(s, w.sup1), case_id=case.id, data=PrecedentPropose()
        )
    async with unit_of_work(sm) as s:
        await precedents.approve(
            s, actor=await load_user(s, w.admin), proposal_id=proposal.id,
            data=PrecedentApprove(scope=scope),
        )  # fmt: skip
    return proposal.id


async def _published(
    sm: async_sessionmaker[AsyncSession], w: World, proposal_id: int, **update: object
) -> int:
    """A drill from the precedent, edited by sup1 (options by default) and published."""
    async with unit_of_work(sm) as s:
        drill = await drills.create_drill(
            s, actor=await load_user(s, w.sup1),
            data=DrillCreate(precedent_id=proposal_id, unit_id=w.commune),
        )  # fmt: skip
        fields: dict[str, object] = {"options": OPTIONS, "correct_option": 1, "positions": [TUPHAP]}
        fields.update(update)
        await drills.update_drill(
            s, actor=await load_user(s, w.sup1), drill_id=drill.id, data=DrillUpdate(**fields)
        )
        await drills.publish(s, actor=await load_user(s, w.sup1), drill_id=drill.id)
        return drill.id


async def test_an_approved_precedent_proposes_a_draft_its_proposer_publishes(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    proposal_id = await _approved_precedent(sessionmaker, settings, world)
    async with sessionmaker() as s:
        drill = await s.scalar(select(Drill).where(Drill.precedent_id == proposal_id))
        assert drill is not None and drill.status == DrillStatus.DRAFT
        assert drill.situation == QUESTION and drill.answer == ANSWER
        assert "Luật Hộ tịch 2014, Điều 16" in drill.citation and "Tiền lệ" in drill.citation
        assert drill.author_id == world.sup1 and drill.unit_id == world.commune
        told = await s.scalar(
            select(OutboxMessage).where(
                OutboxMessage.idempotency_key == f"drill:{drill.id}:proposed"
            )
        )
        assert told is not None and told.user_id == world.sup1
        assert told.buttons == [[button(Action.DRILL_PUBLISH, drill.id)]]
    for outsider in (world.cadre, world.other_sup):
        async with unit_of_work(sessionmaker) as s:
            with pytest.raises(DomainError) as err:
                await drills.publish(s, actor=await load_user(s, outsider), drill_id=drill.id)
            assert err.value.code is ErrorCode.FORBIDDEN
    async with unit_of_work(sessionmaker) as s:  # a supervisor of another unit cannot see drafts
        seen = await drills.list_drills(s, actor=await load_user(s, world.other_sup))
        assert drill.id not in {d.id for d in seen}
        with pytest.raises(DomainError) as err:
            await drills.create_drill(
                s, actor=await load_user(s, world.other_sup),
                data=DrillCreate(precedent_id=proposal_id, unit_id=world.commune),
            )  # fmt: skip
        assert err.value.code is ErrorCode.FORBIDDEN
    async with unit_of_work(sessionmaker) as s:
        published = await drills.publish(s, actor=await load_user(s, world.sup1), drill_id=drill.id)
        assert published.status == DrillStatus.PUBLISHED
    async with sessionmaker() as s:
        actions = set(
            await s.scalars(select(AuditEntry.action).where(AuditEntry.entity == "drill"))
        )
        assert {"drill.propose", "drill.publish"} <= actions


async def test_delivered_to_the_targeted_positions_and_units_only(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    await _positions(
        sessionmaker, **{f"u{world.cadre}": TUPHAP, f"u{world.cadre2}": VANHOA,
                         f"u{world.other_cadre}": TUPHAP},
    )  # fmt: skip
    drill_id = await _published(
        sessionmaker, world, await _approved_precedent(sessionmaker, settings, world)
    )
    report = await sweep_drills(sessionmaker, settings, MONDAY_10)
    assert report.delivered == [world.cadre]  # not the other position, not the other commune
    assert (await sweep_drills(sessionmaker, settings, MONDAY_10)).delivered == []
    async with sessionmaker() as s:
        sent = await s.scalar(
            select(OutboxMessage).where(
                OutboxMessage.idempotency_key == f"drill:{drill_id}:sent:u{world.cadre}"
            )
        )
        assert sent is not None and "Luyện tập tình huống" in sent.text
        assert [(b["action"], b["value"]) for b in sent.buttons[0]] == [
            (Action.DRILL_PICK, 0),
            (Action.DRILL_PICK, 1),
            (Action.DRILL_PICK, 2),
        ]
        deliveries = list(await s.scalars(select(DrillDelivery)))
        assert [(d.user_id, d.position, d.unit_id) for d in deliveries] == [
            (world.cadre, TUPHAP, world.commune)
        ]


async def test_answers_are_recorded_once_and_only_by_their_cadre(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    await _positions(sessionmaker, **{f"u{world.cadre}": TUPHAP, f"u{world.cadre2}": TUPHAP})
    proposal_id = await _approved_precedent(sessionmaker, settings, world)
    await _published(sessionmaker, world, proposal_id)
    await sweep_drills(sessionmaker, settings, MONDAY_10)
    async with sessionmaker() as s:
        mine = {d.user_id: d.id for d in await s.scalars(select(DrillDelivery))}
    async with unit_of_work(sessionmaker) as s:
        with pytest.raises(DomainError) as err:  # someone else's drill is not found
            await drills.answer(
                s, actor=await load_user(s, world.cadre2), delivery_id=mine[world.cadre],
                data=DrillAnswer(choice=1),
            )  # fmt: skip
        assert err.value.code is ErrorCode.NOT_FOUND
    async with unit_of_work(sessionmaker) as s:
        first = await drills.answer(
            s, actor=await load_user(s, world.cadre), delivery_id=mine[world.cadre],
            data=DrillAnswer(choice=0),
        )  # fmt: skip
        assert first.correct is False and first.choice == 0
    async with unit_of_work(sessionmaker) as s:  # a second tap changes nothing
        again = await drills.answer(
            s, actor=await load_user(s, world.cadre), delivery_id=mine[world.cadre],
            data=DrillAnswer(choice=1),
        )  # fmt: skip
        assert again.choice == 0 and again.correct is False
    async with unit_of_work(sessionmaker) as s:
        right = await drills.answer(
            s, actor=await load_user(s, world.cadre2), delivery_id=mine[world.cadre2],
            data=DrillAnswer(choice=1),
        )  # fmt: skip
        assert right.correct is True


async def test_schedule_skips_tet_and_honours_pause(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    await _positions(sessionmaker, **{f"u{world.cadre}": TUPHAP})
    proposal_id = await _approved_precedent(sessionmaker, settings, world)
    first = await _published(sessionmaker, world, proposal_id)
    second = await _published(sessionmaker, world, proposal_id, options=[], title="Tự luận")
    async with unit_of_work(sessionmaker) as s:
        cadre = await load_user(s, world.cadre)
        await drills.set_schedule(
            s, actor=cadre, data=ScheduleUpdate(interval_days=1), calendar=calendar_for(settings),
            now=vn(2026, 2, 13, 9),
        )  # fmt: skip
    assert (await sweep_drills(sessionmaker, settings, vn(2026, 2, 14, 10))).delivered == []  # Sat
    friday = await sweep_drills(sessionmaker, settings, vn(2026, 2, 13, 10))  # before Tết
    assert friday.delivered == [world.cadre]
    async with sessionmaker() as s:
        schedule = await drills.get_schedule(
            s, actor=await load_user(s, world.cadre), calendar=calendar_for(settings)
        )
        # One day later is Saturday; Tết Bính Ngọ closes offices 16–20/2: Monday 23/2, 07:30.
        assert schedule.next_at == vn(2026, 2, 23, 7, 30).astimezone(UTC)
    assert (await sweep_drills(sessionmaker, settings, vn(2026, 2, 18, 10))).delivered == []
    async with unit_of_work(sessionmaker) as s:
        await drills.set_schedule(
            s, actor=await load_user(s, world.cadre), data=ScheduleUpdate(paused=True),
            calendar=calendar_for(settings), now=vn(2026, 2, 18, 10),
        )  # fmt: skip
    assert (await sweep_drills(sessionmaker, settings, vn(2026, 2, 24, 10))).delivered == []
    async with unit_of_work(sessionmaker) as s:
        resumed = await drills.set_schedule(
            s, actor=await load_user(s, world.cadre), data=ScheduleUpdate(paused=False),
            calendar=calendar_for(settings), now=vn(2026, 2, 24, 10),
        )  # fmt: skip
        assert resumed.next_at == vn(2026, 2, 24, 10).astimezone(UTC)
    assert (await sweep_drills(sessionmaker, settings, vn(2026, 2, 24, 10))).delivered == [
        world.cadre
    ]
    async with sessionmaker() as s:
        got = [
            d.drill_id for d in await s.scalars(select(DrillDelivery).order_by(DrillDelivery.id))
        ]
        assert got == [first, second]
        actions = list(
            await s.scalars(select(AuditEntry.action).where(AuditEntry.action == "drill.schedule"))
        )
        assert len(actions) == 3


async def test_weak_topics_by_group_with_the_framework_and_the_record(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    await _positions(sessionmaker, **{f"u{world.cadre}": TUPHAP, f"u{world.cadre2}": TUPHAP})
    async with unit_of_work(sessionmaker) as s:
        s.add(Document(key="khung-tu-phap", kind="competency", title="Khung năng lực Tư pháp",
                       positions=[TUPHAP]))  # fmt: skip
    drill_id = await _published(
        sessionmaker, world, await _approved_precedent(sessionmaker, settings, world)
    )
    await sweep_drills(sessionmaker, settings, MONDAY_10)
    async with sessionmaker() as s:
        mine = {d.user_id: d.id for d in await s.scalars(select(DrillDelivery))}
    for user_id, choice in ((world.cadre, 1), (world.cadre2, 2)):
        async with unit_of_work(sessionmaker) as s:
            await drills.answer(
                s, actor=await load_user(s, user_id), delivery_id=mine[user_id],
                data=DrillAnswer(choice=choice),
            )  # fmt: skip
    async with sessionmaker() as s:
        rows = await weak_topics(s, actor=await load_user(s, world.sup1))
        assert len(rows) == 1
        row = rows[0]
        assert (row.unit_id, row.position, row.drill_id) == (world.commune, TUPHAP, drill_id)
        assert (row.delivered, row.answered, row.correct, row.share_correct) == (2, 2, 1, 0.5)
        assert [f.title for f in row.frameworks] == ["Khung năng lực Tư pháp"]
        assert await weak_topics(s, actor=await load_user(s, world.other_sup)) == []
        assert len(await weak_topics(s, actor=await load_user(s, world.admin))) == 1
        with pytest.raises(DomainError):
            await weak_topics(s, actor=await load_user(s, world.cadre))
        record = await build(s, actor=await load_user(s, world.sup1), user_id=world.cadre)
        figure = next(f for f in record.figures if f.key == "drills_completed")
        answered = await s.scalar(
            select(func.count(DrillDelivery.id)).where(
                DrillDelivery.user_id == world.cadre, DrillDelivery.answered_at.is_not(None)
            )
        )
        assert figure.count == answered == 1
        assert [(e.kind, e.id) for e in figure.evidence] == [("drill", drill_id)]


async def test_concurrent_sweepers_deliver_each_drill_once(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    await _positions(sessionmaker, **{f"u{world.cadre}": TUPHAP, f"u{world.cadre2}": TUPHAP})
    drill_id = await _published(
        sessionmaker, world, await _approved_precedent(sessionmaker, settings, world)
    )
    reports = await asyncio.gather(
        *(sweep_drills(sessionmaker, settings, MONDAY_10) for _ in range(4))
    )
    delivered = sorted(u for r in reports for u in r.delivered)
    assert delivered == sorted([world.cadre, world.cadre2])  # each by exactly one sweeper
    assert all(not r.errors for r in reports)
    async with sessionmaker() as s:
        sent = await s.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.idempotency_key.like(f"drill:{drill_id}:sent:%")
            )
        )
        audited = await s.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "drill.deliver")
        )
    assert sent == audited == 2
