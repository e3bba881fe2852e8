"""Situation drills: make a draft from an approved precedent or a knowledge-base clause, edit,
publish, answer, and each cadre's rhythm.

Who may do what (built on core.users.authz): admins manage every drill; supervisors manage the
drills scoped to a unit they supervise and see the drills for every unit; the author sees their
own drafts; a cadre sees the drills sent to them. Every change is audited (entity "drill");
messages go through the outbox. Scheduling is in core.drills.scheduled.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import record
from core.cases.access import supervised_ids
from core.cases.calendar import WorkCalendar, add_working_time
from core.cases.enums import ProposalStatus
from core.cases.models import PrecedentProposal
from core.db import get_row, load_row
from core.drills import texts
from core.drills.enums import DrillSource, DrillStatus
from core.drills.models import DEFAULT_INTERVAL_DAYS, Drill, DrillDelivery, DrillSchedule
from core.drills.schemas import (
    MAX_OPTIONS,
    MIN_OPTIONS,
    DrillAnswer,
    DrillCreate,
    DrillUpdate,
    ScheduleUpdate,
)
from core.errors import conflict, forbidden, invalid, not_found
from core.outbox.service import enqueue
from core.tasks.service import at
from core.users.authz import has_role, is_admin, is_staff, require_role
from core.users.enums import Role
from core.users.models import User
from knowledge.models import Chunk, Document

ANSWER_CHARS = 1500  # a clause's text as the draft's approved answer, cut at a word
CLAUSE_HITS = 10


def same_position(a: str | None, b: str | None) -> bool:
    """Positions are typed by people: compare without case and extra spaces."""
    return " ".join((a or "").split()).casefold() == " ".join((b or "").split()).casefold()


def targets(drill: Drill, position: str | None) -> bool:
    """True when the drill is for this position (a drill without positions is for everyone)."""
    return not drill.positions or any(same_position(p, position) for p in drill.positions)


def can_manage(actor: User, units: set[int], drill: Drill) -> bool:
    """Edit and publish: admins, and supervisors of the drill's unit."""
    if is_admin(actor):
        return True
    return has_role(actor, Role.SUPERVISOR) and drill.unit_id is not None and drill.unit_id in units


def _may_see(actor: User, units: set[int], drill: Drill) -> bool:
    if can_manage(actor, units, drill) or drill.author_id == actor.id:
        return True
    return is_staff(actor) and drill.status != DrillStatus.DRAFT


def _scope_for(actor: User, units: set[int], unit_id: int | None, everywhere: bool) -> int | None:
    """The unit a drill may be scoped to by this actor (every unit: admins only)."""
    if everywhere:
        if not is_admin(actor):
            raise forbidden("Chỉ quản trị viên được giao bài luyện tập cho mọi đơn vị.")
        return None
    if unit_id is None:
        if is_admin(actor):
            return None
        if not units:
            raise forbidden("Bạn không phụ trách đơn vị nào.")
        return min(units)
    if not is_admin(actor) and unit_id not in units:
        raise forbidden("Bạn không phụ trách đơn vị này.")
    return unit_id


def _cut(text: str, limit: int) -> str:
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


async def load_drill(session: AsyncSession, drill_id: int, *, lock: bool = False) -> Drill:
    """The drill re-read from the database (row-locked on PostgreSQL when `lock`)."""
    return await load_row(session, Drill, drill_id, "bài luyện tập", lock=lock)


async def _audit(session: AsyncSession, actor_id: int | None, action: str, drill: Drill,
                 data: dict[str, Any]) -> None:  # fmt: skip
    await record(session, actor_id=actor_id, action=f"drill.{action}", entity="drill",
                 entity_id=drill.id, data=data)  # fmt: skip


def _from_precedent(proposal: PrecedentProposal) -> dict[str, Any]:
    """A draft's fields from an approved precedent: the case's question is the situation, the
    approved answer and its legal basis the answer and citation."""
    case = proposal.case
    basis = (proposal.legal_basis or "").strip()
    citation = f"Tiền lệ {case.number}" + (f"; {basis}" if basis else "")
    return {
        "title": _cut(proposal.title, 300),
        "topic": case.topic or texts.DEFAULT_TOPIC,
        "situation": proposal.question.strip(),
        "answer": proposal.answer.strip(),
        "citation": citation,
        "positions": [case.position] if case.position else [],
        "source_kind": DrillSource.PRECEDENT,
        "precedent_id": proposal.id,
        "document_id": proposal.document_id,
    }


async def _from_clause(session: AsyncSession, chunk_id: int) -> dict[str, Any]:
    """A draft's fields from a knowledge-base passage: its text is the approved answer."""
    chunk = await session.get(Chunk, chunk_id)
    if chunk is None or not chunk.active:
        raise not_found("điều khoản")
    document = await session.get(Document, chunk.document_id)
    heading = chunk.heading or chunk.citation
    return {
        "title": _cut(heading, 300),
        "topic": _cut(document.title if document else heading, 200),
        "situation": "",
        "answer": _cut(chunk.text, ANSWER_CHARS),
        "citation": chunk.citation,
        "positions": list(document.positions) if document else [],
        "source_kind": DrillSource.CLAUSE,
        "chunk_id": chunk.id,
        "document_id": chunk.document_id,
    }


async def create_drill(
    session: AsyncSession, *, actor: User, data: DrillCreate, now: datetime | None = None
) -> Drill:
    """A supervisor's draft from an approved precedent or a clause (published separately)."""
    now = at(now)
    require_role(actor, Role.SUPERVISOR, Role.ADMIN)
    units = await supervised_ids(session, actor)
    if data.precedent_id is not None:
        proposal = await get_row(session, PrecedentProposal, data.precedent_id, "tiền lệ")
        if proposal.status != ProposalStatus.APPROVED:
            raise invalid("Chỉ tạo bài luyện tập từ tiền lệ đã được duyệt.")
        fields = _from_precedent(proposal)
    else:
        assert data.chunk_id is not None
        fields = await _from_clause(session, data.chunk_id)
    fields["unit_id"] = _scope_for(actor, units, data.unit_id, everywhere=False)
    if data.title:
        fields["title"] = data.title.strip()
    if data.situation:
        fields["situation"] = data.situation.strip()
    if data.positions is not None:
        fields["positions"] = [p.strip() for p in data.positions if p.strip()]
    drill = Drill(**fields, author_id=actor.id, status=DrillStatus.DRAFT, created_at=now,
                  updated_at=now)  # fmt: skip
    session.add(drill)
    await session.flush()
    source = f"{drill.source_kind}:{drill.precedent_id or drill.chunk_id}"
    await _audit(session, actor.id, "create", drill, {"source": source})
    return await load_drill(session, drill.id)


async def propose_from_precedent(
    session: AsyncSession,
    proposal: PrecedentProposal,
    *,
    approver: User,
    now: datetime | None = None,
) -> Drill:
    """Called when a precedent is approved: a draft for the precedent's scope, authored by its
    proposer, who is told (with a one-tap publish). One draft per precedent."""
    existing = await session.scalar(select(Drill).where(Drill.precedent_id == proposal.id))
    if existing is not None:
        return existing
    now = at(now)
    unit_id = None if proposal.scope == "national" else proposal.scope_unit_id
    drill = Drill(**_from_precedent(proposal), unit_id=unit_id, author_id=proposal.proposed_by_id,
                  status=DrillStatus.DRAFT, created_at=now, updated_at=now)  # fmt: skip
    session.add(drill)
    await session.flush()
    await _audit(session, approver.id, "propose", drill, {"precedent_id": proposal.id})
    await enqueue(
        session,
        user_id=proposal.proposed_by_id,
        text=texts.draft_proposed(drill, proposal.case.number),
        idempotency_key=f"drill:{drill.id}:proposed",
        buttons=texts.publish_buttons(drill.id),
    )
    return drill


async def list_drills(
    session: AsyncSession, *, actor: User, status: DrillStatus | None = None, limit: int = 200
) -> list[Drill]:
    """Drills the actor may see, newest first."""
    require_role(actor, Role.SUPERVISOR, Role.ADMIN)
    units = await supervised_ids(session, actor)
    stmt = select(Drill).order_by(Drill.id.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(Drill.status == status)
    if not is_admin(actor):
        stmt = stmt.where(
            or_(
                Drill.unit_id.in_(units),
                Drill.author_id == actor.id,
                Drill.status != DrillStatus.DRAFT,
            )
        )
    return list((await session.scalars(stmt)).unique())


async def get_drill(session: AsyncSession, *, actor: User, drill_id: int) -> Drill:
    """One drill: for whoever may manage or see it, and for a cadre it was sent to."""
    drill = await load_drill(session, drill_id)
    units = await supervised_ids(session, actor)
    if actor.active and _may_see(actor, units, drill):
        return drill
    sent = await session.scalar(
        select(DrillDelivery.id).where(
            DrillDelivery.drill_id == drill.id, DrillDelivery.user_id == actor.id
        )
    )
    if sent is None or not actor.active:
        raise not_found("bài luyện tập")
    return drill


def _check_options(options: list[Any], correct: int | None) -> None:
    if options and not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        raise invalid(f"Cần {MIN_OPTIONS}–{MAX_OPTIONS} phương án, hoặc để trống (trả lời tự do).")
    if options and (correct is None or not 0 <= correct < len(options)):
        raise invalid("Hãy chọn phương án đúng.")


async def update_drill(
    session: AsyncSession, *, actor: User, drill_id: int, data: DrillUpdate,
    now: datetime | None = None,
) -> Drill:  # fmt: skip
    """Edit a drill (its author may edit their draft; managers any time)."""
    now = at(now)
    drill = await load_drill(session, drill_id, lock=True)
    units = await supervised_ids(session, actor)
    own_draft = drill.author_id == actor.id and drill.status == DrillStatus.DRAFT
    if not actor.active or not (can_manage(actor, units, drill) or own_draft):
        raise forbidden("Bạn không được sửa bài luyện tập này.")
    changes: dict[str, Any] = {}
    for name in ("title", "topic", "situation", "answer", "citation"):
        value = getattr(data, name)
        if value is not None and value.strip() != getattr(drill, name):
            setattr(drill, name, value.strip())
            changes[name] = True
    if data.options is not None:
        options = [o.strip() for o in data.options if o.strip()]
        correct = data.correct_option if options else None
        _check_options(options, correct)
        if options != drill.options or correct != drill.correct_option:
            drill.options, drill.correct_option = options, correct
            changes["options"] = len(options)
    elif data.correct_option is not None and data.correct_option != drill.correct_option:
        _check_options(drill.options, data.correct_option)
        drill.correct_option = data.correct_option
        changes["options"] = len(drill.options)
    if data.positions is not None:
        positions = [p.strip() for p in data.positions if p.strip()]
        if positions != drill.positions:
            changes["positions"] = drill.positions = positions
    if data.unit_id is not None or data.everywhere:
        unit_id = _scope_for(actor, units, data.unit_id, data.everywhere)
        if unit_id != drill.unit_id:
            changes["unit_id"] = drill.unit_id = unit_id
    if not changes:
        return drill
    drill.version += 1
    drill.updated_at = now
    await session.flush()
    await _audit(session, actor.id, "update", drill, changes)
    return await load_drill(session, drill.id)


async def publish(
    session: AsyncSession, *, actor: User, drill_id: int, now: datetime | None = None
) -> Drill:
    """Publish a complete draft to its positions and unit (a repeated publish is a no-op)."""
    now = at(now)
    drill = await load_drill(session, drill_id, lock=True)
    units = await supervised_ids(session, actor)
    if not can_manage(actor, units, drill):
        raise forbidden(
            "Chỉ người phụ trách đơn vị của bài luyện tập (hoặc quản trị viên) được xuất bản; "
            "hãy chọn đơn vị mình phụ trách trên bảng điều khiển."
        )
    if drill.status == DrillStatus.PUBLISHED:
        return drill
    if len(drill.situation.strip()) < 10:
        raise invalid("Hãy viết tình huống trước khi xuất bản.")
    if not drill.answer.strip():
        raise invalid("Hãy ghi câu trả lời được duyệt trước khi xuất bản.")
    _check_options(drill.options, drill.correct_option)
    drill.status = DrillStatus.PUBLISHED
    drill.published_by_id, drill.published_at = actor.id, now
    drill.version += 1
    drill.updated_at = now
    await session.flush()
    await _audit(session, actor.id, "publish", drill,
                 {"unit_id": drill.unit_id, "positions": drill.positions})  # fmt: skip
    return drill


async def archive(session: AsyncSession, *, actor: User, drill_id: int) -> Drill:
    """Stop delivering a drill; answers already given stay."""
    drill = await load_drill(session, drill_id, lock=True)
    if not can_manage(actor, await supervised_ids(session, actor), drill):
        raise forbidden("Bạn không được lưu trữ bài luyện tập này.")
    if drill.status != DrillStatus.ARCHIVED:
        drill.status = DrillStatus.ARCHIVED
        drill.version += 1
        drill.updated_at = at(None)
        await session.flush()
        await _audit(session, actor.id, "archive", drill, {})
    return drill


async def search_clauses(session: AsyncSession, query: str) -> list[Chunk]:
    """Active passages whose citation or text contains the words typed (to pick a clause)."""
    words = [w for w in query.split() if len(w) > 1][:6]
    if not words:
        return []
    stmt = select(Chunk).where(Chunk.active.is_(True))
    for word in words:
        like = f"%{word}%"
        stmt = stmt.where(or_(Chunk.citation.ilike(like), Chunk.text.ilike(like)))
    return list(await session.scalars(stmt.order_by(Chunk.id).limit(CLAUSE_HITS)))


async def approved_precedents(session: AsyncSession, limit: int = 50) -> list[PrecedentProposal]:
    """Approved precedents, newest first (to pick one as a drill's source)."""
    rows = await session.scalars(
        select(PrecedentProposal)
        .where(PrecedentProposal.status == ProposalStatus.APPROVED)
        .order_by(PrecedentProposal.decided_at.desc(), PrecedentProposal.id.desc())
        .limit(limit)
    )
    return list(rows.unique())


# --- answering -----------------------------------------------------------------------------


async def _own_delivery(session: AsyncSession, actor: User, delivery_id: int) -> DrillDelivery:
    stmt = select(DrillDelivery).where(DrillDelivery.id == delivery_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=DrillDelivery)
    delivery = await session.scalar(stmt.execution_options(populate_existing=True))
    if delivery is None or delivery.user_id != actor.id or not actor.active:
        raise not_found("bài luyện tập")
    return delivery


async def answer(
    session: AsyncSession, *, actor: User, delivery_id: int, data: DrillAnswer,
    now: datetime | None = None,
) -> DrillDelivery:  # fmt: skip
    """Record the cadre's answer once (a repeated tap returns the first answer)."""
    delivery = await _own_delivery(session, actor, delivery_id)
    if delivery.answered_at is not None:
        return delivery
    drill = delivery.drill
    if drill.options:
        if data.choice is None or not 0 <= data.choice < len(drill.options):
            raise invalid("Hãy chọn một phương án.")
        delivery.choice = data.choice
        delivery.correct = data.choice == drill.correct_option
    else:
        if not (data.text or "").strip():
            raise invalid("Hãy gõ câu trả lời của bạn.")
        delivery.free_text = (data.text or "").strip()
    delivery.answered_at = at(now)
    await session.flush()
    await _audit(session, actor.id, "answer", drill,
                 {"delivery_id": delivery.id, "correct": delivery.correct})  # fmt: skip
    return delivery


async def self_check(
    session: AsyncSession, *, actor: User, delivery_id: int, correct: bool
) -> DrillDelivery:
    """A free answer's own comparison with the approved answer (once)."""
    delivery = await _own_delivery(session, actor, delivery_id)
    if delivery.drill.options or delivery.answered_at is None:
        raise conflict("Bài này không cần tự đánh giá.")
    if delivery.correct is None:
        delivery.correct = correct
        await session.flush()
        await _audit(session, actor.id, "self_check", delivery.drill,
                     {"delivery_id": delivery.id, "correct": correct})  # fmt: skip
    return delivery


async def my_delivery(session: AsyncSession, *, actor: User, delivery_id: int) -> DrillDelivery:
    """One drill sent to the actor (NOT_FOUND for anyone else's)."""
    delivery = await session.get(DrillDelivery, delivery_id)
    if delivery is None or delivery.user_id != actor.id or not actor.active:
        raise not_found("bài luyện tập")
    return delivery


async def my_deliveries(
    session: AsyncSession, *, actor: User, unanswered: bool = False, limit: int = 50
) -> list[DrillDelivery]:
    """Drills sent to the actor, newest first."""
    stmt = select(DrillDelivery).where(DrillDelivery.user_id == actor.id)
    if unanswered:
        stmt = stmt.where(DrillDelivery.answered_at.is_(None))
    stmt = stmt.order_by(DrillDelivery.id.desc()).limit(limit)
    return list((await session.scalars(stmt)).unique())


# --- the cadre's rhythm --------------------------------------------------------------------


def next_slot(after: datetime, days: int, calendar: WorkCalendar) -> datetime:
    """`days` after `after`, moved forward into office hours of a working day (past weekends,
    holidays and Tết)."""
    return add_working_time(after + timedelta(days=days), 0, calendar)


async def get_schedule(
    session: AsyncSession, *, actor: User, calendar: WorkCalendar, now: datetime | None = None
) -> DrillSchedule:
    """The actor's schedule (the default, unsaved, when they never changed it)."""
    item = await session.get(DrillSchedule, actor.id)
    if item is None:
        now = at(now)
        item = DrillSchedule(user_id=actor.id, interval_days=DEFAULT_INTERVAL_DAYS,
                             paused=False, next_at=add_working_time(now, 0, calendar),
                             updated_at=now)  # fmt: skip
    return item


async def set_schedule(
    session: AsyncSession, *, actor: User, data: ScheduleUpdate, calendar: WorkCalendar,
    now: datetime | None = None,
) -> DrillSchedule:  # fmt: skip
    """Change the interval or pause/resume; the next drill is re-planned from the last one."""
    require_role(actor, Role.CADRE, Role.SUPERVISOR, Role.ADMIN)
    now = at(now)
    item = await session.get(DrillSchedule, actor.id)
    if item is None:
        item = await get_schedule(session, actor=actor, calendar=calendar, now=now)
        session.add(item)
    changes: dict[str, Any] = {}
    if data.interval_days is not None and data.interval_days != item.interval_days:
        changes["interval_days"] = item.interval_days = data.interval_days
    if data.paused is not None and data.paused != item.paused:
        changes["paused"] = item.paused = data.paused
    if not changes:
        return item
    base = item.last_sent_at
    item.next_at = (
        next_slot(base, item.interval_days, calendar)
        if base is not None
        else add_working_time(now, 0, calendar)
    )
    if item.next_at < now:
        item.next_at = add_working_time(now, 0, calendar)
    item.updated_at = now
    await session.flush()
    await record(session, actor_id=actor.id, action="drill.schedule", entity="user",
                 entity_id=actor.id, data=changes)  # fmt: skip
    return item
