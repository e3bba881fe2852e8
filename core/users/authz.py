"""Role and unit access checks shared by every service and front."""

from __future__ import annotations

from core.errors import DomainError, ErrorCode, forbidden
from core.users.enums import Role
from core.users.models import User

ROLE_LABELS_VI = {
    Role.CADRE: "cán bộ",
    Role.SUPERVISOR: "người phụ trách",
    Role.EVALUATOR: "người đánh giá",
    Role.ADMIN: "quản trị viên",
}


def require_active(user: User | None) -> User:
    """The user, if present and active; otherwise an authentication error."""
    if user is None or not user.active:
        raise DomainError(ErrorCode.UNAUTHENTICATED)
    return user


def has_role(user: User, *roles: Role | str) -> bool:
    """True when the user holds one of `roles`."""
    return user.role in {str(r) for r in roles}


def require_role(user: User, *roles: Role | str) -> User:
    """Raise 403 with a Vietnamese message unless the user holds one of `roles`."""
    if not has_role(user, *roles):
        wanted = ", ".join(ROLE_LABELS_VI.get(Role(str(r)), str(r)) for r in roles)
        raise forbidden(f"Thao tác này chỉ dành cho: {wanted}.")
    return user


def require_admin(user: User) -> User:
    """Raise 403 unless the user is an admin."""
    return require_role(user, Role.ADMIN)


def supervised_unit_ids(user: User) -> set[int]:
    """Units whose queue this user works on (empty for non-supervisors)."""
    if user.role != Role.SUPERVISOR:
        return set()
    return {unit.id for unit in user.supervised_units}


def can_supervise(user: User, unit_id: int) -> bool:
    """True for admins and for supervisors of `unit_id`."""
    return user.role == Role.ADMIN or unit_id in supervised_unit_ids(user)


def require_supervises(user: User, unit_id: int) -> User:
    """Raise 403 unless the user is an admin or supervises `unit_id`."""
    if not can_supervise(user, unit_id):
        raise forbidden("Bạn không phụ trách đơn vị này.")
    return user
