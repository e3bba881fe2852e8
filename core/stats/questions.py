"""Question statistics: totals, per day, not-covered and low-confidence questions, feedback.

Scope follows the queue's rule: admins see every unit, supervisors the units they supervise
(by the asker's unit); other roles are refused.
"""

from __future__ import annotations

from dataclasses import field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from pydantic.dataclasses import dataclass
from sqlalchemy import ColumnElement, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.feedback.models import QuestionLog
from core.users.authz import is_admin, require_role
from core.users.enums import Role
from core.users.models import User, supervisor_units

VN = ZoneInfo("Asia/Ho_Chi_Minh")


# Pydantic dataclasses: the API returns these as they are (their schema is the wire format).
@dataclass(frozen=True)
class QuestionItem:
    """One logged question as listed in the statistics."""

    id: int
    query: str
    confidence: float
    novel: bool
    unit_id: int | None
    feedback: str | None
    feedback_reason: str | None
    escalated: bool
    created_at: datetime


@dataclass
class QuestionStats:
    """Totals and examples for one period and scope."""

    questions: int = 0
    not_covered: int = 0
    low_confidence: int = 0
    escalated: int = 0
    helpful: int = 0
    unhelpful: int = 0
    # Of the not-covered questions, those the asker sent on as a case.
    not_covered_escalated: int = 0
    per_day: dict[date, int] = field(default_factory=dict)
    not_covered_recent: list[QuestionItem] = field(default_factory=list)
    low_confidence_recent: list[QuestionItem] = field(default_factory=list)
    unhelpful_recent: list[QuestionItem] = field(default_factory=list)

    def coverage(self) -> tuple[int, int, int]:
        """Every question once: answered from the knowledge base, not covered and sent on as a
        case, not covered and left there (the tiles and the chart read the same numbers)."""
        covered = self.questions - self.not_covered
        return covered, self.not_covered_escalated, self.not_covered - self.not_covered_escalated


async def _scope(session: AsyncSession, actor: User) -> ColumnElement[bool] | None:
    """None means every unit; otherwise a condition on the asker's unit."""
    require_role(actor, Role.SUPERVISOR, Role.ADMIN)
    if is_admin(actor):
        return None
    units = list(
        await session.scalars(
            select(supervisor_units.c.unit_id).where(supervisor_units.c.user_id == actor.id)
        )
    )
    return QuestionLog.unit_id.in_(units) if units else false()


def _item(row: QuestionLog) -> QuestionItem:
    return QuestionItem(
        id=row.id,
        query=row.query,
        confidence=round(row.confidence, 4),
        novel=row.novel,
        unit_id=row.unit_id,
        feedback=row.feedback,
        feedback_reason=row.feedback_reason,
        escalated=row.case_id is not None,
        created_at=row.created_at,
    )


async def question_stats(
    session: AsyncSession,
    *,
    actor: User,
    unit_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    low_confidence_below: float = 0.7,
    examples: int = 20,
) -> QuestionStats:
    """Figures over questions asked in [since, until) within the actor's scope."""
    where: list[ColumnElement[bool]] = []
    scope = await _scope(session, actor)
    if scope is not None:
        where.append(scope)
    if unit_id is not None:
        where.append(QuestionLog.unit_id == unit_id)
    if since is not None:
        where.append(QuestionLog.created_at >= since)
    if until is not None:
        where.append(QuestionLog.created_at < until)
    low = QuestionLog.novel.is_(False) & (QuestionLog.confidence < low_confidence_below)
    totals = (
        await session.execute(
            select(
                func.count(QuestionLog.id),
                func.count(QuestionLog.id).filter(QuestionLog.novel.is_(True)),
                func.count(QuestionLog.id).filter(low),
                func.count(QuestionLog.case_id),
                func.count(QuestionLog.id).filter(QuestionLog.feedback == "helpful"),
                func.count(QuestionLog.id).filter(QuestionLog.feedback == "unhelpful"),
                func.count(QuestionLog.case_id).filter(QuestionLog.novel.is_(True)),
            ).where(*where)
        )
    ).one()
    questions, not_covered, low_confidence, escalated, helpful, unhelpful, novel_escalated = (
        int(v or 0) for v in totals
    )
    stats = QuestionStats(
        questions, not_covered, low_confidence, escalated, helpful, unhelpful, novel_escalated
    )
    # Days are counted in Vietnam time; grouping in Python keeps SQLite and PostgreSQL alike.
    for created in await session.scalars(select(QuestionLog.created_at).where(*where)):
        day = created.astimezone(VN).date()
        stats.per_day[day] = stats.per_day.get(day, 0) + 1
    stats.per_day = dict(sorted(stats.per_day.items()))
    newest = (QuestionLog.id.desc(),)
    for condition, target in (
        (QuestionLog.novel.is_(True), stats.not_covered_recent),
        (low, stats.low_confidence_recent),
        (QuestionLog.feedback == "unhelpful", stats.unhelpful_recent),
    ):
        rows = await session.scalars(
            select(QuestionLog).where(*where, condition).order_by(*newest).limit(examples)
        )
        target.extend(_item(r) for r in rows)
    return stats
