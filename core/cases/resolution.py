"""After an answer is stored: the asker's receipt, and the same answer to every open duplicate."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import record
from core.cases import texts
from core.cases.enums import OPEN_STATUSES, CaseStatus
from core.cases.flows import tell
from core.cases.models import Case
from core.cases.store import guarded_update, load_case
from core.users.models import User


async def _receipt(session: AsyncSession, case: Case, actor: User, via: str | None) -> None:
    await record(
        session,
        actor_id=actor.id,
        action="case.answer",
        entity="case",
        entity_id=case.id,
        data={
            "number": case.number,
            "legal_basis": case.legal_basis,
            "answer_chars": len(case.answer or ""),
            "via_group": via,
        },
    )
    await tell(
        session,
        case,
        "answered",
        [case.asker_id],
        texts.answer_receipt(case, actor.full_name),
        texts.feedback_buttons(case.id),
    )


async def deliver_answer(
    session: AsyncSession, *, actor: User, case_id: int, now: datetime
) -> Case:
    """Audit + receipt for the answered case, then resolve the open cases of its duplicate group."""
    case = await load_case(session, case_id)
    await _receipt(session, case, actor, None)
    if case.duplicate_group_id is None:
        return case
    siblings = await session.scalars(
        select(Case.id).where(
            Case.duplicate_group_id == case.duplicate_group_id,
            Case.id != case.id,
            Case.status.in_([s.value for s in OPEN_STATUSES]),
        )
    )
    for sibling_id in list(siblings):
        sibling = await load_case(session, sibling_id)
        holder = sibling.assignee_id
        applied = await guarded_update(
            session,
            sibling_id,
            [Case.status.in_([s.value for s in OPEN_STATUSES])],
            {
                "status": CaseStatus.ANSWERED,
                "answer": case.answer,
                "legal_basis": case.legal_basis,
                "answered_by_id": actor.id,
                "answered_at": now,
                "assignee_id": holder or actor.id,
                "claimed_at": sibling.claimed_at or now,
            },
            now=now,
        )
        if not applied:
            continue  # answered or withdrawn meanwhile
        sibling = await load_case(session, sibling_id)
        await _receipt(session, sibling, actor, case.number)
        await tell(
            session,
            sibling,
            "group_resolved",
            [holder],
            texts.resolved_with_group(sibling, case.number),
            skip=[actor.id],
        )
    return await load_case(session, case.id)
