"""Console accounts an admin creates without Telegram: the person signs in with a one-time code
(or the sign-in link carrying it) that the admin is shown once and hands over.

The code is the same single-use, keyed-hash login code the bot sends, valid longer because a
person hands it over. A later sign-in needs a new code from an admin (or the bot, once the
person links Telegram through an invitation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import record
from core.config import Settings
from core.errors import invalid
from core.inputs import Id, Line
from core.users import service as users
from core.users.authz import require_admin
from core.users.enums import Role
from core.users.models import User
from core.web.service import format_code, new_code

HANDED_CODE_TTL = timedelta(hours=72)


class AccountCreate(BaseModel):
    """A console account: name, role, home unit, units supervised, optional job title."""

    full_name: Line = Field(min_length=2, max_length=200)
    role: Role
    unit_id: Id
    position: Line | None = Field(default=None, max_length=200)
    supervised_unit_ids: list[Id] = Field(default_factory=list, max_length=500)


@dataclass(frozen=True)
class HandedCode:
    """A one-time sign-in code for `user`, shown once (never stored in the clear)."""

    user: User
    code: str  # "ABCD-EFGH"
    expires_at: datetime


async def hand_code(
    session: AsyncSession, *, settings: Settings, actor: User, user_id: int
) -> HandedCode:
    """A new one-time sign-in code for an active user (older unused codes stop working)."""
    require_admin(actor)
    user = await users.require_user(session, user_id=user_id)
    if not user.active:
        raise invalid("Tài khoản đang bị khóa; hãy mở khóa trước khi cấp mã đăng nhập.")
    row, code = await new_code(session, settings=settings, user=user, ttl=HANDED_CODE_TTL)
    await record(
        session,
        actor_id=actor.id,
        action="user.signin_code",
        entity="user",
        entity_id=user.id,
        data={"expires_at": row.expires_at},
    )
    return HandedCode(user, format_code(code), row.expires_at)


async def create_account(
    session: AsyncSession, *, settings: Settings, actor: User, data: AccountCreate
) -> HandedCode:
    """Create a person without Telegram and their first one-time sign-in code (admin only:
    `create_user` checks)."""
    user = await users.create_user(
        session,
        full_name=data.full_name,
        role=data.role,
        unit_id=data.unit_id,
        actor=actor,
        position=data.position or None,
        supervised_unit_ids=data.supervised_unit_ids,
    )
    return await hand_code(session, settings=settings, actor=actor, user_id=user.id)
