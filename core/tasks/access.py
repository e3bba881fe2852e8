"""Who may see and who may manage a hard task: the owner their own, supervisors their units'
catalogue, admins all. The same convention as core.cases.access (units read fresh)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, true

from core.tasks.models import HardTask
from core.users.authz import has_role, is_admin
from core.users.enums import Role
from core.users.models import User


def visible_clause(user: User, units: set[int]) -> ColumnElement[bool]:
    """SQL condition selecting the tasks `user` may see."""
    if not user.active:
        return false()
    if is_admin(user):
        return true()
    own = HardTask.owner_id == user.id
    if not has_role(user, Role.SUPERVISOR):
        return own
    return or_(own, HardTask.unit_id.in_(units), HardTask.level_unit_id.in_(units))


def can_view(user: User, units: set[int], task: HardTask) -> bool:
    """Python twin of `visible_clause`."""
    if not user.active:
        return False
    if is_admin(user) or task.owner_id == user.id:
        return True
    return has_role(user, Role.SUPERVISOR) and (
        task.unit_id in units or task.level_unit_id in units
    )


def can_manage(user: User, units: set[int], unit_id: int) -> bool:
    """Create, edit, reassign, cancel and link: admins, and supervisors of the task's unit."""
    if not user.active:
        return False
    return is_admin(user) or (has_role(user, Role.SUPERVISOR) and unit_id in units)


def can_report(user: User, units: set[int], task: HardTask) -> bool:
    """Add a progress note or mark done: the owner, and whoever manages the task."""
    return (user.active and task.owner_id == user.id) or can_manage(user, units, task.unit_id)
