"""Moving a case: forwarded by a person (up the ladder or to someone), escalated on timeout."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import record
from core.cases import texts
from core.cases.access import acting_on
from core.cases.actions import action_buttons, level_actions
from core.cases.enums import OPEN_STATUSES, CaseStatus
from core.cases.flows import (
    admins,
    level_recipients,
    route_level,
    tell,
    tell_files,
    unit_name,
)
from core.cases.models import Case
from core.cases.schemas import CaseForward
from core.cases.store import guarded_update, load_case, window_values
from core.config import Settings
from core.db import utcnow
from core.errors import conflict, forbidden, invalid, not_found
from core.users.authz import is_admin
from core.users.enums import Role
from core.users.models import Unit, User


async def next_level(session: AsyncSession, level_unit_id: int) -> int | None:
    """The next rung above a level that has supervisors; None at the top of the ladder."""
    above = await session.scalar(select(Unit.escalates_to_id).where(Unit.id == level_unit_id))
    if above is None:
        return None
    return await route_level(session, above)


async def _move(
    session: AsyncSession,
    case: Case,
    *,
    level: int,
    to_user: int | None,
    now: datetime,
    settings: Settings,
    escalate: bool,
) -> Case:
    """Guarded move: only applies if nobody changed the case since it was read."""
    values: dict[str, object] = {
        "status": CaseStatus.FORWARDED,
        "assignee_id": None,
        "forwarded_to_id": to_user,
        "level_unit_id": level,
        "escalations": Case.escalations + (1 if escalate else 0),
        **window_values(settings, case.urgency, now),
    }
    guards = [Case.version == case.version, Case.status.in_([s.value for s in OPEN_STATUSES])]
    if not await guarded_update(session, case.id, guards, values, now=now):
        raise conflict(f"Xin ý kiến {case.number} vừa được người khác cập nhật, hãy tải lại.")
    return await load_case(session, case.id)


async def forward(
    session: AsyncSession,
    *,
    actor: User,
    case_id: int,
    data: CaseForward,
    settings: Settings,
    now: datetime | None = None,
) -> Case:
    """Forward up the ladder, or to one named supervisor; a new deadline starts for them."""
    now = now or utcnow()
    case = await acting_on(session, actor, case_id)
    if case.status not in OPEN_STATUSES:
        raise conflict(f"Xin ý kiến {case.number} không còn mở, không thể chuyển.")
    holder = case.assignee if case.status == CaseStatus.CLAIMED else None
    if holder is not None and holder.id != actor.id and not is_admin(actor):
        raise forbidden(f"Xin ý kiến {case.number} đang do {holder.full_name} xử lý.")
    previous = case.assignee_id
    target: User | None = None
    if data.to_user_id is not None:
        target = await session.get(User, data.to_user_id)
        if target is None or not target.active:
            raise not_found("người nhận")
        if target.role not in (Role.SUPERVISOR, Role.ADMIN) or target.id == actor.id:
            raise invalid("Chỉ chuyển được cho một người phụ trách khác.")
        level = case.level_unit_id
    else:
        above = await next_level(session, case.level_unit_id)
        if above is None:
            raise invalid("Đơn vị này đã ở cấp cao nhất, không còn cấp trên để chuyển.")
        level = above
    case = await _move(
        session,
        case,
        level=level,
        to_user=target.id if target else None,
        now=now,
        settings=settings,
        escalate=False,
    )
    await record(
        session,
        actor_id=actor.id,
        action="case.forward",
        entity="case",
        entity_id=case.id,
        data={"to_level": level, "to_user_id": data.to_user_id, "note": data.note},
    )
    level_name = target.full_name if target else await unit_name(session, level)
    handlers = (
        [target]
        if target
        else await level_recipients(session, level, topic=case.topic, asker=case.asker_id)
    )
    text = texts.forwarded_to_handler(case, actor.full_name, data.note)
    await tell(
        session, case, "forwarded", handlers, text, action_buttons(case.id, level_actions(case))
    )
    await tell_files(session, case, "forwarded", handlers)
    await tell(session, case, "moved", [case.asker_id], texts.forwarded_to_asker(case, level_name))
    await tell(
        session,
        case,
        "handed_over",
        [previous],
        texts.handed_over(case, level_name),
        skip=[actor.id],
    )
    return case


async def escalate_overdue(
    session: AsyncSession, *, case: Case, settings: Settings, now: datetime
) -> str:
    """Deadline reached: move one rung up and tell everyone; at the top, raise the alarm once.

    Returns "escalated", "overdue" or "noop". The caller holds the row lock.
    """
    previous = case.assignee_id
    from_name = await unit_name(session, case.level_unit_id)
    above = await next_level(session, case.level_unit_id)
    if above is None:
        if case.overdue_notified_at is not None:
            return "noop"
        await guarded_update(
            session,
            case.id,
            [Case.version == case.version],
            {"overdue_notified_at": now},
            now=now,
        )
        case = await load_case(session, case.id)
        await record(
            session,
            actor_id=None,
            action="case.overdue",
            entity="case",
            entity_id=case.id,
            data={"level_unit_id": case.level_unit_id},
        )
        # The alarm at the top of the ladder goes to every supervisor of the level, whatever
        # the topic, and to the admins.
        top = await level_recipients(session, case.level_unit_id, topic=None)
        await tell(session, case, "overdue", [case.asker_id], texts.overdue_to_asker(case))
        await tell(
            session,
            case,
            "overdue",
            [previous, *top, *await admins(session)],
            texts.overdue_top(case),
            skip=[case.asker_id],
        )
        return "overdue"
    case = await _move(
        session, case, level=above, to_user=None, now=now, settings=settings, escalate=True
    )
    await record(
        session,
        actor_id=None,
        action="case.escalate",
        entity="case",
        entity_id=case.id,
        data={"to_level": above, "previous_assignee_id": previous, "escalations": case.escalations},
    )
    level_name = await unit_name(session, above)
    arriving = await level_recipients(session, above, topic=case.topic, asker=case.asker_id)
    await tell(
        session,
        case,
        "escalated",
        arriving,
        texts.escalated_to_level(case, from_name),
        action_buttons(case.id, level_actions(case)),
    )
    await tell_files(session, case, "escalated", arriving)
    await tell(
        session, case, "overdue", [case.asker_id], texts.escalated_to_asker(case, level_name)
    )
    await tell(session, case, "handed_over", [previous], texts.handed_over(case, level_name))
    return "escalated"
