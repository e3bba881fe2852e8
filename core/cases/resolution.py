"""After an answer is stored: the asker's receipt, the same answer to every open duplicate, and
(when answered early) a one-tap commendation offered to the answerer's fellow supervisors."""

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
from core.recognition.service import offer_case
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
    """Resolve the open cases of the answered case's duplicate group, then audit + receipts.

    Lock order matters on PostgreSQL: every case transaction takes its row locks before the
    audit chain's lock (see core.audit.service.record). So the siblings are updated, in id
    order, before any audit entry is written; writing the audit entry first deadlocked with a
    concurrent claim on a sibling.
    """
    case = await load_case(session, case_id)
    resolved = await _resolve_siblings(session, case=case, actor=actor, now=now)
    await _receipt(session, case, actor, None)
    for sibling_id, holder in resolved:
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
    case = await load_case(session, case.id)
    await offer_case(session, case)
    return case


async def _resolve_siblings(
    session: AsyncSession, *, case: Case, actor: User, now: datetime
) -> list[tuple[int, int | None]]:
    """Copy the answer onto the group's still-open cases; returns (case id, previous holder)."""
    if case.duplicate_group_id is None:
        return []
    siblings = await session.scalars(
        select(Case.id)
        .where(
            Case.duplicate_group_id == case.duplicate_group_id,
            Case.id != case.id,
            Case.status.in_([s.value for s in OPEN_STATUSES]),
        )
        .order_by(Case.id)
    )
    resolved: list[tuple[int, int | None]] = []
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
        if applied:  # else answered or withdrawn meanwhile
            resolved.append((sibling_id, holder))
    return resolved
