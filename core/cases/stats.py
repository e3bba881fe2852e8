"""Queue statistics for the API and console: by status, unit, topic; SLA compliance; time to answer.

Everything is restricted to the cases the caller may see (admins: all; supervisors: their units).
A case is answered *on time* when it was answered before its first deadline, never escalated.
"""

from __future__ import annotations

from dataclasses import field
from datetime import datetime
from statistics import median

from pydantic import computed_field
from pydantic.dataclasses import dataclass
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.cases.access import supervised_ids, visible_clause
from core.cases.calendar import WorkCalendar, calendar_for, working_time_between
from core.cases.enums import OPEN_STATUSES
from core.cases.models import Case
from core.config import Settings
from core.db import utcnow
from core.users.models import Unit, User

NO_TOPIC = "(chưa phân loại)"
SLA_RATE = "Tỉ lệ trả lời đúng hạn (0-1)"


# Pydantic dataclasses: the API returns these as they are (their schema is the wire format).
@dataclass
class UnitStats:
    """Per-unit line of the SLA table (the unit where the question arose)."""

    unit_id: int
    unit_name: str
    total: int = 0
    open: int = 0
    answered: int = 0
    on_time: int = 0
    overdue_open: int = 0

    @computed_field(description=SLA_RATE)  # type: ignore[prop-decorator]
    @property
    def sla_rate(self) -> float | None:
        """Share of answered cases answered on time; None before any answer."""
        return self.on_time / self.answered if self.answered else None


@dataclass
class CaseStats:
    """All queue figures for one period and scope."""

    total: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_topic: dict[str, int] = field(default_factory=dict)
    by_unit: list[UnitStats] = field(default_factory=list)
    answered: int = 0
    on_time: int = 0
    overdue_open: int = 0
    median_hours_to_answer: float | None = None  # wall-clock hours
    median_working_hours_to_answer: float | None = None
    feedback: dict[str, int] = field(default_factory=dict)

    @computed_field(description=SLA_RATE)  # type: ignore[prop-decorator]
    @property
    def sla_rate(self) -> float | None:
        """Share of answered cases answered on time."""
        return self.on_time / self.answered if self.answered else None


async def case_stats(
    session: AsyncSession,
    *,
    actor: User,
    settings: Settings | None = None,
    unit_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    now: datetime | None = None,
) -> CaseStats:
    """Figures over cases created in [since, until) that the actor may see."""
    now = now or utcnow()
    cal = calendar_for(settings) if settings else WorkCalendar()
    where: list[ColumnElement[bool]] = [visible_clause(actor, await supervised_ids(session, actor))]
    if unit_id is not None:
        where.append(Case.unit_id == unit_id)
    if since is not None:
        where.append(Case.created_at >= since)
    if until is not None:
        where.append(Case.created_at < until)
    rows = (
        await session.execute(
            select(
                Case.unit_id,
                Unit.name,
                Case.status,
                Case.topic,
                Case.created_at,
                Case.answered_at,
                Case.due_at,
                Case.escalations,
                Case.feedback,
            )
            .join(Unit, Unit.id == Case.unit_id)
            .where(*where)
        )
    ).tuples()
    stats = CaseStats()
    units: dict[int, UnitStats] = {}
    wall: list[float] = []
    working: list[float] = []
    open_values = {s.value for s in OPEN_STATUSES}
    for unit, name, status, topic, created, answered, due, escalations, feedback in rows:
        line = units.setdefault(unit, UnitStats(unit, name))
        stats.total += 1
        line.total += 1
        stats.by_status[status] = stats.by_status.get(status, 0) + 1
        key = topic or NO_TOPIC
        stats.by_topic[key] = stats.by_topic.get(key, 0) + 1
        if feedback:
            stats.feedback[feedback] = stats.feedback.get(feedback, 0) + 1
        if status in open_values:
            line.open += 1
            if due <= now:
                line.overdue_open += 1
                stats.overdue_open += 1
        if answered is not None:
            line.answered += 1
            stats.answered += 1
            if escalations == 0 and answered <= due:
                line.on_time += 1
                stats.on_time += 1
            wall.append((answered - created).total_seconds() / 3600)
            working.append(working_time_between(created, answered, cal))
    stats.by_unit = sorted(units.values(), key=lambda u: (-u.total, u.unit_name))
    if wall:
        stats.median_hours_to_answer = round(median(wall), 2)
        stats.median_working_hours_to_answer = round(median(working), 2)
    return stats


async def count_open(session: AsyncSession, *, actor: User) -> int:
    """Open cases the actor may see (badge counts)."""
    where = [visible_clause(actor, await supervised_ids(session, actor))]
    open_values = [s.value for s in OPEN_STATUSES]
    query = select(func.count()).select_from(Case).where(*where, Case.status.in_(open_values))
    return await session.scalar(query) or 0
