"""Queue statistics: by status/unit/topic, SLA compliance, median time to answer, scoped by role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.cases import service
from core.cases.scheduled import sweep
from core.cases.schemas import CaseAnswer, CaseCreate
from core.cases.stats import NO_TOPIC, case_stats, count_open
from core.config import Settings
from core.db import unit_of_work
from core.users.models import User

from .conftest import MONDAY_10, World, load_user, new_case


async def test_stats(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    async with unit_of_work(sessionmaker) as s:  # no position: nothing to default the topic to
        await s.execute(update(User).where(User.id == world.cadre2).values(position=None))
    on_time = await new_case(sessionmaker, settings, world.cadre, question="Câu hỏi một về đất")
    late = await new_case(sessionmaker, settings, world.cadre2, question="Câu hỏi hai hộ tịch")
    async with unit_of_work(sessionmaker) as s:
        actor = await load_user(s, world.other_cadre)
        await service.create_case(
            s,
            actor=actor,
            settings=settings,
            now=MONDAY_10,
            data=CaseCreate(question="Câu hỏi ba về môi trường", topic="Môi trường"),
        )
    async with unit_of_work(sessionmaker) as s:
        await service.answer(
            s,
            actor=await load_user(s, world.sup1),
            case_id=on_time.id,
            data=CaseAnswer(text="Trả lời"),
            now=MONDAY_10 + timedelta(hours=2),
        )
    await sweep(sessionmaker, settings, late.due_at + timedelta(minutes=1))  # escalates `late`
    async with unit_of_work(sessionmaker) as s:
        await service.answer(
            s,
            actor=await load_user(s, world.dept_sup),
            case_id=late.id,
            data=CaseAnswer(text="Trả lời muộn"),
            now=late.due_at + timedelta(hours=1),
        )
    async with sessionmaker() as s:
        admin = await load_user(s, world.admin)
        stats = await case_stats(s, actor=admin, settings=settings, now=late.due_at)
        scoped = await case_stats(s, actor=await load_user(s, world.sup1), settings=settings)
        assert await count_open(s, actor=await load_user(s, world.other_sup)) == 1
    assert stats.total == 3
    assert stats.by_status == {"answered": 2, "forwarded": 1}  # the third was escalated
    # A case without a topic takes the asker's position ("Công chức" here) when they have one.
    assert stats.by_topic == {"Công chức": 1, NO_TOPIC: 1, "Môi trường": 1}
    assert stats.answered == 2 and stats.on_time == 1 and stats.sla_rate == pytest.approx(0.5)
    # Answers after 2 h and after 48 h (Mon 10:00 -> Wed 10:00 + 1 h): median 25.5 h.
    assert stats.median_hours_to_answer == pytest.approx(25.5)
    # Working time: 10:00-12:00 is 1.5 h (lunch from 11:30); the late one 17 h + 1 h.
    assert stats.median_working_hours_to_answer == pytest.approx((1.5 + 18) / 2)
    by_unit = {u.unit_id: u for u in stats.by_unit}
    assert by_unit[world.commune].answered == 2 and by_unit[world.commune].sla_rate == 0.5
    assert by_unit[world.other_commune].open == 1
    assert scoped.total == 2  # a commune supervisor sees only their commune's cases
