"""Answer → precedent: a supervisor proposes, an admin approves (editing, scope, expiry) or rejects.

Approval publishes a knowledge-base document of kind "precedent" through
knowledge.service.create_precedent in the same transaction, and proposes a situation-drill
draft from it to the proposer (core.drills). The caller must call
`await retriever.sync()` after committing so the precedent is searchable at once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import record
from core.cases import texts
from core.cases.access import can_view, supervised_ids
from core.cases.enums import CaseStatus, ProposalStatus
from core.cases.flows import admins
from core.cases.models import Case, PrecedentProposal
from core.cases.schemas import PrecedentApprove, PrecedentPropose
from core.cases.store import load_case
from core.db import paged, utcnow
from core.drills.service import propose_from_precedent
from core.errors import conflict, forbidden, invalid, not_found
from core.outbox.buttons import Action, Buttons, button, row
from core.outbox.service import enqueue
from core.users.authz import is_admin, is_staff, require_admin
from core.users.models import Unit, User

TITLE_CHARS = 120


def _title(question: str) -> str:
    line = " ".join(question.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1] + "…"


def _review_buttons(proposal_id: int) -> Buttons:
    return row(
        button(Action.PRECEDENT_APPROVE, proposal_id), button(Action.PRECEDENT_REJECT, proposal_id)
    )


async def get_proposal(
    session: AsyncSession, *, actor: User, proposal_id: int
) -> PrecedentProposal:
    """One proposal: admins see all, supervisors their own."""
    proposal = await session.get(PrecedentProposal, proposal_id)
    if proposal is None or (not is_admin(actor) and proposal.proposed_by_id != actor.id):
        raise not_found("đề xuất")
    return proposal


async def list_proposals(
    session: AsyncSession,
    *,
    actor: User,
    status: ProposalStatus | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[PrecedentProposal], int]:
    """A page of proposals, newest first (admins see all, supervisors their own), and the total."""
    stmt = select(PrecedentProposal).order_by(PrecedentProposal.id.desc())
    if not is_admin(actor):
        stmt = stmt.where(PrecedentProposal.proposed_by_id == actor.id)
    if status is not None:
        stmt = stmt.where(PrecedentProposal.status == status)
    return await paged(session, stmt, limit=limit, offset=offset)


async def propose(
    session: AsyncSession,
    *,
    actor: User,
    case_id: int,
    data: PrecedentPropose,
    now: datetime | None = None,
) -> PrecedentProposal:
    """A supervisor proposes an answered case as reusable guidance; admins are told."""
    now = now or utcnow()
    case = await load_case(session, case_id)
    if not is_staff(actor) or not can_view(actor, await supervised_ids(session, actor), case):
        raise forbidden("Chỉ người phụ trách được đề xuất thành hướng dẫn.")
    if case.status not in (CaseStatus.ANSWERED, CaseStatus.CLOSED) or not case.answer:
        raise conflict("Chỉ đề xuất được xin ý kiến đã có câu trả lời.")
    pending = await session.scalar(
        select(PrecedentProposal).where(
            PrecedentProposal.case_id == case.id,
            PrecedentProposal.status == ProposalStatus.PROPOSED,
        )
    )
    if pending is not None:
        if pending.proposed_by_id == actor.id:
            return pending  # a repeated tap
        raise conflict("Xin ý kiến này đã được đề xuất và đang chờ phê duyệt.")
    proposal = PrecedentProposal(
        case_id=case.id,
        title=data.title or _title(case.question),
        question=case.question,
        answer=case.answer,
        legal_basis=case.legal_basis,
        note=data.note,
        proposed_by_id=actor.id,
        proposed_at=now,
    )
    session.add(proposal)
    await session.flush()
    await record(
        session,
        actor_id=actor.id,
        action="precedent.propose",
        entity="case",
        entity_id=case.id,
        data={"proposal_id": proposal.id, "number": case.number},
    )
    for admin_id in await admins(session):
        await enqueue(
            session,
            user_id=admin_id,
            text=texts.precedent_proposed(case, actor.full_name),
            idempotency_key=f"prec:{proposal.id}:proposed:u{admin_id}",
            buttons=_review_buttons(proposal.id),
        )
    return proposal


async def _scope_unit(session: AsyncSession, case: Case, data: PrecedentApprove) -> int | None:
    """Default scope unit: the asker's unit, or its province for province scope."""
    if data.scope == "national":
        return None
    if data.scope_unit_id is not None:
        if await session.get(Unit, data.scope_unit_id) is None:
            raise not_found("đơn vị phạm vi")
        return data.scope_unit_id
    if data.scope == "unit":
        return case.unit_id
    unit: Unit | None = case.unit
    while unit is not None and unit.parent_id is not None:
        unit = await session.get(Unit, unit.parent_id)
    if unit is None:
        raise invalid("Cần chọn tỉnh áp dụng cho hướng dẫn.")
    return unit.id


async def _decide(session: AsyncSession, proposal_id: int, status: ProposalStatus) -> bool:
    """Atomically move a pending proposal to `status`; False if someone decided first."""
    result = await session.execute(
        update(PrecedentProposal)
        .where(
            PrecedentProposal.id == proposal_id,
            PrecedentProposal.status == ProposalStatus.PROPOSED,
        )
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1


async def _decided(session: AsyncSession, proposal: PrecedentProposal, approved: bool) -> None:
    await enqueue(
        session,
        user_id=proposal.proposed_by_id,
        text=texts.precedent_decided(proposal.case, approved, proposal.decision_note),
        idempotency_key=f"prec:{proposal.id}:decided",
    )


async def approve(
    session: AsyncSession,
    *,
    actor: User,
    proposal_id: int,
    data: PrecedentApprove,
    now: datetime | None = None,
) -> PrecedentProposal:
    """Publish the (possibly edited) answer as a precedent document; the proposer is told."""
    from knowledge.service import create_precedent  # knowledge imports core; keep it one-way

    require_admin(actor, texts.ADMIN_ONLY)
    now = now or utcnow()
    proposal = await get_proposal(session, actor=actor, proposal_id=proposal_id)
    if proposal.status == ProposalStatus.APPROVED:
        return proposal
    if not await _decide(session, proposal.id, ProposalStatus.APPROVED):
        raise conflict("Đề xuất này vừa được một quản trị viên khác xử lý.")
    case = proposal.case
    proposal.title = data.title or proposal.title
    proposal.question = data.question or proposal.question
    proposal.answer = data.answer or proposal.answer
    proposal.legal_basis = (
        data.legal_basis if data.legal_basis is not None else proposal.legal_basis
    )
    proposal.scope = data.scope
    proposal.scope_unit_id = await _scope_unit(session, case, data)
    proposal.expires_on = data.expires_on
    document = await create_precedent(
        session,
        title=proposal.title,
        question=proposal.question,
        answer=proposal.answer,
        legal_basis=proposal.legal_basis,
        case_number=case.number,
        approved_by_id=actor.id,
        scope=proposal.scope,
        scope_unit_id=proposal.scope_unit_id,
        expires_on=proposal.expires_on,
    )
    proposal.status = ProposalStatus.APPROVED
    proposal.decided_by_id = actor.id
    proposal.decided_at = now
    proposal.decision_note = data.note
    proposal.document_id = document.id
    await session.flush()
    await record(
        session,
        actor_id=actor.id,
        action="precedent.approve",
        entity="case",
        entity_id=case.id,
        data={"proposal_id": proposal.id, "document_id": document.id, "scope": proposal.scope},
    )
    await _decided(session, proposal, True)
    await propose_from_precedent(session, proposal, approver=actor, now=now)
    return proposal


async def reject(
    session: AsyncSession,
    *,
    actor: User,
    proposal_id: int,
    note: str | None = None,
    now: datetime | None = None,
) -> PrecedentProposal:
    """Decline a proposal with an optional reason; the proposer is told."""
    require_admin(actor, texts.ADMIN_ONLY)
    proposal = await get_proposal(session, actor=actor, proposal_id=proposal_id)
    if proposal.status == ProposalStatus.REJECTED:
        return proposal
    if not await _decide(session, proposal.id, ProposalStatus.REJECTED):
        raise conflict("Đề xuất này đã được xử lý.")
    proposal.status = ProposalStatus.REJECTED
    proposal.decided_by_id = actor.id
    proposal.decided_at = now or utcnow()
    proposal.decision_note = note
    await session.flush()
    await record(
        session,
        actor_id=actor.id,
        action="precedent.reject",
        entity="case",
        entity_id=proposal.case_id,
        data={"proposal_id": proposal.id, "note": note},
    )
    await _decided(session, proposal, False)
    return proposal
