"""Side effects of case transitions: who is told what, queued in the outbox in the same transaction.

Idempotency keys are "case:<id>:v<version>:<event>:u<user>": the version is bumped by every
transition, so a key names exactly one notification of one transition to one person, and a
retried transaction (or a second scheduler process) can never queue it twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.cases import texts
from core.cases.models import Case
from core.outbox.buttons import Buttons
from core.outbox.service import Outgoing, enqueue_many
from core.users.enums import Role
from core.users.models import Unit, User, supervisor_units
from core.users.topics import handles_topic


async def _supervisors(session: AsyncSession, unit_id: int) -> list[tuple[int, list[Any]]]:
    """(id, topics) of the active supervisors of one unit."""
    rows = await session.execute(
        select(User.id, User.topics)
        .join(supervisor_units, supervisor_units.c.user_id == User.id)
        .where(supervisor_units.c.unit_id == unit_id, User.active.is_(True))
        .order_by(User.id)
    )
    return list(rows.tuples())


async def supervisor_ids(session: AsyncSession, unit_id: int) -> list[int]:
    """Ids of the active supervisors of one unit."""
    return [user_id for user_id, _ in await _supervisors(session, unit_id)]


async def admins(session: AsyncSession) -> list[int]:
    """Ids of the active admins: the recipients of last resort."""
    rows = await session.scalars(
        select(User.id).where(User.role == Role.ADMIN, User.active.is_(True)).order_by(User.id)
    )
    return list(rows)


async def route_level(session: AsyncSession, unit_id: int) -> int:
    """The first rung from `unit_id` up the ladder that has a supervisor (else `unit_id`).

    A case must never sit in a queue nobody reads, so empty rungs are skipped.
    """
    seen: set[int] = set()
    current: int | None = unit_id
    while current is not None and current not in seen:
        seen.add(current)
        if await supervisor_ids(session, current):
            return current
        current = await session.scalar(select(Unit.escalates_to_id).where(Unit.id == current))
    return unit_id


async def level_recipients(
    session: AsyncSession, unit_id: int, *, topic: str | None, asker: int | None = None
) -> list[int]:
    """Who is told about a case waiting at a level: its supervisors for the case's topic.

    Those whose topics include `topic` or who have none (they handle every topic); when that
    leaves nobody, or the case has no topic, every supervisor of the level; when the level has
    no supervisor, the admins. A supervisor who asked is never the only one chosen. A case
    never goes unnoticed. This only chooses who is told: any supervisor of the unit may still
    see and claim the case.
    """
    everyone = await _supervisors(session, unit_id)
    if not everyone:
        return await admins(session)
    others = [(user_id, topics) for user_id, topics in everyone if user_id != asker]
    chosen = [user_id for user_id, topics in others if handles_topic(topics, topic)]
    return chosen or [user_id for user_id, _ in others or everyone]


async def unit_name(session: AsyncSession, unit_id: int) -> str:
    """Display name of a unit."""
    return await session.scalar(select(Unit.name).where(Unit.id == unit_id)) or "?"


async def user_name(session: AsyncSession, user_id: int | None) -> str:
    """Display name of a user."""
    if user_id is None:
        return "?"
    return await session.scalar(select(User.full_name).where(User.id == user_id)) or "?"


async def tell(
    session: AsyncSession,
    case: Case,
    event: str,
    users: Iterable[User | int | None],
    text: str,
    buttons: Buttons | None = None,
    *,
    skip: Sequence[int | None] = (),
) -> None:
    """Queue one message per distinct user, keyed to this case version and event."""
    done: set[int] = {u for u in skip if u is not None}
    batch: list[Outgoing] = []
    for user in users:
        user_id = user.id if isinstance(user, User) else user
        if user_id is None or user_id in done:
            continue
        done.add(user_id)
        key = f"case:{case.id}:v{case.version}:{event}:u{user_id}"
        batch.append(Outgoing(user_id, text, key, buttons or []))
    await enqueue_many(session, batch)


async def tell_files(
    session: AsyncSession, case: Case, event: str, users: Iterable[User | int | None]
) -> None:
    """Queue the case's photos and documents for the people just told about it (`event`),
    each after that notification, by Telegram file id."""
    files = [a for a in case.attachments or [] if a.get("file_id")]
    batch: list[Outgoing] = []
    for user in dict.fromkeys(u.id if isinstance(u, User) else u for u in users):
        if user is None:
            continue
        for index, item in enumerate(files):
            key = f"case:{case.id}:v{case.version}:{event}:file{index}:u{user}"
            caption = texts.attachment_caption(case, index, str(item.get("name") or ""))
            media = {"kind": item.get("kind", "document"), "file_id": item["file_id"]}
            batch.append(Outgoing(user, caption, key, media=media))
    await enqueue_many(session, batch)
