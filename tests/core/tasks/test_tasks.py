"""Hard-task catalogue: working-day deadlines across holidays, reminders and escalation on the
ladder, scoping, and the audit trail."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit.models import AuditEntry
from core.config import Settings
from core.db import unit_of_work
from core.errors import DomainError, ErrorCode
from core.outbox.buttons import Action, button
from core.outbox.models import OutboxMessage
from core.tasks import service
from core.tasks.enums import LinkKind, TaskStatus
from core.tasks.models import HardTask
from core.tasks.scheduled import sweep_tasks
from core.tasks.schemas import TaskClose, TaskCreate, TaskLinkCreate, TaskNoteCreate, TaskUpdate
from tests.core.cases.conftest import World, load_user, new_case

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VN)


async def _create(
    sm: async_sessionmaker[AsyncSession],
    settings: Settings,
    world: World,
    *,
    days: int = 2,
    now: datetime | None = None,
    actor: int | None = None,
    owner: int | None = None,
    unit: int | None = None,
) -> HardTask:
    async with unit_of_work(sm) as s:
        data = TaskCreate(
            unit_id=unit or world.commune,
            title="Giải quyết tranh chấp ranh giới đất thôn Đông",
            description="Tồn đọng từ năm trước.",
            owner_id=owner or world.cadre,
            working_days=days,
        )
        return await service.create_task(
            s,
            actor=await load_user(s, actor or world.sup1),
            data=data,
            settings=settings,
            now=now or vn(2026, 12, 7, 10),
        )


async def _sent(sm: async_sessionmaker[AsyncSession], task_id: int, event: str) -> list[int]:
    async with sm() as s:
        rows = await s.scalars(
            select(OutboxMessage.user_id).where(
                OutboxMessage.idempotency_key.like(f"task:{task_id}:v%:{event}:%")
            )
        )
        return sorted(rows)


async def test_deadline_in_working_days_skips_tet_and_weekends(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    # Friday 13/2/2026 10:00; Tết closes 16-20/2, then a weekend: 3 working days end Wed 25/2.
    task = await _create(sessionmaker, settings, world, days=3, now=vn(2026, 2, 13, 10))
    assert task.due_at == vn(2026, 2, 25, 10)
    assert task.remind_50_at.astimezone(VN).date().isoformat() == "2026-02-23"
    assert await _sent(sessionmaker, task.id, "assigned") == [world.cadre]


async def test_reminders_then_overdue_then_up_the_ladder(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    task = await _create(
        sessionmaker, settings, world, days=2
    )  # Mon 7/12 10:00, due Wed 9/12 10:00
    assert (await sweep_tasks(sessionmaker, settings, vn(2026, 12, 7, 16))).reminded == []
    assert (await sweep_tasks(sessionmaker, settings, vn(2026, 12, 8, 10, 5))).reminded == [
        (task.id, 50)
    ]
    assert (await sweep_tasks(sessionmaker, settings, vn(2026, 12, 8, 10, 6))).reminded == []
    assert await _sent(sessionmaker, task.id, "remind50") == [world.cadre]

    report = await sweep_tasks(sessionmaker, settings, vn(2026, 12, 9, 10, 5))
    assert report.overdue == [task.id]
    assert await _sent(sessionmaker, task.id, "overdue") == sorted(
        [world.cadre, world.sup1, world.sup2]
    )
    # One normal SLA window (17 working hours) later the next rung, the department, is told.
    assert (await sweep_tasks(sessionmaker, settings, vn(2026, 12, 10, 10))).escalated == []
    report = await sweep_tasks(sessionmaker, settings, vn(2026, 12, 11, 10, 10))
    assert report.escalated == [task.id]
    assert await _sent(sessionmaker, task.id, "escalated") == [world.dept_sup]
    async with sessionmaker() as s:
        stored = await s.get(HardTask, task.id)
        assert stored is not None and stored.level_unit_id == world.department
        # The department's supervisor now sees the task in their catalogue.
        dept = await load_user(s, world.dept_sup)
        assert [t.id for t in (await service.list_tasks(s, actor=dept))[0]] == [task.id]
        actions = list(
            await s.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.entity == "task", AuditEntry.entity_id == str(task.id))
                .order_by(AuditEntry.id)
            )
        )
    assert actions == ["task.create", "task.remind50", "task.overdue", "task.escalate"]

    # Finishing stops the sweep.
    async with unit_of_work(sessionmaker) as s:
        await service.close_task(
            s, actor=await load_user(s, world.cadre), task_id=task.id, data=TaskClose()
        )
    assert (await sweep_tasks(sessionmaker, settings, vn(2026, 12, 31, 10))).escalated == []


async def test_scoping_of_every_path(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    task = await _create(sessionmaker, settings, world)
    with pytest.raises(DomainError) as err:
        await _create(sessionmaker, settings, world, actor=world.other_sup)
    assert err.value.code == ErrorCode.FORBIDDEN
    with pytest.raises(DomainError) as err:
        await _create(sessionmaker, settings, world, actor=world.cadre)
    assert err.value.code == ErrorCode.FORBIDDEN
    with pytest.raises(DomainError) as err:
        await _create(sessionmaker, settings, world, owner=world.other_cadre)
    assert err.value.code == ErrorCode.INVALID

    async with unit_of_work(sessionmaker) as s:
        seen = {
            key: [t.id for t in (await service.list_tasks(s, actor=await load_user(s, uid)))[0]]
            for key, uid in [
                ("cadre", world.cadre),
                ("cadre2", world.cadre2),
                ("sup", world.sup2),
                ("other_sup", world.other_sup),
                ("admin", world.admin),
            ]
        }
        assert seen == {
            "cadre": [task.id],
            "cadre2": [],
            "sup": [task.id],
            "other_sup": [],
            "admin": [task.id],
        }
        for uid in (world.cadre2, world.other_sup):
            with pytest.raises(DomainError) as err:
                await service.add_note(
                    s,
                    actor=await load_user(s, uid),
                    task_id=task.id,
                    data=TaskNoteCreate(text="Đã làm việc với hai hộ dân."),
                )
            assert err.value.code == ErrorCode.NOT_FOUND
        with pytest.raises(DomainError) as err:  # the owner reports, but does not edit
            await service.update_task(
                s,
                actor=await load_user(s, world.cadre),
                task_id=task.id,
                data=TaskUpdate(title="Đổi tên"),
                settings=settings,
            )
        assert err.value.code == ErrorCode.FORBIDDEN


async def test_notes_links_and_closing(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    task = await _create(sessionmaker, settings, world)
    case = await new_case(sessionmaker, settings, world.cadre)
    async with unit_of_work(sessionmaker) as s:
        sup = await load_user(s, world.sup1)
        await service.add_note(
            s, actor=sup, task_id=task.id, data=TaskNoteCreate(text="Mời Phòng TN-MT hỗ trợ.")
        )
        link = TaskLinkCreate(kind=LinkKind.CASE, target_id=case.id)
        await service.link(s, actor=sup, task_id=task.id, data=link)
        await service.link(s, actor=sup, task_id=task.id, data=link)  # twice: one link
    assert await _sent(sessionmaker, task.id, "note") == [world.cadre]
    async with unit_of_work(sessionmaker) as s:
        cadre = await load_user(s, world.cadre)
        await service.add_note(
            s, actor=cadre, task_id=task.id, data=TaskNoteCreate(text="Đã đo đạc lại.")
        )
        done = await service.close_task(
            s, actor=cadre, task_id=task.id, data=TaskClose(note="Hai hộ đã ký biên bản.")
        )
        assert done.status == TaskStatus.DONE
        with pytest.raises(DomainError) as err:
            await service.close_task(s, actor=cadre, task_id=task.id, data=TaskClose())
        assert err.value.code == ErrorCode.CONFLICT
    async with sessionmaker() as s:
        view = await service.get_task(s, actor=await load_user(s, world.admin), task_id=task.id)
        done_msgs = list(
            await s.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.idempotency_key.like(f"task:{task.id}:%:done:%")
                )
            )
        )
    assert [n.text for n in view.notes] == ["Mời Phòng TN-MT hỗ trợ.", "Đã đo đạc lại."]
    assert [(lk.kind, lk.target_id) for lk in view.links] == [("case", case.id)]
    # Supervisors get the finish with a commend button; the owner who finished is not told.
    assert sorted(m.user_id for m in done_msgs) == [world.sup1, world.sup2]
    assert all(m.buttons == [[button(Action.COMMEND_TASK, task.id)]] for m in done_msgs)
