"""Evaluator assignment with conflict-of-interest rules, deadlines and reminders.

An evaluator may not judge an initiative when they are one of its authors, belong to an
author's unit, or supervise an author's unit. The rules are enforced here, for automatic
suggestions and manual assignment alike.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit.service import record
from core.cases.calendar import WorkCalendar, add_working_time, working_time_between
from core.config import Settings
from core.db import get_row, unit_of_work, utcnow
from core.errors import conflict, invalid, not_found
from core.initiatives import notify
from core.initiatives.enums import AuthorStatus, EvaluationStatus, InitiativeStatus
from core.initiatives.models import Evaluation, Initiative
from core.initiatives.rubric import current_rubric
from core.initiatives.service import (
    ADMIN_ONLY,
    load_person,
    lock_initiative,
    transition,
)
from core.initiatives.views import author_ids
from core.periodic import sweep_loop
from core.users.authz import require_active, require_admin
from core.users.enums import Role
from core.users.models import User, supervisor_units

log = logging.getLogger(__name__)
S = InitiativeStatus
# Statuses in which evaluators may be added (a third one after a disagreement included).
ASSIGNABLE = frozenset({S.SUBMITTED, S.SCREENING, S.UNDER_EVALUATION, S.EVALUATED})


async def _author_context(
    session: AsyncSession, initiative: Initiative
) -> tuple[set[int], set[int]]:
    """Units of the initiative's authors, and the ids of everyone supervising those units."""
    units = {initiative.unit_id} | {
        a.user.unit_id for a in initiative.authors if a.status == AuthorStatus.ACTIVE
    }
    supervisors = await session.scalars(
        select(supervisor_units.c.user_id).where(supervisor_units.c.unit_id.in_(units))
    )
    return units, set(supervisors)


def conflict_reason(
    evaluator: User, *, authors: set[int], units: set[int], supervisors: set[int]
) -> str | None:
    """Why this person may not evaluate (Vietnamese), or None when they may."""
    if not evaluator.active:
        return "người này không còn hoạt động"
    if evaluator.role != Role.EVALUATOR:
        return "người này không có vai trò người đánh giá"
    if evaluator.id in authors:
        return "người này là tác giả của sáng kiến"
    if evaluator.unit_id in units:
        return "người này cùng đơn vị với tác giả"
    if evaluator.id in supervisors:
        return "người này phụ trách đơn vị của tác giả"
    return None


async def _active_evaluations(session: AsyncSession, initiative_id: int) -> list[Evaluation]:
    rows = await session.scalars(
        select(Evaluation)
        .where(
            Evaluation.initiative_id == initiative_id,
            Evaluation.status != EvaluationStatus.WITHDRAWN,
        )
        .order_by(Evaluation.id)
    )
    return list(rows.unique())


async def suggest_evaluators(
    session: AsyncSession, *, actor: User, initiative_id: int, count: int
) -> list[User]:
    """Admin: up to `count` conflict-free evaluators, least loaded first."""
    require_admin(actor, ADMIN_ONLY)
    initiative = await get_row(session, Initiative, initiative_id, "sáng kiến")
    return await _suggest(session, initiative, count)


async def _suggest(session: AsyncSession, initiative: Initiative, count: int) -> list[User]:
    units, supervisors = await _author_context(session, initiative)
    authors = author_ids(initiative)
    taken = {e.evaluator_id for e in await _active_evaluations(session, initiative.id)}
    load = (
        select(Evaluation.evaluator_id, func.count().label("open"))
        .where(Evaluation.status == EvaluationStatus.ASSIGNED)
        .group_by(Evaluation.evaluator_id)
        .subquery()
    )
    rows = await session.execute(
        select(User, func.coalesce(load.c.open, 0))
        .outerjoin(load, load.c.evaluator_id == User.id)
        .where(User.role == Role.EVALUATOR, User.active.is_(True))
        .order_by(func.coalesce(load.c.open, 0), User.id)
    )
    picked: list[User] = []
    for user, _open in rows.unique():
        if user.id in taken:
            continue
        reason = conflict_reason(user, authors=authors, units=units, supervisors=supervisors)
        if reason is None:
            picked.append(user)
        if len(picked) >= count:
            break
    return picked


async def assign_evaluators(
    session: AsyncSession,
    *,
    actor: User,
    initiative_id: int,
    settings: Settings,
    evaluator_ids: Sequence[int] | None = None,
    now: datetime | None = None,
) -> list[Evaluation]:
    """Admin: assign evaluators (given, or suggested automatically) and start the evaluation.

    Afterwards at least `settings.evaluators_per_initiative` independent evaluators are
    assigned. Adding one to an evaluated initiative (a third opinion) reopens its evaluation.
    """
    require_admin(actor, ADMIN_ONLY)
    initiative = await lock_initiative(session, initiative_id)
    if initiative.status not in ASSIGNABLE:
        raise conflict("Sáng kiến ở trạng thái này không thể phân công người chấm.")
    active = await _active_evaluations(session, initiative.id)
    required = settings.evaluators_per_initiative
    if evaluator_ids is None:
        need = max(required - len(active), 1 if initiative.status == S.EVALUATED else 0)
        if need == 0:
            raise conflict("Sáng kiến đã có đủ người chấm.")
        chosen = await _suggest(session, initiative, need)
        if len(chosen) < need:
            raise conflict("Không đủ người đánh giá độc lập (không xung đột lợi ích) để phân công.")
    else:
        if len(set(evaluator_ids)) != len(evaluator_ids) or not evaluator_ids:
            raise invalid("Danh sách người chấm trống hoặc bị trùng.")
        chosen = [await load_person(session, uid) for uid in evaluator_ids]
    if len(active) + len(chosen) < required:
        raise invalid(f"Mỗi sáng kiến cần ít nhất {required} người chấm độc lập.")

    units, supervisors = await _author_context(session, initiative)
    authors = author_ids(initiative)
    already = {e.evaluator_id for e in active}
    for user in chosen:
        if user.id in already:
            raise conflict(f"{user.full_name} đã được phân công chấm sáng kiến này.")
        reason = conflict_reason(user, authors=authors, units=units, supervisors=supervisors)
        if reason:
            raise invalid(
                f"Không thể phân công {user.full_name}: {reason} (xung đột lợi ích).",
                evaluator_id=user.id,
            )

    if initiative.rubric_version_id is None:
        initiative.rubric_version_id = (await current_rubric(session)).id
    now = now or utcnow()
    due = add_working_time(now, settings.evaluation_sla_hours, WorkCalendar.from_settings(settings))
    created: list[Evaluation] = []
    for user in chosen:
        evaluation = await session.scalar(
            select(Evaluation).where(
                Evaluation.initiative_id == initiative.id, Evaluation.evaluator_id == user.id
            )
        )
        if evaluation is None:  # a withdrawn row is reused: one row per (initiative, evaluator)
            # Relationships set up front so readers never lazy-load (not allowed under asyncio).
            evaluation = Evaluation(initiative=initiative, evaluator=user)
            session.add(evaluation)
        evaluation.status = EvaluationStatus.ASSIGNED
        evaluation.assigned_by_id = actor.id
        evaluation.rubric_version_id = initiative.rubric_version_id
        evaluation.scores, evaluation.comment = {}, ""
        evaluation.total = evaluation.gate_failed = evaluation.submitted_at = None
        evaluation.assigned_at, evaluation.due_at, evaluation.reminders_sent = now, due, 0
        created.append(evaluation)
    await session.flush()
    await record(
        session,
        actor_id=actor.id,
        action="initiative.assign",
        entity="initiative",
        entity_id=initiative.id,
        data={"evaluators": [u.id for u in chosen], "due_at": due.isoformat()},
    )
    for user in chosen:
        await notify.notify_assigned(session, initiative, evaluator=user, due_at=due)
    if initiative.status != S.UNDER_EVALUATION:
        await transition(session, initiative, to=S.UNDER_EVALUATION, actor_id=actor.id)
    return created


async def withdraw_evaluator(
    session: AsyncSession, *, actor: User, initiative_id: int, evaluator_id: int
) -> None:
    """Admin: take an evaluator off an initiative they have not scored yet."""
    require_admin(actor, ADMIN_ONLY)
    evaluation = await session.scalar(
        select(Evaluation).where(
            Evaluation.initiative_id == initiative_id,
            Evaluation.evaluator_id == evaluator_id,
            Evaluation.status == EvaluationStatus.ASSIGNED,
        )
    )
    if evaluation is None:
        raise not_found("phân công chấm chưa nộp điểm")
    evaluation.status = EvaluationStatus.WITHDRAWN
    await session.flush()
    await record(
        session,
        actor_id=actor.id,
        action="initiative.unassign",
        entity="initiative",
        entity_id=initiative_id,
        data={"evaluator": evaluator_id},
    )


async def my_assignments(
    session: AsyncSession, *, actor: User, pending_only: bool = False
) -> list[Evaluation]:
    """An evaluator's own assignments (never anyone else's), nearest deadline first."""
    require_active(actor)
    stmt = select(Evaluation).where(
        Evaluation.evaluator_id == actor.id, Evaluation.status != EvaluationStatus.WITHDRAWN
    )
    if pending_only:
        stmt = stmt.where(Evaluation.status == EvaluationStatus.ASSIGNED)
    rows = await session.scalars(stmt.order_by(Evaluation.due_at, Evaluation.id))
    return list(rows.unique())


def reminder_stage(evaluation: Evaluation, now: datetime, calendar: WorkCalendar) -> int:
    """0 before 50 % of the working time has passed, 1 after, 2 after 80 %, 3 when overdue."""
    if now >= evaluation.due_at:
        return 3
    total = working_time_between(evaluation.assigned_at, evaluation.due_at, calendar)
    if total <= 0:
        return 3
    share = working_time_between(evaluation.assigned_at, now, calendar) / total
    return 2 if share >= 0.8 else 1 if share >= 0.5 else 0


async def send_due_reminders(
    session: AsyncSession, *, settings: Settings, now: datetime | None = None
) -> int:
    """Scheduler job: remind evaluators at 50 %, 80 % and at the deadline; tell admins when late.

    Rows are locked (skipped if another worker holds them) and the stage is stored, so
    several processes running this never send a reminder twice.
    """
    now = now or utcnow()
    calendar = WorkCalendar.from_settings(settings)
    stmt = (
        select(Evaluation)
        .join(Initiative, Initiative.id == Evaluation.initiative_id)
        .where(
            Evaluation.status == EvaluationStatus.ASSIGNED,
            Evaluation.reminders_sent < 3,
            Initiative.status == S.UNDER_EVALUATION,
        )
        .order_by(Evaluation.id)
        .with_for_update(skip_locked=True, of=Evaluation)
    )
    sent = 0
    admins: list[User] | None = None
    for evaluation in (await session.scalars(stmt)).unique():
        stage = reminder_stage(evaluation, now, calendar)
        if stage <= evaluation.reminders_sent:
            continue
        initiative = evaluation.initiative
        await notify.notify_reminder(
            session,
            initiative,
            evaluator=evaluation.evaluator,
            due_at=evaluation.due_at,
            stage=stage,
        )
        if stage == 3:
            if admins is None:
                admins = list(
                    (
                        await session.scalars(
                            select(User).where(User.role == Role.ADMIN, User.active.is_(True))
                        )
                    ).unique()
                )
            for admin in admins:
                await notify.notify_overdue_admin(
                    session, initiative, evaluation=evaluation, admin=admin
                )
        evaluation.reminders_sent = stage
        sent += 1
    await session.flush()
    return sent


async def sweep_reminders(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime | None = None,
) -> int:
    """One reminder pass in its own transaction, for the worker loop; never raises."""
    try:
        async with unit_of_work(sessionmaker) as session:
            return await send_due_reminders(session, settings=settings, now=now)
    except Exception:
        log.exception("initiative reminder sweep failed")
        return 0


run_reminder_loop = sweep_loop(sweep_reminders, "initiative reminder sweep")
