"""Deadline sweeps: reminders at 50 % and 80 % of the SLA, escalation one rung up at 100 %.

Safe with several bot/API processes sweeping at once: each case is handled in its own
transaction that first locks the row (PostgreSQL: FOR UPDATE SKIP LOCKED, so two sweepers never
wait on or double-handle a case; SQLite: BEGIN IMMEDIATE serialises writers), then re-checks
the markers under the lock. Markers and notification idempotency keys make a repeat a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit.service import record
from core.cases import texts
from core.cases.actions import action_buttons, holder_actions, level_actions
from core.cases.enums import OPEN_STATUSES, CaseStatus
from core.cases.flows import level_recipients, tell
from core.cases.ladder import escalate_overdue
from core.cases.models import Case
from core.cases.store import guarded_update, load_case
from core.config import Settings
from core.db import try_lock_row, utcnow
from core.periodic import each_row, sweep_loop


@dataclass
class SweepReport:
    """What one deadline sweep did, by row id (cases here, hard tasks in core.tasks)."""

    reminded: list[tuple[int, int]] = field(default_factory=list)  # (id, percent)
    escalated: list[int] = field(default_factory=list)
    overdue: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # locked by another process
    errors: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, outcomes: list[tuple[int, str]]) -> SweepReport:
        """From core.periodic.each_row's outcomes: "remind50", "remind80", "escalated",
        "overdue", "skipped", "error" ("noop" is left out)."""
        report = cls()
        for row_id, outcome in outcomes:
            if outcome.startswith("remind"):
                report.reminded.append((row_id, int(outcome[6:])))
            elif outcome == "escalated":
                report.escalated.append(row_id)
            elif outcome == "overdue":
                report.overdue.append(row_id)
            elif outcome == "skipped":
                report.skipped.append(row_id)
            elif outcome == "error":
                report.errors.append(row_id)
        return report


def _due_clause(now: datetime) -> ColumnElement[bool]:
    return and_(
        Case.status.in_([s.value for s in OPEN_STATUSES]),
        or_(
            and_(Case.due_at <= now, Case.overdue_notified_at.is_(None)),
            and_(Case.remind_80_at <= now, Case.reminded_80_at.is_(None)),
            and_(Case.remind_50_at <= now, Case.reminded_50_at.is_(None)),
        ),
    )


async def _remind(session: AsyncSession, case: Case, percent: int, now: datetime) -> None:
    """Tell the assignee (or the level's supervisors while unclaimed) and set the marker(s)."""
    values: dict[str, object] = {"reminded_50_at": case.reminded_50_at or now}
    if percent == 80:
        values["reminded_80_at"] = now
    await guarded_update(session, case.id, [Case.version == case.version], values, now=now)
    case = await load_case(session, case.id)
    await record(
        session,
        actor_id=None,
        action=f"case.remind{percent}",
        entity="case",
        entity_id=case.id,
        data={"due_at": case.due_at},
    )
    if case.status == CaseStatus.CLAIMED and case.assignee_id is not None:
        people: list[int | None] = [case.assignee_id]
        buttons = action_buttons(case.id, holder_actions(case))
    else:
        people = [case.forwarded_to_id] if case.forwarded_to_id else []
        people += await level_recipients(
            session, case.level_unit_id, topic=case.topic, asker=case.asker_id
        )
        buttons = action_buttons(case.id, level_actions(case))
    await tell(session, case, f"remind{percent}", people, texts.reminder(case, percent), buttons)


async def handle_case(
    session: AsyncSession, case_id: int, settings: Settings, now: datetime
) -> str:
    """Act on one case under its row lock: "escalated", "overdue", "remind80", "remind50",
    "skipped" (locked elsewhere) or "noop" (another sweeper already did it)."""
    case = await try_lock_row(session, Case, case_id)
    if case is None:
        return "skipped"
    if case.status not in OPEN_STATUSES:
        return "noop"
    if case.due_at <= now and case.overdue_notified_at is None:
        return await escalate_overdue(session, case=case, settings=settings, now=now)
    if case.remind_80_at <= now and case.reminded_80_at is None:
        # Reaching 80 % also covers a 50 % reminder the sweeper never got to send.
        await _remind(session, case, 80, now)
        return "remind80"
    if case.remind_50_at <= now and case.reminded_50_at is None:
        await _remind(session, case, 50, now)
        return "remind50"
    return "noop"


async def sweep(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime | None = None,
    *,
    limit: int = 200,
) -> SweepReport:
    """One pass over open cases whose next mark has passed; each case in its own transaction."""
    now = now or utcnow()
    due = select(Case.id).where(_due_clause(now)).order_by(Case.due_at).limit(limit)
    outcomes = await each_row(
        sessionmaker, due, lambda s, i: handle_case(s, i, settings, now), "deadline sweep: case"
    )
    return SweepReport.of(outcomes)


run_sweep_loop = sweep_loop(sweep, "deadline sweep")
