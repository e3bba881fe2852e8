"""Routing by unit and topic: who is told about a case, and how topics are set (issue 4)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit.models import AuditEntry
from core.cases import service
from core.cases.models import Case
from core.cases.scheduled import sweep
from core.cases.schemas import CaseCreate, CaseForward
from core.config import Settings
from core.db import unit_of_work
from core.errors import DomainError, ErrorCode
from core.outbox.models import OutboxMessage
from core.users import service as users
from core.users.models import User

from .conftest import MONDAY_10, World, _user, load_user

VN = ZoneInfo("Asia/Ho_Chi_Minh")
HO_TICH = "Công chức Tư pháp - Hộ tịch"
DIA_CHINH = "Công chức Địa chính - Xây dựng"


async def _topics(sm: async_sessionmaker[AsyncSession], **by_user: list[str]) -> None:
    """Set topics directly (the setting path has its own tests below)."""
    async with unit_of_work(sm) as s:
        for user_id, topics in by_user.items():
            await s.execute(update(User).where(User.id == int(user_id)).values(topics=topics))


async def _ask(
    sm: async_sessionmaker[AsyncSession],
    settings: Settings,
    asker: int,
    topic: str | None = None,
    now: datetime = MONDAY_10,
) -> Case:
    async with unit_of_work(sm) as s:
        data = CaseCreate(question="Thủ tục đăng ký khai sinh muộn thế nào?", topic=topic)
        actor = await load_user(s, asker)
        return await service.create_case(s, actor=actor, data=data, settings=settings, now=now)


async def _told(sm: async_sessionmaker[AsyncSession], case: Case, event: str) -> set[int]:
    async with sm() as s:
        rows = await s.scalars(
            select(OutboxMessage.user_id).where(
                OutboxMessage.idempotency_key.startswith(f"case:{case.id}:"),
                OutboxMessage.idempotency_key.contains(f":{event}:"),
            )
        )
        return set(rows)


async def test_topic_reaches_matching_and_generalist_supervisors(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    async with unit_of_work(sessionmaker) as s:
        generalist = await _user(s, "Ngô Văn Phúc", "supervisor", world.commune, [world.commune])
    await _topics(sessionmaker, **{str(world.sup1): [HO_TICH], str(world.sup2): [DIA_CHINH]})
    case = await _ask(sessionmaker, settings, world.cadre, topic=HO_TICH)
    assert case.topic == HO_TICH
    assert await _told(sessionmaker, case, "new") == {world.sup1, generalist}
    # Routing only chooses who is told: the other supervisor of the unit may still claim.
    async with unit_of_work(sessionmaker) as s:
        sup2 = await load_user(s, world.sup2)
        assert case.id in [c.id for c in await service.queue(s, actor=sup2)]
        claimed = await service.claim(s, actor=sup2, case_id=case.id)
    assert claimed.assignee_id == world.sup2


async def test_match_ignores_case_diacritics_and_spacing(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    await _topics(
        sessionmaker,
        **{str(world.sup1): ["cong chuc  tu phap - ho tich"], str(world.sup2): [DIA_CHINH]},
    )
    case = await _ask(sessionmaker, settings, world.cadre, topic="CÔNG CHỨC TƯ PHÁP - HỘ TỊCH")
    assert await _told(sessionmaker, case, "new") == {world.sup1}


async def test_empty_topics_handle_every_topic(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    case = await _ask(sessionmaker, settings, world.cadre, topic=DIA_CHINH)
    assert await _told(sessionmaker, case, "new") == {world.sup1, world.sup2}


async def test_no_match_tells_every_supervisor_of_the_level(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    await _topics(sessionmaker, **{str(world.sup1): [HO_TICH], str(world.sup2): [DIA_CHINH]})
    case = await _ask(sessionmaker, settings, world.cadre, topic="Công chức Văn hóa - Xã hội")
    assert await _told(sessionmaker, case, "new") == {world.sup1, world.sup2}


async def test_a_supervisor_who_asks_is_never_the_only_one_chosen(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    await _topics(sessionmaker, **{str(world.sup1): [HO_TICH], str(world.sup2): [DIA_CHINH]})
    case = await _ask(sessionmaker, settings, world.sup1, topic=HO_TICH)
    assert await _told(sessionmaker, case, "new") == {world.sup2}


async def test_topic_defaults_to_the_askers_position(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    async with unit_of_work(sessionmaker) as s:
        await s.execute(update(User).where(User.id == world.cadre).values(position=f"  {HO_TICH} "))
        await s.execute(update(User).where(User.id == world.cadre2).values(position=None))
    await _topics(sessionmaker, **{str(world.sup1): [HO_TICH], str(world.sup2): [DIA_CHINH]})
    by_position = await _ask(sessionmaker, settings, world.cadre)  # as the bot asks
    assert by_position.topic == HO_TICH
    assert await _told(sessionmaker, by_position, "new") == {world.sup1}
    explicit = await _ask(sessionmaker, settings, world.cadre, topic=DIA_CHINH)
    assert explicit.topic == DIA_CHINH
    assert await _told(sessionmaker, explicit, "new") == {world.sup2}
    # No topic and no position: nothing to route by, every supervisor of the level is told.
    untitled = await _ask(sessionmaker, settings, world.cadre2, topic="   ")
    assert untitled.topic is None
    assert await _told(sessionmaker, untitled, "new") == {world.sup1, world.sup2}


async def test_forward_escalation_and_reminders_follow_the_topic(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    async with unit_of_work(sessionmaker) as s:
        dept2 = await _user(
            s, "Trịnh Văn Quang", "supervisor", world.department, [world.department]
        )
    await _topics(
        sessionmaker,
        **{
            str(world.sup1): [HO_TICH],
            str(world.sup2): [DIA_CHINH],
            str(world.dept_sup): [DIA_CHINH],
            str(dept2): [HO_TICH],
        },
    )
    day = datetime(2026, 11, 30, 10, tzinfo=VN)
    reminded = await _ask(sessionmaker, settings, world.cadre, topic=HO_TICH, now=day)
    forwarded = await _ask(sessionmaker, settings, world.cadre, topic=HO_TICH, now=day)
    # Unclaimed at 50 %: only the supervisor for the topic is reminded.
    report = await sweep(sessionmaker, settings, datetime(2026, 12, 1, 10, 5, tzinfo=VN))
    assert sorted(report.reminded) == [(reminded.id, 50), (forwarded.id, 50)]
    assert await _told(sessionmaker, reminded, "remind50") == {world.sup1}
    async with unit_of_work(sessionmaker) as s:
        await service.forward(
            s,
            actor=await load_user(s, world.sup1),
            case_id=forwarded.id,
            data=CaseForward(),
            settings=settings,
            now=datetime(2026, 12, 1, 11, tzinfo=VN),
        )
    assert await _told(sessionmaker, forwarded, "forwarded") == {dept2}
    # Overdue at the commune: escalated to the department's supervisor for the topic.
    report = await sweep(sessionmaker, settings, datetime(2026, 12, 2, 10, 1, tzinfo=VN))
    assert report.escalated == [reminded.id]
    assert await _told(sessionmaker, reminded, "escalated") == {dept2}


# --- setting topics -----------------------------------------------------------------------


async def test_admin_sets_topics_with_an_audit_entry(
    sessionmaker: async_sessionmaker[AsyncSession], world: World
) -> None:
    async with unit_of_work(sessionmaker) as s:
        admin = await load_user(s, world.admin)
        user = await users.set_topics(
            s,
            user_id=world.sup1,
            topics=[f" {HO_TICH} ", "", "cong chuc tu phap - ho tich", DIA_CHINH],
            actor=admin,
        )
        assert user.topics == [HO_TICH, DIA_CHINH]  # cleaned, duplicates by key dropped
        again = await users.set_topics(
            s, user_id=world.sup1, topics=[HO_TICH, DIA_CHINH], actor=admin
        )
        assert again.topics == [HO_TICH, DIA_CHINH]
        cleared = await users.set_topics(s, user_id=world.sup2, topics=[], actor=None)
        assert cleared.topics == []
    async with sessionmaker() as s:
        entries = list(
            await s.scalars(select(AuditEntry).where(AuditEntry.action == "user.set_topics"))
        )
    assert len(entries) == 1  # an unchanged list is not recorded again
    assert entries[0].actor_id == world.admin and entries[0].entity_id == str(world.sup1)
    assert entries[0].data == {"from": [], "to": [HO_TICH, DIA_CHINH]}


async def test_only_admins_set_topics_and_only_on_supervisors(
    sessionmaker: async_sessionmaker[AsyncSession], world: World
) -> None:
    for actor_id in (world.sup1, world.cadre):
        with pytest.raises(DomainError) as denied:
            async with unit_of_work(sessionmaker) as s:
                actor = await load_user(s, actor_id)
                await users.set_topics(s, user_id=world.sup1, topics=[HO_TICH], actor=actor)
        assert denied.value.code is ErrorCode.FORBIDDEN
    with pytest.raises(DomainError) as wrong:
        async with unit_of_work(sessionmaker) as s:
            admin = await load_user(s, world.admin)
            await users.set_topics(s, user_id=world.cadre, topics=[HO_TICH], actor=admin)
    assert wrong.value.code is ErrorCode.INVALID
    with pytest.raises(DomainError) as long:
        async with unit_of_work(sessionmaker) as s:
            admin = await load_user(s, world.admin)
            await users.set_topics(s, user_id=world.sup1, topics=["x" * 101], actor=admin)
    assert long.value.code is ErrorCode.INVALID
    # Someone who stops being a supervisor loses their topics with their units.
    async with unit_of_work(sessionmaker) as s:
        admin = await load_user(s, world.admin)
        await users.set_topics(s, user_id=world.sup2, topics=[HO_TICH], actor=admin)
        demoted = await users.set_role(s, user_id=world.sup2, role="cadre", actor=admin)
        assert demoted.topics == [] and demoted.supervised_units == []
