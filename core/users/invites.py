"""Invitation codes: create, check, redeem (sign-up by Telegram) and revoke."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import record
from core.db import get_row, utcnow
from core.errors import DomainError, ErrorCode, conflict, invalid
from core.users.authz import require_admin, require_admin_or_operator
from core.users.enums import Role
from core.users.models import Invite, Unit, User

# Telegram deep-link payloads allow [A-Za-z0-9_-], at most 64 characters;
# token_urlsafe(16) gives 22 such characters (128 bits: not guessable).
CODE_BYTES = 16


def start_command(code: str) -> str:
    """What a person types in the bot when the deep link cannot be used."""
    return f"/start {code}"


def deep_link(code: str, bot_username: str | None) -> str | None:
    """`https://t.me/<bot>?start=CODE` when the bot's username is known."""
    if not bot_username:
        return None
    return f"https://t.me/{bot_username.lstrip('@')}?start={code}"


async def _require_unit(session: AsyncSession, unit_id: int) -> Unit:
    return await get_row(session, Unit, unit_id, f"đơn vị số {unit_id}")


async def create_invite(
    session: AsyncSession,
    *,
    role: Role | str,
    unit_id: int,
    actor: User | None,
    uses: int = 1,
    valid_days: int = 7,
    supervised_unit_ids: Sequence[int] = (),
) -> Invite:
    """A new random code for `role` in `unit_id`, usable `uses` times for `valid_days` days
    (admin only; `actor=None` is the operator at the command line)."""
    require_admin_or_operator(actor)
    role = Role(str(role))
    if not 1 <= uses <= 10_000:
        raise invalid("Số lượt dùng phải từ 1 đến 10.000.", uses=uses)
    if not 1 <= valid_days <= 365:
        raise invalid("Thời hạn mã mời phải từ 1 đến 365 ngày.", valid_days=valid_days)
    await _require_unit(session, unit_id)
    supervised = list(dict.fromkeys(supervised_unit_ids))
    if supervised and role != Role.SUPERVISOR:
        raise invalid("Chỉ lời mời cho người phụ trách mới có đơn vị phụ trách.")
    for other in supervised:
        await _require_unit(session, other)
    if role == Role.SUPERVISOR and not supervised:
        supervised = [unit_id]
    invite = Invite(
        code=secrets.token_urlsafe(CODE_BYTES),
        role=str(role),
        unit_id=unit_id,
        supervised_unit_ids=supervised,
        uses_left=uses,
        expires_at=utcnow() + timedelta(days=valid_days),
        created_by_id=actor.id if actor else None,
    )
    session.add(invite)
    await session.flush()
    await record(
        session,
        actor_id=invite.created_by_id,
        action="invite.create",
        entity="invite",
        entity_id=invite.id,
        data={
            "role": invite.role,
            "unit_id": unit_id,
            "uses": uses,
            "valid_days": valid_days,
            "supervised_unit_ids": supervised,
        },
    )
    return invite


async def get_invite(session: AsyncSession, *, invite_id: int) -> Invite | None:
    """The invitation with this id, or None."""
    return await session.get(Invite, invite_id)


async def list_invites(
    session: AsyncSession,
    *,
    actor: User | None,
    unit_id: int | None = None,
    usable_only: bool = False,
) -> list[Invite]:
    """Invitations newest first, optionally of one unit and only those still usable (admins
    only; None: the operator at the command line)."""
    require_admin_or_operator(actor)
    query = select(Invite).order_by(Invite.id.desc())
    if unit_id is not None:
        query = query.where(Invite.unit_id == unit_id)
    if usable_only:
        query = query.where(Invite.uses_left > 0, Invite.expires_at > utcnow())
    return list(await session.scalars(query))


async def check_invite(session: AsyncSession, *, code: str) -> Invite:
    """The usable invitation with this code (nothing consumed); raises a Vietnamese error."""
    invite = await session.scalar(select(Invite).where(Invite.code == code.strip()))
    if invite is None:
        raise DomainError(
            ErrorCode.NOT_FOUND,
            "Mã mời không đúng. Vui lòng kiểm tra lại đường dẫn hoặc xin mã mới từ quản trị viên.",
            reason="unknown",
        )
    if invite.expires_at <= utcnow():
        raise DomainError(
            ErrorCode.INVALID,
            "Mã mời đã hết hạn. Vui lòng xin mã mới từ quản trị viên.",
            reason="expired",
        )
    if invite.uses_left <= 0:
        raise DomainError(
            ErrorCode.CONFLICT,
            "Mã mời đã được dùng hết lượt. Vui lòng xin mã mới từ quản trị viên.",
            reason="used_up",
        )
    return invite


def position_choices(unit: Unit, role: str) -> list[str]:
    """The job titles a new member picks from when registering: the unit's, for cadres only
    (positions scope a cadre's answers; supervisors, evaluators and admins have none)."""
    return [str(p) for p in unit.positions or []] if role == Role.CADRE else []


def _pick_position(unit: Unit, position: str | None, role: str) -> str | None:
    """The unit's canonical spelling of `position`; required when there are choices."""
    given = " ".join((position or "").split())
    allowed = position_choices(unit, role)
    if not allowed:
        return given or None
    for candidate in allowed:
        if candidate.casefold() == given.casefold():
            return candidate
    raise invalid("Vui lòng chọn chức danh trong danh sách của đơn vị.", allowed_positions=allowed)


async def redeem_invite(
    session: AsyncSession,
    *,
    code: str,
    telegram_id: int,
    chat_id: int,
    full_name: str,
    position: str | None,
) -> User:
    """Register a Telegram user with the invite's role and unit; one use is consumed atomically."""
    name = " ".join(full_name.split())
    if not 2 <= len(name) <= 200:
        raise invalid("Họ tên cần từ 2 đến 200 ký tự.")
    if await session.scalar(select(User.id).where(User.telegram_id == telegram_id)) is not None:
        raise conflict("Tài khoản Telegram này đã được đăng ký.", reason="already_registered")
    invite = await check_invite(session, code=code)
    unit = await _require_unit(session, invite.unit_id)
    canonical = _pick_position(unit, position, invite.role)
    # Conditional decrement: of concurrent redeemers of the last use exactly one gets a row.
    left = await session.scalar(
        update(Invite)
        .where(Invite.id == invite.id, Invite.uses_left > 0, Invite.expires_at > utcnow())
        .values(uses_left=Invite.uses_left - 1)
        .returning(Invite.uses_left)
    )
    if left is None:
        raise DomainError(
            ErrorCode.CONFLICT,
            "Mã mời đã được dùng hết lượt. Vui lòng xin mã mới từ quản trị viên.",
            reason="used_up",
        )
    await session.refresh(invite)
    user = User(
        full_name=name,
        role=invite.role,
        unit_id=unit.id,
        position=canonical,
        telegram_id=telegram_id,
        chat_id=chat_id,
    )
    supervised: list[Unit] = []
    if invite.role == Role.SUPERVISOR:
        for unit_id in invite.supervised_unit_ids or [unit.id]:
            target = await session.get(Unit, int(unit_id))
            if target is not None:  # a unit deleted since the invite was made is skipped
                supervised.append(target)
    user.supervised_units = supervised
    session.add(user)
    await session.flush()
    await record(
        session,
        actor_id=user.id,
        action="invite.redeem",
        entity="invite",
        entity_id=invite.id,
        data={
            "user_id": user.id,
            "role": user.role,
            "unit_id": unit.id,
            "position": canonical,
            "uses_left": left,
        },
    )
    return user


async def revoke_invite(session: AsyncSession, *, invite_id: int, actor: User) -> Invite:
    """Make an invitation unusable (its remaining uses drop to zero); admins only."""
    require_admin(actor)
    invite = await get_row(session, Invite, invite_id, f"mã mời số {invite_id}")
    if invite.uses_left > 0:
        invite.uses_left = 0
        await session.flush()
        await record(
            session,
            actor_id=actor.id,
            action="invite.revoke",
            entity="invite",
            entity_id=invite.id,
        )
    return invite
