"""Weak topics: for each unit and position, the share of drill answers that were right, by
topic and drill, linked to the position's competency framework in the knowledge base.

For training only: figures are per group (unit × position × drill), never per person, and
nothing ranks people.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.cases.access import supervised_ids
from core.drills.models import Drill, DrillDelivery
from core.drills.service import same_position
from core.users.authz import is_admin, require_role
from core.users.enums import Role
from core.users.models import Unit, User
from knowledge.models import Document, DocumentKind


@dataclass(frozen=True)
class Framework:
    document_id: int
    title: str


@dataclass(frozen=True)
class WeakTopic:
    unit_id: int
    unit: str
    position: str
    topic: str
    drill_id: int
    drill: str
    delivered: int
    answered: int
    correct: int
    frameworks: list[Framework]

    @property
    def share_correct(self) -> float | None:
        """Right answers among the answered ones (None before anyone answered)."""
        return self.correct / self.answered if self.answered else None


async def frameworks(session: AsyncSession) -> list[tuple[Document, list[str]]]:
    """Competency framework documents in force, with the positions they are for."""
    rows = await session.scalars(
        select(Document).where(
            Document.kind == DocumentKind.COMPETENCY, Document.retired_at.is_(None)
        )
    )
    return [(d, [str(p) for p in d.positions]) for d in rows.unique()]


def _for_position(docs: list[tuple[Document, list[str]]], position: str) -> list[Framework]:
    return [
        Framework(d.id, d.title)
        for d, positions in docs
        if any(same_position(p, position) for p in positions)
    ]


async def weak_topics(
    session: AsyncSession,
    *,
    actor: User,
    unit_id: int | None = None,
    position: str | None = None,
) -> list[WeakTopic]:
    """Groups in the actor's units (admins: all), weakest share first."""
    require_role(actor, Role.SUPERVISOR, Role.ADMIN)
    answered = func.sum(case((DrillDelivery.answered_at.is_not(None), 1), else_=0), type_=Integer)
    right = func.sum(case((DrillDelivery.correct.is_(True), 1), else_=0), type_=Integer)
    group = (
        DrillDelivery.unit_id, Unit.name, DrillDelivery.position, Drill.topic, Drill.id, Drill.title
    )  # fmt: skip
    stmt = (
        select(*group, func.count(DrillDelivery.id), answered, right)
        .join(Drill, Drill.id == DrillDelivery.drill_id)
        .join(Unit, Unit.id == DrillDelivery.unit_id)
        .group_by(*group)
    )
    if not is_admin(actor):
        stmt = stmt.where(DrillDelivery.unit_id.in_(await supervised_ids(session, actor)))
    if unit_id is not None:
        stmt = stmt.where(DrillDelivery.unit_id == unit_id)
    if position:
        stmt = stmt.where(DrillDelivery.position == position)
    docs = await frameworks(session)
    groups = [
        WeakTopic(
            u,
            name,
            pos,
            topic,
            did,
            title,
            int(n),
            int(a or 0),
            int(c or 0),
            _for_position(docs, pos),
        )
        for u, name, pos, topic, did, title, n, a, c in (await session.execute(stmt)).tuples()
    ]
    unanswered = 2.0  # groups nobody answered yet sort after the measured ones
    return sorted(
        groups,
        key=lambda g: (
            g.share_correct if g.share_correct is not None else unanswered,
            g.unit, g.position, g.topic, g.drill_id,
        ),
    )  # fmt: skip
