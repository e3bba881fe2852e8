"""Console accounts an admin creates without Telegram: the person signs in with a one-time code
(or the sign-in link carrying it) that the admin is shown once and hands over.

The code is the same single-use, keyed-hash login code the bot sends, valid longer because a
person hands it over. A later sign-in needs a new code from an admin (or the bot, once the
person links Telegram through an invitation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import record
from core.config import Settings
from core.errors import invalid
from core.inputs import Id, Line
from core.users import service as users
from core.users.authz import require_admin_or_operator
from core.users.enums import Role
from core.users.models import User
from core.web.service import format_code, new_code

HANDED_CODE_TTL = timedelta(hours=72)


class AccountCreate(BaseModel):
    """A console account: name, role, home unit, units supervised, optional job title."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "full_name": "Đỗ Thị Mai",
                    "role": "supervisor",
                    "unit_id": 3,
                    "position": "Công chức Tư pháp - Hộ tịch",
                    "supervised_unit_ids": [3],
                }
            ]
        }
    )

    full_name: Line = Field(min_length=2, max_length=200)
    role: Role
    unit_id: Id = Field(description="Đơn vị công tác")
    position: Line | None = Field(default=None, max_length=200, description="Chức danh")
    supervised_unit_ids: list[Id] = Field(
        default_factory=list,
        max_length=500,
        description="Người phụ trách: các đơn vị phụ trách (mặc định là đơn vị công tác)",
    )


@dataclass(frozen=True)
class HandedCode:
    """A one-time sign-in code for `user`, shown once (never stored in the clear)."""

    user: User
    code: str  # "ABCD-EFGH"
    expires_at: datetime


async def hand_code(
    session: AsyncSession, *, settings: Settings, actor: User | None, user_id: int
) -> HandedCode:
    """A new one-time sign-in code for an active user (older unused codes stop working); admin
    only, `actor=None` being the operator at the command line."""
    require_admin_or_operator(actor)
    user = await users.require_user(session, user_id=user_id)
    if not user.active:
        raise invalid("Tài khoản đang bị khóa; hãy mở khóa trước khi cấp mã đăng nhập.")
    row, code = await new_code(session, settings=settings, user=user, ttl=HANDED_CODE_TTL)
    await record(
        session,
        actor_id=actor.id if actor else None,
        action="user.signin_code",
        entity="user",
        entity_id=user.id,
        data={"expires_at": row.expires_at},
    )
    return HandedCode(user, format_code(code), row.expires_at)


async def create_account(
    session: AsyncSession, *, settings: Settings, actor: User | None, data: AccountCreate
) -> HandedCode:
    """Create a person without Telegram and their first one-time sign-in code (admin only,
    `actor=None` being the operator at the command line)."""
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
