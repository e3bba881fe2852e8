"""Drill delivery sweep: each due cadre gets the oldest published drill meant for their
position and unit that they have not had yet, then their next one is planned `interval_days`
later, moved into office hours of a working day (the queue's calendar: weekends, holidays and
Tết are skipped). Nothing is sent outside office hours.

Each cadre is handled in its own transaction under their schedule row's lock (PostgreSQL:
FOR UPDATE SKIP LOCKED; SQLite serialises writers), due-ness is re-checked under the lock, and
a drill reaches a cadre once (unique delivery), so several sweepers never double-send.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit.service import record
from core.cases.calendar import WorkCalendar, add_working_time, calendar_for
from core.config import Settings
from core.db import try_lock_row
from core.drills import texts
from core.drills.enums import DrillStatus
from core.drills.models import DEFAULT_INTERVAL_DAYS, Drill, DrillDelivery, DrillSchedule
from core.drills.service import next_slot, targets
from core.outbox.service import enqueue
from core.periodic import each_row, sweep_loop
from core.tasks.service import at
from core.users.enums import Role
from core.users.models import Unit, User

# With nothing new to send, look again after this many office hours (a drill published
# meanwhile reaches the cadre the same or the next working day).
IDLE_HOURS = 4.0


@dataclass
class DrillSweepReport:
    delivered: list[int] = field(default_factory=list)  # user ids
    idle: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    errors: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, outcomes: list[tuple[int, str]]) -> DrillSweepReport:
        """From core.periodic.each_row's outcomes ("noop" is left out)."""
        report = cls()
        lists = {"delivered": report.delivered, "idle": report.idle,
                 "skipped": report.skipped, "error": report.errors}  # fmt: skip
        for user_id, outcome in outcomes:
            if outcome in lists:
                lists[outcome].append(user_id)
        return report


def in_office_hours(now: datetime, calendar: WorkCalendar) -> bool:
    return add_working_time(now, 0, calendar) == now


async def next_drill(session: AsyncSession, user: User) -> Drill | None:
    """The oldest published drill for the user's position, scoped to their unit or the unit
    above it (or every unit), not yet sent to them."""
    unit = await session.get(Unit, user.unit_id)
    scope = [user.unit_id] + ([unit.parent_id] if unit and unit.parent_id else [])
    had = select(DrillDelivery.drill_id).where(DrillDelivery.user_id == user.id)
    rows = await session.scalars(
        select(Drill)
        .where(
            Drill.status == DrillStatus.PUBLISHED,
            or_(Drill.unit_id.is_(None), Drill.unit_id.in_(scope)),
            Drill.id.not_in(had),
        )
        .order_by(Drill.published_at, Drill.id)
    )
    return next((d for d in rows.unique() if targets(d, user.position)), None)


async def _locked_schedule(
    session: AsyncSession, user_id: int, now: datetime
) -> DrillSchedule | None:
    item = await try_lock_row(session, DrillSchedule, user_id)
    if item is not None:
        return item
    if await session.get(DrillSchedule, user_id) is not None:
        return None  # exists but locked by another sweeper
    item = DrillSchedule(user_id=user_id, interval_days=DEFAULT_INTERVAL_DAYS, paused=False,
                         next_at=now, updated_at=now)  # fmt: skip
    session.add(item)
    await session.flush()  # a concurrent insert fails here: the other sweeper has the cadre
    return item


async def handle_cadre(
    session: AsyncSession, user_id: int, calendar: WorkCalendar, now: datetime
) -> str:
    """Send one due cadre their next drill; returns "delivered", "idle", "skipped" or "noop"."""
    item = await _locked_schedule(session, user_id, now)
    if item is None:
        return "skipped"
    user = await session.get(User, user_id)
    if user is None or not user.active or item.paused or item.next_at > now:
        return "noop"
    drill = await next_drill(session, user)
    if drill is None:
        item.next_at = add_working_time(now, IDLE_HOURS, calendar)
        await session.flush()
        return "idle"
    delivery = DrillDelivery(drill_id=drill.id, user_id=user.id, unit_id=user.unit_id,
                             position=user.position or "", scheduled_at=item.next_at,
                             sent_at=now)  # fmt: skip
    session.add(delivery)
    item.last_sent_at = now
    item.next_at = next_slot(now, item.interval_days, calendar)
    item.updated_at = now
    await session.flush()
    data = {"user_id": user.id, "delivery_id": delivery.id}
    await record(session, actor_id=None, action="drill.deliver", entity="drill",
                 entity_id=drill.id, data=data)  # fmt: skip
    await enqueue(
        session,
        user_id=user.id,
        text=texts.delivered(drill),
        idempotency_key=f"drill:{drill.id}:sent:u{user.id}",
        buttons=texts.answer_buttons(drill, delivery.id),
    )
    return "delivered"


async def sweep_drills(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime | None = None,
    *,
    limit: int = 200,
) -> DrillSweepReport:
    """One pass over due cadres (never outside office hours); each in its own transaction."""
    now = at(now)
    calendar = calendar_for(settings)
    if not in_office_hours(now, calendar):
        return DrillSweepReport()
    async with sessionmaker() as session:
        has_drills = await session.scalar(
            select(Drill.id).where(Drill.status == DrillStatus.PUBLISHED).limit(1)
        )
    if has_drills is None:
        return DrillSweepReport()
    schedule_due = or_(
        DrillSchedule.user_id.is_(None),
        (DrillSchedule.paused.is_(False)) & (DrillSchedule.next_at <= now),
    )
    due = (
        select(User.id)
        .outerjoin(DrillSchedule, DrillSchedule.user_id == User.id)
        .where(User.role == Role.CADRE, User.active.is_(True), schedule_due)
        .order_by(DrillSchedule.next_at.is_not(None), DrillSchedule.next_at, User.id)
        .limit(limit)
    )
    outcomes = await each_row(
        sessionmaker, due, lambda s, i: handle_cadre(s, i, calendar, now), "drill sweep: user",
        taken=(IntegrityError,),  # another sweeper created this cadre's schedule first
    )  # fmt: skip
    return DrillSweepReport.of(outcomes)


run_drill_sweep_loop = sweep_loop(sweep_drills, "drill sweep")
