"""Who may see and who may act on a case: cadres their own, supervisors their units, admins all."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from core.cases.models import Case
from core.cases.store import load_case
from core.errors import forbidden, not_found
from core.users.authz import has_role, is_admin
from core.users.enums import Role
from core.users.models import User, supervisor_units


async def supervised_ids(session: AsyncSession, user: User) -> set[int]:
    """Units the user supervises, read fresh (never from a possibly stale relationship)."""
    if not has_role(user, Role.SUPERVISOR):
        return set()
    rows = await session.scalars(
        select(supervisor_units.c.unit_id).where(supervisor_units.c.user_id == user.id)
    )
    return set(rows)


def visible_clause(user: User, units: set[int]) -> ColumnElement[bool]:
    """SQL condition selecting the cases `user` may see."""
    if not user.active:
        return false()
    if is_admin(user):
        return true()
    own = Case.asker_id == user.id
    if not has_role(user, Role.SUPERVISOR):
        return own
    return or_(
        own,
        Case.level_unit_id.in_(units),
        Case.unit_id.in_(units),
        Case.forwarded_to_id == user.id,
        Case.assignee_id == user.id,
        Case.answered_by_id == user.id,
    )


def actionable_clause(user: User, units: set[int]) -> ColumnElement[bool]:
    """SQL condition selecting the cases `user` may claim, answer or forward."""
    if not user.active:
        return false()
    if is_admin(user):
        return true()
    if not has_role(user, Role.SUPERVISOR):
        return false()
    return or_(
        Case.level_unit_id.in_(units),
        Case.forwarded_to_id == user.id,
        Case.assignee_id == user.id,
    )


def can_view(user: User, units: set[int], case: Case) -> bool:
    """Python twin of `visible_clause` for an already loaded case."""
    if not user.active:
        return False
    if is_admin(user) or case.asker_id == user.id:
        return True
    if not has_role(user, Role.SUPERVISOR):
        return False
    return (
        case.level_unit_id in units
        or case.unit_id in units
        or user.id in (case.forwarded_to_id, case.assignee_id, case.answered_by_id)
    )


def can_act(user: User, units: set[int], case: Case) -> bool:
    """Python twin of `actionable_clause` for an already loaded case."""
    if not user.active:
        return False
    if is_admin(user):
        return True
    if not has_role(user, Role.SUPERVISOR):
        return False
    return case.level_unit_id in units or user.id in (case.forwarded_to_id, case.assignee_id)


async def acting_on(session: AsyncSession, actor: User, case_id: int) -> Case:
    """Load a case the actor may act on: NOT_FOUND when they may not even see it."""
    case = await load_case(session, case_id)
    units = await supervised_ids(session, actor)
    if not can_view(actor, units, case):
        raise not_found("xin ý kiến")
    if not can_act(actor, units, case):
        raise forbidden("Bạn không phụ trách xin ý kiến này.")
    return case
