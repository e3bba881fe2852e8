"""Deadline sweep of the hard-task catalogue, on the queue's calendar and ladder.

Before the deadline the owner is reminded at 50 % and 80 %. At the deadline the owner and the
supervisors of the task's unit (the first rung of its escalation ladder that has supervisors)
are told; each later window of the queue's normal SLA (TROLY_SLA_HOURS_NORMAL working hours)
without the task being finished tells the next rung up, and at the top the admins, once.

Each task is handled in its own transaction under its row lock (PostgreSQL: FOR UPDATE SKIP
LOCKED; SQLite serialises writers), and the markers are re-checked under the lock, so two
sweepers never double-handle a task.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit.service import record
from core.cases.calendar import add_working_time, calendar_for
from core.cases.flows import admins, level_recipients, route_level, unit_name, user_name
from core.cases.ladder import next_level
from core.cases.scheduled import SweepReport
from core.config import Settings
from core.db import try_lock_row
from core.periodic import each_row, sweep_loop
from core.tasks import texts
from core.tasks.enums import TaskStatus
from core.tasks.models import HardTask
from core.tasks.service import at, load_task, notify


def _due_clause(now: datetime) -> ColumnElement[bool]:
    return and_(
        HardTask.status == TaskStatus.OPEN,
        or_(
            and_(HardTask.due_at <= now, HardTask.overdue_at.is_(None)),
            HardTask.next_escalation_at <= now,
            and_(HardTask.remind_80_at <= now, HardTask.reminded_80_at.is_(None)),
            and_(HardTask.remind_50_at <= now, HardTask.reminded_50_at.is_(None)),
        ),
    )


def _next_window(settings: Settings, now: datetime) -> datetime:
    return add_working_time(now, settings.sla_hours_normal, calendar_for(settings))


async def _tell_level(
    session: AsyncSession, task: HardTask, level: int, event: str, owner: str
) -> None:
    people = await level_recipients(session, level, topic=None, asker=task.owner_id)
    text = texts.overdue_to_level(task, await unit_name(session, level), owner)
    await notify(session, task, event, people, text)


async def _overdue(session: AsyncSession, task: HardTask, settings: Settings, now: datetime) -> str:
    """The deadline passed: tell the owner and the first rung; the next rung after one window."""
    task.overdue_at = now
    task.level_unit_id = await route_level(session, task.unit_id)
    task.next_escalation_at = _next_window(settings, now)
    task.version += 1
    await session.flush()
    await record(
        session, actor_id=None, action="task.overdue", entity="task", entity_id=task.id,
        data={"due_at": task.due_at, "level_unit_id": task.level_unit_id},
    )  # fmt: skip
    owner = await user_name(session, task.owner_id)
    await notify(session, task, "overdue", [task.owner_id], texts.overdue_to_owner(task))
    await _tell_level(session, task, task.level_unit_id, "overdue", owner)
    return "overdue"


async def _escalate(
    session: AsyncSession, task: HardTask, settings: Settings, now: datetime
) -> str:
    """Still overdue a window later: one rung up the ladder, or the admins at the top."""
    owner = await user_name(session, task.owner_id)
    above = await next_level(session, task.level_unit_id)
    task.version += 1
    if above is None:
        task.next_escalation_at = None
        await session.flush()
        await record(
            session, actor_id=None, action="task.overdue_top", entity="task", entity_id=task.id,
            data={"level_unit_id": task.level_unit_id},
        )  # fmt: skip
        await notify(session, task, "top", await admins(session), texts.overdue_top(task, owner))
        return "overdue"
    task.level_unit_id = above
    task.escalations += 1
    task.next_escalation_at = _next_window(settings, now)
    await session.flush()
    await record(
        session, actor_id=None, action="task.escalate", entity="task", entity_id=task.id,
        data={"to_level": above, "escalations": task.escalations},
    )  # fmt: skip
    await _tell_level(session, task, above, "escalated", owner)
    return "escalated"


async def _remind(session: AsyncSession, task: HardTask, percent: int, now: datetime) -> str:
    task.reminded_50_at = task.reminded_50_at or now
    if percent == 80:
        task.reminded_80_at = now
    task.version += 1
    await session.flush()
    await record(
        session, actor_id=None, action=f"task.remind{percent}", entity="task", entity_id=task.id,
        data={"due_at": task.due_at},
    )  # fmt: skip
    await notify(
        session,
        task,
        f"remind{percent}",
        [task.owner_id],
        texts.reminder(task, percent),
        texts.owner_buttons(task.id),
    )
    return f"remind{percent}"


async def handle_task(
    session: AsyncSession, task_id: int, settings: Settings, now: datetime
) -> str:
    """Act on one task under its row lock; returns what was done ("noop" when nothing)."""
    locked = await try_lock_row(session, HardTask, task_id)
    if locked is None:
        return "skipped"
    task = await load_task(session, locked.id)
    if task.status != TaskStatus.OPEN:
        return "noop"
    if task.due_at <= now and task.overdue_at is None:
        return await _overdue(session, task, settings, now)
    if task.next_escalation_at is not None and task.next_escalation_at <= now:
        return await _escalate(session, task, settings, now)
    if task.overdue_at is None and task.remind_80_at <= now and task.reminded_80_at is None:
        return await _remind(session, task, 80, now)  # also covers a 50 % never sent
    if task.overdue_at is None and task.remind_50_at <= now and task.reminded_50_at is None:
        return await _remind(session, task, 50, now)
    return "noop"


async def sweep_tasks(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime | None = None,
    *,
    limit: int = 200,
) -> SweepReport:
    """One pass over open tasks whose next mark has passed; each in its own transaction."""
    now = at(now)
    due = select(HardTask.id).where(_due_clause(now)).order_by(HardTask.due_at).limit(limit)
    outcomes = await each_row(
        sessionmaker, due, lambda s, i: handle_task(s, i, settings, now), "task sweep: task"
    )
    return SweepReport.of(outcomes)


run_task_sweep_loop = sweep_loop(sweep_tasks, "task sweep")
