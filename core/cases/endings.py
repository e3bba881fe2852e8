"""Ending a case: the asker withdraws or rates the answer, someone closes it, an admin expires."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import record
from core.cases import texts
from core.cases.enums import OPEN_STATUSES, CaseStatus
from core.cases.flows import tell
from core.cases.models import Case
from core.cases.schemas import CaseFeedback
from core.cases.store import guarded_update, load_case
from core.db import utcnow
from core.errors import conflict, forbidden
from core.users.authz import is_admin, require_admin
from core.users.models import User


async def withdraw(
    session: AsyncSession, *, actor: User, case_id: int, now: datetime | None = None
) -> Case:
    """The asker no longer needs an answer; whoever holds it is told."""
    now = now or utcnow()
    case = await load_case(session, case_id)
    if case.asker_id != actor.id and not is_admin(actor):
        raise forbidden("Chỉ người hỏi được rút xin ý kiến.")
    if case.status == CaseStatus.WITHDRAWN:
        return case
    holder = case.assignee_id
    case = await _end(
        session,
        actor=actor,
        case=case,
        allowed=Case.status.in_([s.value for s in OPEN_STATUSES]),
        status=CaseStatus.WITHDRAWN,
        action="case.withdraw",
        refused=f"Xin ý kiến {case.number} đã được xử lý xong, không thể rút.",
        now=now,
    )
    await tell(session, case, "withdrawn", [holder], texts.withdrawn(case), skip=[actor.id])
    return case


async def give_feedback(
    session: AsyncSession,
    *,
    actor: User,
    case_id: int,
    data: CaseFeedback,
    now: datetime | None = None,
) -> Case:
    """The asker rates the answer; an answered case is closed by it."""
    now = now or utcnow()
    case = await load_case(session, case_id)
    if case.asker_id != actor.id:
        raise forbidden("Chỉ người hỏi được đánh giá câu trả lời.")
    if case.status not in (CaseStatus.ANSWERED, CaseStatus.CLOSED):
        raise conflict("Xin ý kiến này chưa có câu trả lời để đánh giá.")
    values: dict[str, object] = {
        "feedback": "helpful" if data.helpful else "unhelpful",
        "feedback_note": data.note,
    }
    if case.status == CaseStatus.ANSWERED:
        values.update(status=CaseStatus.CLOSED, closed_at=now)
    await guarded_update(session, case.id, [Case.version == case.version], values, now=now)
    case = await load_case(session, case.id)
    await record(
        session,
        actor_id=actor.id,
        action="case.feedback",
        entity="case",
        entity_id=case.id,
        data={"feedback": case.feedback, "note": data.note},
    )
    return case


async def close(
    session: AsyncSession, *, actor: User, case_id: int, now: datetime | None = None
) -> Case:
    """Close an answered case (the asker, the answerer or an admin)."""
    now = now or utcnow()
    case = await load_case(session, case_id)
    if not is_admin(actor) and actor.id not in (case.asker_id, case.answered_by_id):
        raise forbidden()
    if case.status == CaseStatus.CLOSED:
        return case
    return await _end(
        session,
        actor=actor,
        case=case,
        allowed=Case.status == CaseStatus.ANSWERED,
        status=CaseStatus.CLOSED,
        action="case.close",
        refused="Chỉ đóng được xin ý kiến đã có câu trả lời.",
        now=now,
    )


async def expire(
    session: AsyncSession, *, actor: User, case_id: int, now: datetime | None = None
) -> Case:
    """An admin closes an open case that no longer needs an answer; the asker is told."""
    require_admin(actor, texts.ADMIN_ONLY)
    now = now or utcnow()
    case = await load_case(session, case_id)
    case = await _end(
        session,
        actor=actor,
        case=case,
        allowed=Case.status.in_([s.value for s in OPEN_STATUSES]),
        status=CaseStatus.EXPIRED,
        action="case.expire",
        refused=f"Xin ý kiến {case.number} không còn mở.",
        now=now,
    )
    await tell(session, case, "expired", [case.asker_id, case.assignee_id], texts.expired(case))
    return case


async def _end(
    session: AsyncSession,
    *,
    actor: User,
    case: Case,
    allowed: ColumnElement[bool],
    status: CaseStatus,
    action: str,
    refused: str,
    now: datetime,
) -> Case:
    """Move the case to a final `status` if it is still in an `allowed` state, and audit it."""
    if not await guarded_update(
        session, case.id, [allowed], {"status": status, "closed_at": now}, now=now
    ):
        raise conflict(refused)
    case = await load_case(session, case.id)
    await record(
        session,
        actor_id=actor.id,
        action=action,
        entity="case",
        entity_id=case.id,
        data={"number": case.number},
    )
    return case
