"""Precedent reuse: an approved precedent that leads the answer for an official of another unit
than the case it came from has taught another commune. One row per asker per precedent, so
"reused by N other communes" counts real people in real units, and a repeated question does
not inflate it. Derived from the question log, like the statistics; nobody edits it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.cases.enums import ProposalStatus
from core.cases.models import Case, PrecedentProposal
from core.recognition.models import PrecedentReuse
from core.users.models import User


async def note(session: AsyncSession, *, user: User, lead: dict[str, Any]) -> bool:
    """Record a reuse when `lead` (an answer's first passage snapshot) is an approved precedent
    from another unit than the asker's; True when a new row was written."""
    if lead.get("kind") != "precedent" or not lead.get("document_id"):
        return False
    found = await session.execute(
        select(PrecedentProposal.id, Case.unit_id)
        .join(Case, Case.id == PrecedentProposal.case_id)
        .where(
            PrecedentProposal.document_id == int(lead["document_id"]),
            PrecedentProposal.status == ProposalStatus.APPROVED,
        )
    )
    row = found.first()
    if row is None or row[1] == user.unit_id:
        return False
    proposal_id = int(row[0])
    seen = await session.scalar(
        select(PrecedentReuse.id).where(
            PrecedentReuse.proposal_id == proposal_id, PrecedentReuse.user_id == user.id
        )
    )
    if seen is not None:
        return False
    try:
        async with session.begin_nested():  # a concurrent twin loses quietly, the log stays
            session.add(PrecedentReuse(proposal_id=proposal_id, user_id=user.id,
                                       unit_id=user.unit_id))  # fmt: skip
    except IntegrityError:
        return False
    return True


async def other_units(session: AsyncSession, proposal_ids: Iterable[int]) -> dict[int, int]:
    """For each precedent: how many other units reused it (precedents never reused are absent)."""
    ids = list(proposal_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(PrecedentReuse.proposal_id, func.count(func.distinct(PrecedentReuse.unit_id)))
        .where(PrecedentReuse.proposal_id.in_(ids))
        .group_by(PrecedentReuse.proposal_id)
    )
    return {int(p): int(n) for p, n in rows.tuples()}
