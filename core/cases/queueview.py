"""The supervisor's queue as a page: filters, search, paging, and each case's deadline state
counted in working time (the one home of the SLA colours and the "time left" wording).

Fronts (web console, API) read through `queue_page`; `sla_of` is the state shown next to a case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from math import ceil
from typing import Literal

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.cases.access import actionable_clause, supervised_ids
from core.cases.calendar import DEFAULT_CALENDAR, WorkCalendar, working_time_between
from core.cases.enums import CLAIMABLE_STATUSES, OPEN_STATUSES, Urgency
from core.cases.models import Case
from core.inputs import LIKE_ESCAPE, contains_pattern
from core.text import fold
from core.users.models import Unit, User

QueueView = Literal["all", "mine", "unclaimed", "overdue"]

QUEUE_VIEWS: dict[str, str] = {
    "all": "Tất cả",
    "mine": "Tôi đang xử lý",
    "unclaimed": "Chưa ai nhận",
    "overdue": "Quá hạn",
}
PER_PAGE = 20
MAX_SEARCH_CHARS = 200

SLA_LABELS = {
    "ok": "trong hạn",
    "warn": "đã qua 50% thời hạn",
    "danger": "đã qua 80% thời hạn",
    "overdue": "quá hạn",
    "done": "đã xong",
}


def working_left(hours: float, day_hours: float) -> str:
    """Working time left (or overdue by), e.g. "còn 1 ngày 2 giờ 15 phút làm việc".

    A day here is one ordinary working day of the calendar (8 office hours by default)."""
    minutes = round(abs(hours) * 60)
    days, rest = divmod(minutes, max(1, round(day_hours * 60)))
    whole, mins = divmod(rest, 60)
    parts = [f"{days} ngày"] if days else []
    if whole:
        parts.append(f"{whole} giờ")
    if mins or not parts:
        parts.append(f"{mins} phút")
    span = " ".join(parts) + " làm việc"
    return f"quá hạn {span}" if hours < 0 else f"còn {span}"


@dataclass(frozen=True)
class SlaView:
    """How a case stands against its current deadline window (the 50/80/100% marks), with the
    working time left before the deadline (negative once overdue)."""

    state: str
    label: str
    due_at: datetime
    hours_left: float
    left: str


def sla_of(case: Case, now: datetime, calendar: WorkCalendar = DEFAULT_CALENDAR) -> SlaView:
    """SLA state from the marks the queue service stored on the case."""
    return deadline_view(
        open_=case.status in {s.value for s in OPEN_STATUSES}, now=now, due_at=case.due_at,
        remind_50_at=case.remind_50_at, remind_80_at=case.remind_80_at, calendar=calendar,
    )  # fmt: skip


def deadline_view(
    *,
    open_: bool,
    now: datetime,
    due_at: datetime,
    remind_50_at: datetime,
    remind_80_at: datetime,
    calendar: WorkCalendar,
) -> SlaView:
    """Where anything with a working-time deadline and 50/80 % marks stands (cases, hard
    tasks): one home for the colours and the "còn … làm việc" wording."""
    if not open_:
        state = "done"
    elif now >= due_at:
        state = "overdue"
    elif now >= remind_80_at:
        state = "danger"
    elif now >= remind_50_at:
        state = "warn"
    else:
        state = "ok"
    if state == "done":
        return SlaView(state, SLA_LABELS[state], due_at, 0.0, SLA_LABELS[state])
    hours = working_time_between(now, due_at, calendar)
    overdue_off_hours = state == "overdue" and hours >= 0  # both instants outside office time
    left = SLA_LABELS["overdue"] if overdue_off_hours else working_left(hours, calendar.day_hours())
    return SlaView(state, SLA_LABELS[state], due_at, hours, left)


@dataclass(frozen=True)
class QueueQuery:
    """What the supervisor asked the queue for; every filter narrows what they may act on."""

    view: QueueView = "all"
    q: str = ""
    unit_id: int | None = None  # the asker's unit
    topic: str | None = None
    urgency: Urgency | None = None
    page: int = 1


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue, its total, and the choices the filters offer."""

    cases: list[Case]
    total: int
    page: int
    pages: int
    units: list[tuple[int, str]] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)


def _conditions(
    actor: User, units: set[int], query: QueueQuery, now: datetime
) -> list[ColumnElement[bool]]:
    conds = [actionable_clause(actor, units), Case.status.in_(OPEN_STATUSES)]
    if query.view == "mine":
        conds.append(Case.assignee_id == actor.id)
    elif query.view == "unclaimed":
        conds.append(Case.status.in_(CLAIMABLE_STATUSES))
    elif query.view == "overdue":
        conds.append(Case.due_at <= now)
    if query.unit_id is not None:
        conds.append(Case.unit_id == query.unit_id)
    if query.topic:
        conds.append(Case.topic == query.topic)
    if query.urgency is not None:
        conds.append(Case.urgency == query.urgency)
    words = " ".join(query.q.split())[:MAX_SEARCH_CHARS]
    if words:
        # Questions and names are matched on their stored folded twins, so "thu tuc" finds
        # "thủ tục" (and "Thủ Tục" finds "thủ tục") on every database.
        folded = contains_pattern(fold(words))
        askers = select(User.id).where(User.name_folded.like(folded, escape=LIKE_ESCAPE))
        conds.append(
            or_(
                Case.number.ilike(contains_pattern(words), escape=LIKE_ESCAPE),
                Case.question_folded.like(folded, escape=LIKE_ESCAPE),
                Case.asker_id.in_(askers),
            )
        )
    return conds


async def queue_page(
    session: AsyncSession,
    *,
    actor: User,
    query: QueueQuery,
    now: datetime,
    per_page: int = PER_PAGE,
) -> QueuePage:
    """Open cases the actor may act on that match `query`, nearest deadline first."""
    units = await supervised_ids(session, actor)
    where = _conditions(actor, units, query, now)
    total = await session.scalar(select(func.count()).select_from(Case).where(*where)) or 0
    pages = max(1, ceil(total / per_page))
    page = min(max(1, query.page), pages)
    rows = await session.scalars(
        select(Case)
        .where(*where)
        .order_by(Case.due_at.asc(), Case.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    # Filter choices come from everything the actor may act on, not just this page.
    scope = [actionable_clause(actor, units), Case.status.in_(OPEN_STATUSES)]
    unit_rows = await session.execute(
        select(Unit.id, Unit.name)
        .where(Unit.id.in_(select(Case.unit_id).where(*scope).distinct()))
        .order_by(Unit.name)
    )
    topics = await session.scalars(
        select(Case.topic).where(*scope, Case.topic.is_not(None)).distinct().order_by(Case.topic)
    )
    return QueuePage(
        cases=list(rows.unique()),
        total=total,
        page=page,
        pages=pages,
        units=[(uid, name) for uid, name in unit_rows.tuples()],
        topics=[t for t in topics if t],
    )
