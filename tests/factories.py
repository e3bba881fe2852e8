"""Shared builders for test worlds: units on an escalation ladder and people, made through the
real users service (so names are normalised, ladders checked and audit entries written as in
production). Each caller passes its own names, so its assertions keep their data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core.users import service as users
from core.users.enums import Role, UnitKind
from core.users.models import User
from core.users.schemas import UnitCreate


@dataclass(frozen=True)
class Ladder:
    """Ids of a province, its department (if any) and its communes, in the order given."""

    province_id: int
    department_id: int | None
    commune_ids: tuple[int, ...]


async def make_ladder(
    session: AsyncSession,
    *,
    province: str,
    department: str | None = None,
    communes: Sequence[tuple[str, Sequence[str]]] = (),
) -> Ladder:
    """A province; a department under it that escalates to it; communes `(name, positions)`
    under the province that escalate to the department, or to the province when there is none."""

    async def unit(
        name: str,
        kind: UnitKind,
        parent: int | None = None,
        up: int | None = None,
        positions: Sequence[str] = (),
    ) -> int:
        data = UnitCreate(
            name=name, kind=kind, parent_id=parent, escalates_to_id=up, positions=list(positions)
        )
        return (await users.create_unit(session, data=data, actor=None)).id

    province_id = await unit(province, UnitKind.PROVINCE)
    department_id = None
    if department is not None:
        department_id = await unit(department, UnitKind.DEPARTMENT, province_id, province_id)
    up = department_id or province_id
    commune_ids = [
        await unit(name, UnitKind.COMMUNE, province_id, up, positions)
        for name, positions in communes
    ]
    return Ladder(province_id, department_id, tuple(commune_ids))


@dataclass(frozen=True)
class Person:
    """A person made through the users service, with their API token when one was issued."""

    user: User
    token: str | None = None

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def unit_id(self) -> int:
        return self.user.unit_id

    @property
    def telegram_id(self) -> int | None:
        return self.user.telegram_id


async def make_person(
    session: AsyncSession,
    *,
    role: Role,
    unit_id: int,
    name: str,
    supervises: Sequence[int] = (),
    position: str | None = None,
    telegram_id: int | None = None,
    token: bool | str = False,
) -> Person:
    """A user (chat id = Telegram id); a supervisor with no `supervises` supervises their own
    unit. `token=True` issues an API token, a string issues one with that label."""
    user = await users.create_user(
        session,
        full_name=name,
        role=role,
        unit_id=unit_id,
        actor=None,
        position=position,
        telegram_id=telegram_id,
        chat_id=telegram_id,
        supervised_unit_ids=supervises,
    )
    if token is False:
        return Person(user)
    label = "" if token is True else token
    return Person(user, await users.issue_token(session, user_id=user.id, label=label))
