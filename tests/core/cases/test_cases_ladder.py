"""Deadlines on the ladder: reminders at 50 % and 80 %, escalation at 100 %, sweepers, forward."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit.models import AuditEntry
from core.cases import service
from core.cases.enums import CaseStatus, Urgency
from core.cases.models import Case
from core.cases.scheduled import sweep
from core.cases.schemas import CaseForward
from core.config import Settings
from core.db import unit_of_work
from core.errors import DomainError, ErrorCode
from core.outbox.models import OutboxMessage

from .conftest import World, load_user, new_case

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(d: int, hh: int, mm: int = 0) -> datetime:
    """Day `d` of a Monday-23 week, placed in the holiday-free week from Monday 30/11/2026
    (Tuesday 24/11 is Ngày Văn hóa Việt Nam)."""
    return datetime(2026, 11, 30, hh, mm, tzinfo=VN) + timedelta(days=d - 23)


async def _messages(sm: async_sessionmaker[AsyncSession], event: str) -> list[tuple[int, str]]:
    async with sm() as s:
        rows = await s.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key.contains(f":{event}:"))
        )
        return sorted((m.user_id, m.text) for m in rows)


async def _case(sm: async_sessionmaker[AsyncSession], case_id: int) -> Case:
    async with sm() as s:
        case = await s.get(Case, case_id)
        assert case is not None
        return case


async def test_reminders_then_escalation_up_the_ladder(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    case = await new_case(sessionmaker, settings, world.cadre, now=vn(23, 10))
    # Normal SLA 17 h: 50 % Tue 10:00, 80 % Tue 16:06, due Wed 10:00.
    assert (await sweep(sessionmaker, settings, vn(23, 16))).reminded == []
    report = await sweep(sessionmaker, settings, vn(24, 10, 5))
    assert report.reminded == [(case.id, 50)]
    assert [u for u, _ in await _messages(sessionmaker, "remind50")] == [world.sup1, world.sup2]
    assert (await sweep(sessionmaker, settings, vn(24, 10, 6))).reminded == []  # once only

    async with unit_of_work(sessionmaker) as s:
        await service.claim(s, actor=await load_user(s, world.sup1), case_id=case.id)
    assert (await sweep(sessionmaker, settings, vn(24, 16, 10))).reminded == [(case.id, 80)]
    assert [u for u, _ in await _messages(sessionmaker, "remind80")] == [world.sup1]

    report = await sweep(sessionmaker, settings, vn(25, 10, 1))
    assert report.escalated == [case.id]
    moved = await _case(sessionmaker, case.id)
    assert moved.status == CaseStatus.FORWARDED and moved.level_unit_id == world.department
    assert moved.assignee_id is None and moved.escalations == 1
    assert moved.due_at > vn(26, 10)  # a fresh 17-hour window from Wednesday 10:01
    assert [u for u, _ in await _messages(sessionmaker, "escalated")] == [world.dept_sup]
    assert [u for u, _ in await _messages(sessionmaker, "overdue")] == [world.cadre]
    assert [u for u, _ in await _messages(sessionmaker, "handed_over")] == [world.sup1]

    # The commune supervisor no longer acts on it; the department supervisor does.
    with pytest.raises(DomainError) as err:
        async with unit_of_work(sessionmaker) as s:
            await service.claim(s, actor=await load_user(s, world.sup1), case_id=case.id)
    assert err.value.code is ErrorCode.FORBIDDEN

    # Department overdue too -> province leadership; then the top overdue alarm, once.
    later = moved.due_at + timedelta(minutes=1)
    assert (await sweep(sessionmaker, settings, later)).escalated == [case.id]
    top = await _case(sessionmaker, case.id)
    assert top.level_unit_id == world.province and top.escalations == 2
    final = top.due_at + timedelta(minutes=1)
    assert (await sweep(sessionmaker, settings, final)).overdue == [case.id]
    report = await sweep(sessionmaker, settings, final + timedelta(days=3))
    assert report.overdue == [] and report.escalated == []
    alarm = {u for u, _ in await _messages(sessionmaker, "overdue")}
    assert {world.cadre, world.prov_sup, world.admin} <= alarm


async def test_urgent_case_uses_short_sla(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    case = await new_case(
        sessionmaker, settings, world.cadre, urgency=Urgency.URGENT, now=vn(23, 10)
    )
    assert case.due_at == vn(23, 15)  # 4 working hours, lunch excluded
    assert (await sweep(sessionmaker, settings, vn(23, 15, 1))).escalated == [case.id]


async def test_concurrent_sweepers_send_each_reminder_once(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    cases = [
        await new_case(
            sessionmaker, settings, world.cadre, question=f"Tình huống số {i} khác", now=vn(23, 10)
        )
        for i in range(3)
    ]
    at = vn(24, 10, 30)
    reports = await asyncio.gather(*(sweep(sessionmaker, settings, at) for _ in range(5)))
    handled = sorted(cid for r in reports for cid, _ in r.reminded)
    assert handled == sorted(c.id for c in cases)  # each case reminded by exactly one sweeper
    assert all(not r.errors for r in reports)
    assert len(await _messages(sessionmaker, "remind50")) == 2 * len(cases)
    async with sessionmaker() as s:
        audited = await s.scalar(select(func.count()).where(AuditEntry.action == "case.remind50"))
    assert audited == len(cases)


async def test_forward_up_and_to_a_named_supervisor(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    case = await new_case(sessionmaker, settings, world.cadre)
    async with unit_of_work(sessionmaker) as s:
        sup = await load_user(s, world.sup1)
        await service.claim(s, actor=sup, case_id=case.id)
    with pytest.raises(DomainError) as taken:  # a colleague cannot move a claimed case away
        async with unit_of_work(sessionmaker) as s:
            await service.forward(
                s,
                actor=await load_user(s, world.sup2),
                case_id=case.id,
                data=CaseForward(),
                settings=settings,
            )
    assert taken.value.code is ErrorCode.FORBIDDEN and "Phạm Thu Hà" in taken.value.message
    async with unit_of_work(sessionmaker) as s:
        sup = await load_user(s, world.sup1)
        moved = await service.forward(
            s,
            actor=sup,
            case_id=case.id,
            data=CaseForward(note="Vượt thẩm quyền xã"),
            settings=settings,
        )
    assert moved.level_unit_id == world.department and moved.status == CaseStatus.FORWARDED
    assert [u for u, _ in await _messages(sessionmaker, "forwarded")] == [world.dept_sup]
    assert [u for u, _ in await _messages(sessionmaker, "moved")] == [world.cadre]
    async with unit_of_work(sessionmaker) as s:
        dept = await load_user(s, world.dept_sup)
        named = await service.forward(
            s,
            actor=dept,
            case_id=case.id,
            data=CaseForward(to_user_id=world.prov_sup),
            settings=settings,
        )
        assert named.forwarded_to_id == world.prov_sup
    async with unit_of_work(sessionmaker) as s:
        prov = await load_user(s, world.prov_sup)
        assert [c.id for c in await service.queue(s, actor=prov)] == [case.id]
        claimed = await service.claim(s, actor=prov, case_id=case.id)
    assert claimed.assignee_id == world.prov_sup
    # The top of the ladder cannot forward further up.
    async with unit_of_work(sessionmaker) as s:
        top = await service.forward(
            s,
            actor=await load_user(s, world.prov_sup),
            case_id=case.id,
            data=CaseForward(),
            settings=settings,
        )
        assert top.level_unit_id == world.province
        with pytest.raises(DomainError) as err:
            await service.forward(
                s,
                actor=await load_user(s, world.prov_sup),
                case_id=case.id,
                data=CaseForward(),
                settings=settings,
            )
    assert err.value.code is ErrorCode.INVALID
