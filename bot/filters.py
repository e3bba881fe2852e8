"""Router filters: who a handler is for, decided before the handler runs."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from core.users.authz import has_role
from core.users.enums import Role
from core.users.models import User


class RoleFilter(Filter):
    """Matches events from a registered, active person holding one of `roles` (the check is
    core.users.authz.has_role). Pair it with a handler for the same trigger, registered after,
    that tells everyone else the function is not theirs."""

    def __init__(self, *roles: Role) -> None:
        self.roles = roles

    async def __call__(self, event: TelegramObject, user: User | None = None) -> bool:
        return user is not None and has_role(user, *self.roles)


ADMIN = RoleFilter(Role.ADMIN)
STAFF = RoleFilter(Role.SUPERVISOR, Role.ADMIN)
