"""The one authorization module: who may do what, for every service and every front.

Convention: every check takes the acting `User` first (`actor`). Predicates (`is_admin`,
`has_role`, `can_supervise`) answer True/False; `require_*` raise a 403 `DomainError` with a
Vietnamese message and return the actor. An inactive actor holds no role. Domain visibility
rules (cases, tasks) live with their domain and build on these predicates.
"""

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

STAFF = (Role.SUPERVISOR, Role.ADMIN)


def require_active(user: User | None) -> User:
    """The user, if present and active; otherwise an authentication error."""
    if user is None or not user.active:
        raise DomainError(ErrorCode.UNAUTHENTICATED)
    return user


def has_role(actor: User, *roles: Role | str) -> bool:
    """True when the actor is active and holds one of `roles`."""
    return bool(actor.active) and actor.role in {str(r) for r in roles}


def is_admin(actor: User) -> bool:
    """True for an active admin."""
    return has_role(actor, Role.ADMIN)


def is_staff(actor: User) -> bool:
    """True for an active supervisor or admin (the people who work on queues)."""
    return has_role(actor, *STAFF)


def require_role(actor: User, *roles: Role | str, message: str | None = None) -> User:
    """Raise 403 (with `message`, or one naming the roles) unless the actor holds one of
    `roles`."""
    if not has_role(actor, *roles):
        if message is None:
            wanted = ", ".join(ROLE_LABELS_VI.get(Role(str(r)), str(r)) for r in roles)
            message = f"Thao tác này chỉ dành cho: {wanted}."
        raise forbidden(message)
    return actor


def require_admin(actor: User, message: str | None = None) -> User:
    """Raise 403 unless the actor is an active admin."""
    return require_role(actor, Role.ADMIN, message=message)


def require_admin_or_operator(actor: User | None) -> None:
    """Raise 403 unless the actor is an active admin; `None` is the operator at the command
    line (or the install's bootstrap), who already holds the database and is recorded in the
    audit trail as no user. Web and API fronts always pass the signed-in `User`."""
    if actor is not None:
        require_admin(actor)


def supervised_unit_ids(actor: User) -> set[int]:
    """Units whose queue this actor works on (empty for non-supervisors)."""
    if not has_role(actor, Role.SUPERVISOR):
        return set()
    return {unit.id for unit in actor.supervised_units}


def can_supervise(actor: User, unit_id: int) -> bool:
    """True for admins and for supervisors of `unit_id`."""
    return is_admin(actor) or unit_id in supervised_unit_ids(actor)


def require_supervises(actor: User, unit_id: int) -> User:
    """Raise 403 unless the actor is an admin or supervises `unit_id`."""
    if not can_supervise(actor, unit_id):
        raise forbidden("Bạn không phụ trách đơn vị này.")
    return actor
