"""Fast-approval queue services: the functions the bot, the API and the web console call.

All take `session` first and keyword-only arguments, check access, write an audit entry and
outbox notifications in the caller's transaction, flush, and never commit. They return the case
re-read with its relations (`asker`, `unit`, `level_unit`, `assignee`, `answered_by`).

| Function      | Who                          | What                                           |
|---------------|------------------------------|------------------------------------------------|
| create_case   | any active user (the asker)  | new case; level supervisors told, with buttons |
| get_case      | who may see it               | one case (NOT_FOUND when hidden)               |
| list_cases    | anyone (filtered by access)  | (cases, total) with CaseFilter + paging        |
| queue         | supervisor / admin           | open cases they may act on, nearest due first  |
| history       | who may see it               | the case's audit entries, oldest first         |
| claim         | level supervisor / admin     | atomic: one winner, losers get CONFLICT        |
| answer        | assignee (claims if free)    | answer + receipt; resolves its duplicates      |
| forward       | who may act (ladder.py)      | up the ladder or to a named supervisor         |
| withdraw      | the asker / admin            | open -> withdrawn                              |
| give_feedback | the asker                    | helpful / unhelpful; closes an answered case   |
| close         | asker, answerer, admin       | answered -> closed                             |
| expire        | admin                        | open -> expired (no longer relevant)           |

withdraw, give_feedback, close and expire live in core.cases.endings (re-exported here).
Deadline sweeps: core.cases.scheduled.sweep. Precedents: core.cases.precedents.
Stats: core.cases.stats. Delivery: core.outbox.worker.deliver_due.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import uuid4
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.models import AuditEntry
from core.audit.service import record
from core.cases import texts
from core.cases.access import (
    acting_on,
    actionable_clause,
    can_view,
    supervised_ids,
    visible_clause,
)
from core.cases.actions import action_buttons, level_actions
from core.cases.duplicates import QueryEncoder, embed_question, link_duplicates
from core.cases.endings import close, expire, give_feedback, withdraw
from core.cases.enums import CLAIMABLE_STATUSES, OPEN_STATUSES, STATUS_LABELS, CaseStatus
from core.cases.flows import level_recipients, route_level, tell, tell_files, unit_name
from core.cases.ladder import forward
from core.cases.models import Case
from core.cases.schemas import CaseAnswer, CaseCreate, CaseFilter, PassageSnapshot
from core.cases.store import guarded_update, load_case, lock_group, window_values
from core.config import Settings
from core.db import utcnow
from core.errors import DomainError, conflict, forbidden, not_found
from core.users.authz import is_admin
from core.users.models import User
from core.users.topics import MAX_TOPIC_CHARS, clean_topic
from knowledge.models import Chunk

__all__ = [
    "answer",
    "claim",
    "close",
    "create_case",
    "expire",
    "forward",
    "get_case",
    "give_feedback",
    "history",
    "list_cases",
    "queue",
    "withdraw",
]

VN = ZoneInfo("Asia/Ho_Chi_Minh")


async def _snapshot(
    session: AsyncSession, passages: Sequence[PassageSnapshot]
) -> list[dict[str, object]]:
    """Freeze retrieved passages, filling each one's document version from its chunk."""
    chunk_ids = [p.chunk_id for p in passages if p.chunk_id is not None and p.version_id is None]
    versions: dict[int, tuple[int, int]] = {}
    if chunk_ids:
        rows = await session.execute(
            select(Chunk.id, Chunk.version_id, Chunk.document_id).where(Chunk.id.in_(chunk_ids))
        )
        versions = {cid: (vid, did) for cid, vid, did in rows.tuples()}
    out = []
    for p in passages:
        item = p.model_dump()
        if p.chunk_id in versions:
            item["version_id"], item["document_id"] = versions[p.chunk_id]
        out.append(item)
    return out


def _topic(given: str | None, position: str | None) -> str | None:
    """The case's topic: the one given, else the asker's position (chức danh names their field
    of work, so the bot's cases are routed by topic without asking)."""
    topic = clean_topic(given) or clean_topic(position)
    return topic[:MAX_TOPIC_CHARS].rstrip() if topic else None


async def create_case(
    session: AsyncSession,
    *,
    actor: User,
    data: CaseCreate,
    settings: Settings,
    embedder: QueryEncoder | None = None,
    now: datetime | None = None,
    receipt: bool = True,
) -> Case:
    """Open a case for the asker; route it to the first level with supervisors and tell them.

    The asker's receipt goes through the outbox unless `receipt` is False (a front that
    confirms at once, like the bot, sends the same text itself)."""
    if not actor.active:
        raise forbidden()
    now = now or utcnow()
    level = await route_level(session, actor.unit_id)
    case = Case(
        number=f"tmp-{uuid4().hex[:24]}",  # replaced once the id is known
        asker_id=actor.id,
        unit_id=actor.unit_id,
        position=actor.position,
        question=data.question.strip(),
        passages=await _snapshot(session, data.passages),
        confidence=data.confidence,
        urgency=data.urgency,
        topic=_topic(data.topic, actor.position),
        attachments=[a.model_dump(exclude_none=True) for a in data.attachments],
        status=CaseStatus.NEW,
        level_unit_id=level,
        embedding=await embed_question(embedder, data.question),
        created_at=now,
        updated_at=now,
        **window_values(settings, data.urgency, now),
    )
    session.add(case)
    await session.flush()
    case.number = f"XYK-{now.astimezone(VN).year}-{case.id:06d}"
    linked = await link_duplicates(session, case=case, threshold=settings.duplicate_similarity)
    await session.flush()
    case = await load_case(session, case.id)
    await record(
        session,
        actor_id=actor.id,
        action="case.create",
        entity="case",
        entity_id=case.id,
        data={
            "number": case.number,
            "urgency": case.urgency,
            "level_unit_id": level,
            "due_at": case.due_at,
            "duplicate_group_id": linked[0] if linked else None,
            "similarity": round(linked[1], 4) if linked else None,
        },
    )
    unit = await unit_name(session, actor.unit_id)
    recipients = await level_recipients(session, level, topic=case.topic, asker=actor.id)
    text = texts.new_case(case, actor.full_name, unit)
    await tell(
        session,
        case,
        "new",
        recipients,
        text,
        action_buttons(case.id, level_actions(case)),
        skip=[actor.id],
    )
    await tell_files(session, case, "new", [r for r in recipients if r != actor.id])
    if receipt:
        await tell(session, case, "created", [actor], texts.created_receipt(case))
    return case


async def get_case(session: AsyncSession, *, actor: User, case_id: int) -> Case:
    """One case the actor may see; hidden cases are reported as not found."""
    case = await load_case(session, case_id)
    if not can_view(actor, await supervised_ids(session, actor), case):
        raise not_found("xin ý kiến")
    return case


def _filters(f: CaseFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if f.status:
        conds.append(Case.status.in_([s.value for s in f.status]))
    for column, value in (
        (Case.unit_id, f.unit_id),
        (Case.level_unit_id, f.level_unit_id),
        (Case.topic, f.topic),
        (Case.urgency, f.urgency),
        (Case.asker_id, f.asker_id),
        (Case.assignee_id, f.assignee_id),
        (Case.duplicate_group_id, f.duplicate_group_id),
    ):
        if value is not None:
            conds.append(column == value)
    if f.created_from is not None:
        conds.append(Case.created_at >= f.created_from)
    if f.created_to is not None:
        conds.append(Case.created_at < f.created_to)
    return conds


async def list_cases(
    session: AsyncSession,
    *,
    actor: User,
    filters: CaseFilter | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Case], int]:
    """A page of the cases the actor may see, and the total matching count."""
    f = filters or CaseFilter()
    where = [visible_clause(actor, await supervised_ids(session, actor)), *_filters(f)]
    total = await session.scalar(select(func.count()).select_from(Case).where(*where)) or 0
    order = (Case.due_at.asc(), Case.id) if f.order == "due" else (Case.id.desc(),)
    rows = await session.scalars(
        select(Case).where(*where).order_by(*order).limit(max(1, min(limit, 500))).offset(offset)
    )
    return list(rows.unique()), total


async def queue(session: AsyncSession, *, actor: User, limit: int = 50) -> list[Case]:
    """Open cases the actor may act on, nearest deadline first (the /hangdoi view)."""
    units = await supervised_ids(session, actor)
    rows = await session.scalars(
        select(Case)
        .where(actionable_clause(actor, units), Case.status.in_(OPEN_STATUSES))
        .order_by(Case.due_at.asc(), Case.id)
        .limit(limit)
    )
    return list(rows.unique())


async def history(session: AsyncSession, *, actor: User, case_id: int) -> list[AuditEntry]:
    """Every audit entry about the case, oldest first."""
    await get_case(session, actor=actor, case_id=case_id)
    rows = await session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == "case", AuditEntry.entity_id == str(case_id))
        .order_by(AuditEntry.id)
    )
    return list(rows)


def _not_claimable(case: Case) -> DomainError:
    if case.status == CaseStatus.CLAIMED and case.assignee is not None:
        return conflict(
            f"Trường hợp này đã được {case.assignee.full_name} nhận xử lý.",
            assignee_id=case.assignee_id,
        )
    label = STATUS_LABELS[CaseStatus(case.status)]
    return conflict(f"Xin ý kiến {case.number} đang ở trạng thái “{label}”, không thể nhận xử lý.")


async def _take(session: AsyncSession, actor: User, case: Case, now: datetime) -> Case:
    """The atomic claim: exactly one concurrent caller's UPDATE matches a claimable row."""
    won = await guarded_update(
        session,
        case.id,
        [Case.status.in_([s.value for s in CLAIMABLE_STATUSES])],
        {"status": CaseStatus.CLAIMED, "assignee_id": actor.id, "claimed_at": now},
        now=now,
    )
    case = await load_case(session, case.id)
    if not won:
        raise _not_claimable(case)
    await record(
        session,
        actor_id=actor.id,
        action="case.claim",
        entity="case",
        entity_id=case.id,
        data={"number": case.number, "level_unit_id": case.level_unit_id},
    )
    return case


async def claim(
    session: AsyncSession, *, actor: User, case_id: int, now: datetime | None = None
) -> Case:
    """Take a case; of concurrent claimers exactly one wins, the others get CONFLICT naming them."""
    now = now or utcnow()
    case = await acting_on(session, actor, case_id)
    if case.status == CaseStatus.CLAIMED and case.assignee_id == actor.id:
        return case  # a repeated tap or request: already theirs
    case = await _take(session, actor, case, now)
    await tell(session, case, "claimed", [case.asker_id], texts.claimed(case, actor.full_name))
    return case


async def answer(
    session: AsyncSession,
    *,
    actor: User,
    case_id: int,
    data: CaseAnswer,
    now: datetime | None = None,
) -> Case:
    """Answer a case (claiming it first if nobody has); every duplicate in its group is answered."""
    from core.cases.resolution import deliver_answer  # late import: resolution uses this module

    now = now or utcnow()
    case = await acting_on(session, actor, case_id)
    await lock_group(session, case)
    retried = case.answered_by_id == actor.id and case.answer == data.text.strip()
    if case.status == CaseStatus.ANSWERED and retried:
        return case  # a retried request
    if case.status in CLAIMABLE_STATUSES:
        case = await _take(session, actor, case, now)
    guards = [Case.status == CaseStatus.CLAIMED]
    if not is_admin(actor):
        guards.append(Case.assignee_id == actor.id)
    values = {
        "status": CaseStatus.ANSWERED,
        "answer": data.text.strip(),
        "legal_basis": (data.legal_basis or "").strip() or None,
        "answered_by_id": actor.id,
        "answered_at": now,
    }
    if not await guarded_update(session, case.id, guards, values, now=now):
        case = await load_case(session, case.id)
        if case.status == CaseStatus.CLAIMED:
            raise forbidden(f"Xin ý kiến {case.number} đang do người khác xử lý.")
        raise _not_claimable(case)
    return await deliver_answer(session, actor=actor, case_id=case.id, now=now)
