"""Commend an official in one step, show a unit's board, and suggest candidates.

A commendation names its source (a finished hard task, an answered case, an approved precedent)
and the official behind it: the task's owner, the one who answered, the one whose answer
became guidance. Supervisors commend people of their units, admins anyone; nobody commends
themselves. Audited ("recognition.commend"), told to the official through the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import record
from core.cases.access import supervised_ids
from core.cases.enums import CaseStatus, ProposalStatus
from core.cases.flows import supervisor_ids
from core.cases.models import Case, PrecedentProposal
from core.db import get_row
from core.errors import conflict, forbidden, invalid, not_found
from core.outbox.service import Outgoing, enqueue, enqueue_many
from core.recognition import texts
from core.recognition.models import Commendation, PrecedentReuse
from core.recognition.reuse import other_units
from core.recognition.schemas import CommendCreate, SourceKind
from core.tasks.enums import TaskStatus
from core.tasks.models import HardTask
from core.tasks.service import at
from core.users.authz import is_admin, require_role
from core.users.enums import Role
from core.users.models import User

SUGGESTION_DAYS = 30
LONG_PENDING_DAYS = 20  # a task given this many working days or more counts as long-pending


@dataclass(frozen=True)
class Source:
    """What is commended: who did it, and the product's suggested citation."""

    kind: SourceKind
    id: int
    official_id: int
    citation: str
    reason: str


def _task_source(task: HardTask) -> Source:
    on_time = task.closed_at is not None and task.closed_at <= task.due_at
    long = task.working_days >= LONG_PENDING_DAYS
    reason = texts.REASON_TASK_LONG if long else texts.REASON_TASK_ON_TIME
    citation = texts.task_citation(task.title, on_time)
    return Source(SourceKind.TASK, task.id, task.owner_id, citation, reason)


def _case_source(case: Case) -> Source:
    assert case.answered_by_id is not None and case.answered_at is not None
    early = case.answered_at <= case.remind_50_at
    citation = texts.case_citation(case.number, early)
    return Source(SourceKind.CASE, case.id, case.answered_by_id, citation, texts.REASON_CASE_EARLY)


def _precedent_source(proposal: PrecedentProposal, reused: int = 0) -> Source:
    """An approved precedent; `reused`: how many other communes it taught (the stronger reason)."""
    author = proposal.case.answered_by_id or proposal.proposed_by_id
    number, title = proposal.case.number, proposal.title
    if reused:
        citation = texts.reused_citation(number, title, reused)
        return Source(SourceKind.PRECEDENT, proposal.id, author, citation,
                      texts.reason_reused(reused))  # fmt: skip
    citation = texts.precedent_citation(number, title)
    return Source(SourceKind.PRECEDENT, proposal.id, author, citation, texts.REASON_PRECEDENT)


async def resolve(session: AsyncSession, kind: SourceKind, source_id: int) -> Source:
    """The source and its official; INVALID when it is not (yet) something to commend."""
    if kind == SourceKind.TASK:
        task = await get_row(session, HardTask, source_id, "việc khó")
        if task.status != TaskStatus.DONE:
            raise invalid(f"Việc khó #{task.id} chưa hoàn thành nên chưa thể biểu dương.")
        return _task_source(task)
    if kind == SourceKind.CASE:
        case = await get_row(session, Case, source_id, "xin ý kiến")
        if case.answered_by_id is None or case.answered_at is None:
            raise invalid(f"Xin ý kiến {case.number} chưa được trả lời nên chưa thể biểu dương.")
        return _case_source(case)
    proposal = await get_row(session, PrecedentProposal, source_id, "tiền lệ")
    if proposal.status != ProposalStatus.APPROVED:
        raise invalid("Đề xuất tiền lệ này chưa được duyệt nên chưa thể biểu dương.")
    reused = await other_units(session, [proposal.id])
    return _precedent_source(proposal, reused.get(proposal.id, 0))


async def commend(
    session: AsyncSession, *, actor: User, data: CommendCreate, now: datetime | None = None
) -> Commendation:
    """Commend the official behind a source; a second commendation of the same returns the first."""
    require_role(actor, Role.SUPERVISOR, Role.ADMIN)
    source = await resolve(session, data.source_kind, data.source_id)
    official = await session.get(User, source.official_id)
    if official is None or not official.active:
        raise not_found("người được biểu dương")
    if official.id == actor.id:
        raise conflict("Không thể tự biểu dương chính mình.")
    units = await supervised_ids(session, actor)
    if not is_admin(actor) and official.unit_id not in units:
        raise forbidden("Bạn chỉ biểu dương được người thuộc đơn vị mình phụ trách.")
    existing = await session.scalar(
        select(Commendation).where(
            Commendation.user_id == official.id,
            Commendation.source_kind == source.kind.value,
            Commendation.source_id == source.id,
        )
    )
    if existing is not None:
        return existing
    item = Commendation(
        user_id=official.id,
        unit_id=official.unit_id,
        by_id=actor.id,
        citation=(data.citation or "").strip() or source.citation,
        source_kind=source.kind.value,
        source_id=source.id,
        created_at=at(now),
    )
    session.add(item)
    await session.flush()
    await session.refresh(item)
    await record(
        session,
        actor_id=actor.id,
        action="recognition.commend",
        entity="commendation",
        entity_id=item.id,
        data={"user_id": official.id, "source": f"{source.kind.value}:{source.id}"},
    )
    await enqueue(
        session,
        user_id=official.id,
        text=texts.to_official(item),
        idempotency_key=f"commend:{item.id}:u{official.id}",
    )
    return item


async def offer_case(session: AsyncSession, case: Case) -> int:
    """After an answer is delivered before half the case's deadline, offer the answerer's
    fellow supervisors a one-tap commendation in Telegram (outbox); returns how many were told.
    Nobody else may commend them (see `commend`), and a late answer is not offered."""
    if case.answered_by_id is None or case.answered_at is None:
        return 0
    if case.answered_at > case.remind_50_at:
        return 0
    answerer = await session.get(User, case.answered_by_id)
    if answerer is None:
        return 0
    peers = [u for u in await supervisor_ids(session, answerer.unit_id) if u != answerer.id]
    text = texts.case_answered_early(case.number, answerer.full_name)
    buttons = texts.commend_case_buttons(case.id)
    return await enqueue_many(
        session, [Outgoing(u, text, f"commend-offer:case:{case.id}:u{u}", buttons) for u in peers]
    )


async def board(
    session: AsyncSession, *, actor: User, unit_id: int, limit: int = 100
) -> list[Commendation]:
    """A unit's commendations, newest first: for its members, its supervisors and admins."""
    units = await supervised_ids(session, actor)
    if not is_admin(actor) and unit_id != actor.unit_id and unit_id not in units:
        raise forbidden("Bạn không xem được bảng biểu dương của đơn vị này.")
    rows = await session.scalars(
        select(Commendation)
        .where(Commendation.unit_id == unit_id)
        .order_by(Commendation.created_at.desc(), Commendation.id.desc())
        .limit(limit)
    )
    return list(rows.unique())


async def suggestions(
    session: AsyncSession, *, actor: User, now: datetime | None = None
) -> list[tuple[Source, User]]:
    """Candidates from the last SUGGESTION_DAYS in the actor's units, not yet commended:
    tasks finished on time or long-pending, cases answered before half their deadline, answers
    approved as guidance or reused by other communes. Only proposals; a person decides."""
    require_role(actor, Role.SUPERVISOR, Role.ADMIN)
    since = at(now) - timedelta(days=SUGGESTION_DAYS)
    units = await supervised_ids(session, actor)
    people = select(User.id).where(User.active.is_(True))
    if not is_admin(actor):
        people = people.where(User.unit_id.in_(units))
    tasks = await session.scalars(
        select(HardTask).where(
            HardTask.status == TaskStatus.DONE,
            HardTask.closed_at >= since,
            HardTask.owner_id.in_(people),
        )
    )
    cases = await session.scalars(
        select(Case).where(
            Case.status.in_([CaseStatus.ANSWERED, CaseStatus.CLOSED]),
            Case.answered_at >= since,
            Case.answered_at <= Case.remind_50_at,
            Case.answered_by_id.in_(people),
        )
    )
    recently_reused = select(PrecedentReuse.proposal_id).where(PrecedentReuse.created_at >= since)
    proposals = list(
        (
            await session.scalars(
                select(PrecedentProposal)
                .join(Case, Case.id == PrecedentProposal.case_id)
                .where(
                    PrecedentProposal.status == ProposalStatus.APPROVED,
                    or_(
                        PrecedentProposal.decided_at >= since,
                        PrecedentProposal.id.in_(recently_reused),
                    ),
                    Case.answered_by_id.in_(people),
                )
            )
        ).unique()
    )
    reused = await other_units(session, [p.id for p in proposals])
    sources = [_task_source(t) for t in tasks.unique() if _worth(t)]
    sources += [_case_source(c) for c in cases.unique()]
    sources += [_precedent_source(p, reused.get(p.id, 0)) for p in proposals]
    done = await _commended(session, [(s.kind.value, s.id) for s in sources])
    fresh = [s for s in sources if (s.kind.value, s.id) not in done and s.official_id != actor.id]
    names = {u.id: u for u in await _users(session, {s.official_id for s in fresh})}
    return [(s, names[s.official_id]) for s in fresh if s.official_id in names]


async def _commended(session: AsyncSession, keys: list[tuple[str, int]]) -> set[tuple[str, int]]:
    """Which of these (kind, id) sources already have a commendation."""
    if not keys:
        return set()
    rows = await session.execute(
        select(Commendation.source_kind, Commendation.source_id).where(
            tuple_(Commendation.source_kind, Commendation.source_id).in_(keys)
        )
    )
    return set(rows.tuples())


def _worth(task: HardTask) -> bool:
    on_time = task.closed_at is not None and task.closed_at <= task.due_at
    return on_time or task.working_days >= LONG_PENDING_DAYS


async def _users(session: AsyncSession, ids: set[int]) -> list[User]:
    if not ids:
        return []
    return list((await session.scalars(select(User).where(User.id.in_(ids)))).unique())
