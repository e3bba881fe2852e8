"""Units and people: create/update units, manage users, roles and supervised units.

Invitations and tokens live in `core.users.invites` and `core.users.tokens` and are
re-exported here, so callers write `from core.users import service as user_service`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import record
from core.db import get_row
from core.errors import conflict, invalid
from core.inputs import LIKE_ESCAPE, contains_pattern
from core.text import fold
from core.users.authz import require_admin, require_admin_or_operator
from core.users.enums import Role, UnitKind
from core.users.invites import (
    check_invite,
    create_invite,
    deep_link,
    get_invite,
    list_invites,
    redeem_invite,
    revoke_invite,
    start_command,
)
from core.users.models import Unit, User
from core.users.schemas import UnitCreate, UnitUpdate
from core.users.tokens import authenticate_token, issue_token, list_tokens, revoke_token
from core.users.topics import MAX_TOPIC_CHARS, MAX_TOPICS, clean_topics

__all__ = [
    "authenticate_token",
    "bootstrap_admin",
    "check_invite",
    "count_users",
    "create_invite",
    "create_unit",
    "create_user",
    "deactivate",
    "deep_link",
    "get",
    "get_by_telegram_id",
    "get_invite",
    "get_unit",
    "get_unit_by_name",
    "issue_token",
    "list_invites",
    "list_tokens",
    "list_units",
    "list_users",
    "redeem_invite",
    "require_unit",
    "require_user",
    "revoke_invite",
    "revoke_token",
    "set_active",
    "set_role",
    "set_supervised_units",
    "set_topics",
    "start_command",
    "supervisors_of",
    "update_unit",
]


# --- units ------------------------------------------------------------------------------


async def get_unit(session: AsyncSession, *, unit_id: int) -> Unit | None:
    """The unit with this id, or None."""
    return await session.get(Unit, unit_id)


async def require_unit(session: AsyncSession, *, unit_id: int) -> Unit:
    """The unit with this id, or a not-found error."""
    return await get_row(session, Unit, unit_id, f"đơn vị số {unit_id}")


async def get_unit_by_name(session: AsyncSession, *, name: str) -> Unit | None:
    """The unit with exactly this name (whitespace-normalised), or None."""
    return await session.scalar(select(Unit).where(Unit.name == " ".join(name.split())))


async def province_of(session: AsyncSession, *, unit_id: int) -> Unit | None:
    """The province a unit belongs to (itself when it is one), following parents."""
    seen: set[int] = set()
    unit = await session.get(Unit, unit_id)
    while unit is not None and unit.id not in seen:
        if unit.kind == UnitKind.PROVINCE:
            return unit
        seen.add(unit.id)
        unit = await session.get(Unit, unit.parent_id) if unit.parent_id else None
    return None


async def child_units(session: AsyncSession, *, unit_id: int) -> list[Unit]:
    """The units directly under a unit (a province's communes and departments), by name."""
    return list(
        await session.scalars(select(Unit).where(Unit.parent_id == unit_id).order_by(Unit.name))
    )


async def list_units(session: AsyncSession, *, kind: UnitKind | str | None = None) -> list[Unit]:
    """All units ordered by id, optionally of one kind."""
    query = select(Unit).order_by(Unit.id)
    if kind is not None:
        query = query.where(Unit.kind == str(kind))
    return list(await session.scalars(query))


async def _check_ladder(
    session: AsyncSession, unit_id: int | None, escalates_to: int | None
) -> None:
    """The escalation target must exist and the ladder must not loop back to this unit."""
    if escalates_to is None:
        return
    seen: set[int] = set() if unit_id is None else {unit_id}
    current: int | None = escalates_to
    while current is not None:
        if current in seen:
            raise invalid("Tuyến chuyển cấp trên tạo thành vòng lặp.", escalates_to_id=escalates_to)
        seen.add(current)
        target = await get_row(session, Unit, current, f"đơn vị cấp trên số {current}")
        current = target.escalates_to_id


async def create_unit(session: AsyncSession, *, data: UnitCreate, actor: User | None) -> Unit:
    """Create a unit (admin only; `actor=None` is the operator at the command line); its name
    is unique, its parent and ladder target must exist."""
    require_admin_or_operator(actor)
    if await get_unit_by_name(session, name=data.name) is not None:
        raise conflict(f"Đơn vị “{data.name}” đã tồn tại.", name=data.name)
    if data.parent_id is not None:
        await require_unit(session, unit_id=data.parent_id)
    await _check_ladder(session, None, data.escalates_to_id)
    unit = Unit(
        name=data.name,
        kind=str(data.kind),
        parent_id=data.parent_id,
        escalates_to_id=data.escalates_to_id,
        positions=list(data.positions),
    )
    session.add(unit)
    await session.flush()
    await record(
        session,
        actor_id=actor.id if actor else None,
        action="unit.create",
        entity="unit",
        entity_id=unit.id,
        data=data.model_dump(mode="json"),
    )
    return unit


async def update_unit(
    session: AsyncSession, *, unit_id: int, data: UnitUpdate, actor: User | None
) -> Unit:
    """Change the fields sent in `data` (admin only; `actor=None` is the operator at the
    command line); rejects a duplicate name or a looping ladder."""
    require_admin_or_operator(actor)
    unit = await require_unit(session, unit_id=unit_id)
    changes = data.model_dump(mode="json", exclude_unset=True)
    if "name" in changes and changes["name"] != unit.name:
        if changes["name"] is None:
            raise invalid("Tên đơn vị không được để trống.")
        if await get_unit_by_name(session, name=changes["name"]) is not None:
            raise conflict(f"Đơn vị “{changes['name']}” đã tồn tại.")
        unit.name = " ".join(changes["name"].split())
    if changes.get("kind") is not None:
        unit.kind = changes["kind"]
    if "parent_id" in changes:
        if changes["parent_id"] is not None:
            if changes["parent_id"] == unit.id:
                raise invalid("Đơn vị không thể là cấp trên của chính nó.")
            await require_unit(session, unit_id=changes["parent_id"])
        unit.parent_id = changes["parent_id"]
    if "escalates_to_id" in changes:
        await _check_ladder(session, unit.id, changes["escalates_to_id"])
        unit.escalates_to_id = changes["escalates_to_id"]
    if changes.get("positions") is not None:
        unit.positions = list(changes["positions"])
    await session.flush()
    await record(
        session,
        actor_id=actor.id if actor else None,
        action="unit.update",
        entity="unit",
        entity_id=unit.id,
        data=changes,
    )
    return unit


# --- users ------------------------------------------------------------------------------


async def get(session: AsyncSession, *, user_id: int) -> User | None:
    """The user with this id, or None."""
    return await session.get(User, user_id)


async def require_user(session: AsyncSession, *, user_id: int) -> User:
    """The user with this id, or a not-found error."""
    return await get_row(session, User, user_id, f"người dùng số {user_id}")


async def get_by_telegram_id(session: AsyncSession, *, telegram_id: int) -> User | None:
    """The registered user with this Telegram id (active or not), or None."""
    return await session.scalar(select(User).where(User.telegram_id == telegram_id))


def _user_filters(
    unit_id: int | None, role: Role | str | None, active: bool | None, q: str | None
) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if unit_id is not None:
        conds.append(User.unit_id == unit_id)
    if role is not None:
        conds.append(User.role == str(role))
    if active is not None:
        conds.append(User.active == active)
    words = " ".join((q or "").split())
    if words:
        # The stored folded name: "nguyen van" finds "Nguyễn Văn" on every database.
        conds.append(User.name_folded.like(contains_pattern(fold(words)), escape=LIKE_ESCAPE))
    return conds


async def list_users(
    session: AsyncSession,
    *,
    actor: User | None,
    unit_id: int | None = None,
    role: Role | str | None = None,
    active: bool | None = None,
    q: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> list[User]:
    """Users ordered by id, filtered by unit, role, activity and a name search (`q`, with or
    without diacritics). Admins only (None: the operator at the command line)."""
    require_admin_or_operator(actor)
    query = select(User).where(*_user_filters(unit_id, role, active, q))
    return list(await session.scalars(query.order_by(User.id).offset(offset).limit(limit)))


async def count_users(
    session: AsyncSession,
    *,
    actor: User | None,
    unit_id: int | None = None,
    role: Role | str | None = None,
    active: bool | None = None,
    q: str | None = None,
) -> int:
    """How many users match the same filters as `list_users` (admins only, as it)."""
    require_admin_or_operator(actor)
    query = select(func.count(User.id)).where(*_user_filters(unit_id, role, active, q))
    return int(await session.scalar(query) or 0)


async def supervisors_of(session: AsyncSession, *, unit_id: int) -> list[User]:
    """Active supervisors who supervise `unit_id` (the people a new case in it goes to)."""
    query = (
        select(User)
        .where(User.active.is_(True), User.role == Role.SUPERVISOR)
        .where(User.supervised_units.any(Unit.id == unit_id))
        .order_by(User.id)
    )
    return list(await session.scalars(query))


async def _units(session: AsyncSession, unit_ids: Iterable[int]) -> list[Unit]:
    units = []
    for unit_id in dict.fromkeys(unit_ids):
        units.append(await require_unit(session, unit_id=unit_id))
    return units


async def create_user(
    session: AsyncSession,
    *,
    full_name: str,
    role: Role | str,
    unit_id: int,
    actor: User | None,
    position: str | None = None,
    telegram_id: int | None = None,
    chat_id: int | None = None,
    supervised_unit_ids: Sequence[int] = (),
) -> User:
    """Create a person directly (admin only; `actor=None` is the operator at the command line
    or the install's bootstrap); normal sign-up goes through an invite."""
    require_admin_or_operator(actor)
    name = " ".join(full_name.split())
    if len(name) < 2:
        raise invalid("Họ tên quá ngắn.")
    await require_unit(session, unit_id=unit_id)
    user = User(
        full_name=name,
        role=str(Role(str(role))),
        unit_id=unit_id,
        position=position,
        telegram_id=telegram_id,
        chat_id=chat_id,
    )
    if user.role == Role.SUPERVISOR:
        user.supervised_units = await _units(session, supervised_unit_ids or (unit_id,))
    else:
        user.supervised_units = []
    session.add(user)
    await session.flush()
    await record(
        session,
        actor_id=actor.id if actor else None,
        action="user.create",
        entity="user",
        entity_id=user.id,
        data={"role": user.role, "unit_id": unit_id, "full_name": name},
    )
    return user


async def set_role(session: AsyncSession, *, user_id: int, role: Role | str, actor: User) -> User:
    """Change a person's role (admin only); a new supervisor supervises their own unit."""
    require_admin(actor)
    user = await require_user(session, user_id=user_id)
    new_role = str(Role(str(role)))
    if new_role == user.role:
        return user
    if user.id == actor.id and new_role != Role.ADMIN:
        raise invalid("Không thể tự bỏ quyền quản trị của chính mình.")
    old = user.role
    user.role = new_role
    if new_role == Role.SUPERVISOR and not user.supervised_units:
        user.supervised_units = [await require_unit(session, unit_id=user.unit_id)]
    elif new_role != Role.SUPERVISOR:
        user.supervised_units = []
        user.topics = []
    await session.flush()
    await record(
        session,
        actor_id=actor.id,
        action="user.set_role",
        entity="user",
        entity_id=user.id,
        data={"from": old, "to": new_role},
    )
    return user


async def set_supervised_units(
    session: AsyncSession, *, user_id: int, unit_ids: Sequence[int], actor: User
) -> User:
    """Replace the units a supervisor supervises (admin only)."""
    require_admin(actor)
    user = await require_user(session, user_id=user_id)
    if user.role != Role.SUPERVISOR:
        raise invalid("Chỉ người phụ trách mới được gán đơn vị phụ trách.")
    if not unit_ids:
        raise invalid("Cần ít nhất một đơn vị phụ trách.")
    user.supervised_units = await _units(session, unit_ids)
    await session.flush()
    await record(
        session,
        actor_id=actor.id,
        action="user.set_units",
        entity="user",
        entity_id=user.id,
        data={"unit_ids": sorted(u.id for u in user.supervised_units)},
    )
    return user


async def set_topics(
    session: AsyncSession, *, user_id: int, topics: Sequence[str], actor: User | None
) -> User:
    """Replace the topics a supervisor handles (admin, or the CLI operator when actor is None).

    An empty list means every topic. New cases at their level reach the supervisors whose
    topics match (core.cases.flows.level_recipients); access rules do not change.
    """
    require_admin_or_operator(actor)
    user = await require_user(session, user_id=user_id)
    if user.role != Role.SUPERVISOR:
        raise invalid("Chỉ người phụ trách mới được gán lĩnh vực phụ trách.")
    cleaned = clean_topics(topics)
    if len(cleaned) > MAX_TOPICS:
        raise invalid(f"Tối đa {MAX_TOPICS} lĩnh vực.")
    too_long = [t for t in cleaned if len(t) > MAX_TOPIC_CHARS]
    if too_long:
        raise invalid(f"Tên lĩnh vực dài quá {MAX_TOPIC_CHARS} ký tự: “{too_long[0][:40]}…”.")
    if cleaned == list(user.topics or []):
        return user
    old = list(user.topics or [])
    user.topics = cleaned
    await session.flush()
    await record(
        session,
        actor_id=actor.id if actor else None,
        action="user.set_topics",
        entity="user",
        entity_id=user.id,
        data={"from": old, "to": cleaned},
    )
    return user


async def set_active(session: AsyncSession, *, user_id: int, active: bool, actor: User) -> User:
    """Deactivate or reactivate a person (admin only); tokens stop working while inactive."""
    require_admin(actor)
    user = await require_user(session, user_id=user_id)
    if user.id == actor.id and not active:
        raise invalid("Không thể tự khóa tài khoản của chính mình.")
    if user.active == active:
        return user
    user.active = active
    await session.flush()
    await record(
        session,
        actor_id=actor.id,
        action="user.activate" if active else "user.deactivate",
        entity="user",
        entity_id=user.id,
    )
    return user


async def deactivate(session: AsyncSession, *, user_id: int, actor: User) -> User:
    """Deactivate a person (admin only)."""
    return await set_active(session, user_id=user_id, active=False, actor=actor)


async def bootstrap_admin(
    session: AsyncSession, *, full_name: str, unit_name: str, label: str = "bootstrap"
) -> tuple[User, str]:
    """First admin on a fresh install (creating the unit as a province if missing) + a token."""
    if await session.scalar(select(func.count(User.id)).where(User.role == Role.ADMIN)):
        raise conflict("Hệ thống đã có quản trị viên; hãy dùng lời mời hoặc mã truy cập.")
    unit = await get_unit_by_name(session, name=unit_name)
    if unit is None:
        unit = await create_unit(
            session, data=UnitCreate(name=unit_name, kind=UnitKind.PROVINCE), actor=None
        )
    user = await create_user(
        session, full_name=full_name, role=Role.ADMIN, unit_id=unit.id, actor=None
    )
    token = await issue_token(session, user_id=user.id, label=label, actor=None)
    return user, token
