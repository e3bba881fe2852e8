"""Low-level case persistence: loading with eager relations, and guarded (conditional) updates.

Every transition is one `UPDATE cases ... WHERE id = :id AND <guard>` whose row count says
whether this caller won: the database, not Python, decides between concurrent actors.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.cases.calendar import calendar_for, deadline_marks
from core.cases.enums import Urgency
from core.cases.models import Case
from core.config import Settings
from core.db import load_row, utcnow


async def load_case(session: AsyncSession, case_id: int, *, lock: bool = False) -> Case:
    """The case with its people and units, re-read from the database; NOT_FOUND if absent."""
    return await load_row(session, Case, case_id, "xin ý kiến", lock=lock)


async def guarded_update(
    session: AsyncSession,
    case_id: int,
    guards: list[ColumnElement[bool]],
    values: dict[str, Any],
    *,
    now: datetime | None = None,
) -> bool:
    """Apply `values` if the row still satisfies `guards`; bumps the version. True if applied."""
    values = {**values, "version": Case.version + 1, "updated_at": now or utcnow()}
    result = await session.execute(
        update(Case)
        .where(Case.id == case_id, *guards)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1


async def lock_group(session: AsyncSession, case: Case) -> None:
    """Row-lock the case and its duplicate group in id order (PostgreSQL; SQLite already
    serialises writers). Taken before any audit entry, so answer and claim transactions always
    lock rows first and the audit chain last, in one order: no deadlock between them."""
    if case.duplicate_group_id is None:
        return
    await session.execute(
        select(Case.id)
        .where(or_(Case.id == case.id, Case.duplicate_group_id == case.duplicate_group_id))
        .order_by(Case.id)
        .with_for_update()
    )


def sla_hours(settings: Settings, urgency: str) -> float:
    """Working hours allowed at one level for this urgency."""
    return settings.sla_hours_urgent if urgency == Urgency.URGENT else settings.sla_hours_normal


def window_values(settings: Settings, urgency: str, now: datetime) -> dict[str, Any]:
    """Column values that start a fresh deadline window at `now`."""
    half, most, due = deadline_marks(now, sla_hours(settings, urgency), calendar_for(settings))
    return {
        "window_started_at": now,
        "remind_50_at": half,
        "remind_80_at": most,
        "due_at": due,
        "reminded_50_at": None,
        "reminded_80_at": None,
        "overdue_notified_at": None,
    }
