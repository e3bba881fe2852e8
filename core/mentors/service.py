"""Mentoring: volunteer for one's position, find mentors for a cadre, ask one informally from a
logged (not-covered) question, and reply. Every change is audited; messages go through the
outbox; peer advice is always marked as not official (core.mentors.texts)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import record
from core.drills.service import same_position
from core.errors import invalid, not_found
from core.feedback.models import QuestionLog
from core.mentors import texts
from core.mentors.models import Mentor, MentorRequest
from core.outbox.service import enqueue
from core.tasks.service import at
from core.users.authz import require_role
from core.users.enums import Role
from core.users.models import User

PEOPLE = (Role.CADRE, Role.SUPERVISOR, Role.ADMIN)
SHOWN = 3


async def get_mentor(session: AsyncSession, actor: User) -> Mentor | None:
    return await session.get(Mentor, actor.id)


async def volunteer(
    session: AsyncSession, *, actor: User, on: bool, now: datetime | None = None
) -> Mentor | None:
    """Offer (or stop offering) informal help to cadres of the actor's own position."""
    require_role(actor, *PEOPLE)
    now = at(now)
    if not actor.position:
        raise invalid("Hồ sơ của bạn chưa có chức danh nên chưa thể nhận hỗ trợ đồng nghiệp.")
    mentor = await session.get(Mentor, actor.id)
    if mentor is None:
        if not on:
            return None
        mentor = Mentor(user_id=actor.id, position=actor.position, active=True, created_at=now,
                        updated_at=now)  # fmt: skip
        session.add(mentor)
    elif mentor.active == on and mentor.position == actor.position:
        return mentor
    else:
        mentor.active, mentor.position, mentor.updated_at = on, actor.position, now
    await session.flush()
    await record(session, actor_id=actor.id, action="mentor.volunteer" if on else "mentor.withdraw",
                 entity="user", entity_id=actor.id, data={"position": actor.position})  # fmt: skip
    return mentor


async def mentors_for(session: AsyncSession, *, actor: User, limit: int = SHOWN) -> list[Mentor]:
    """Active mentors of the actor's position (never the actor), least busy first."""
    if not actor.position:
        return []
    open_requests = (
        select(func.count(MentorRequest.id))
        .where(MentorRequest.mentor_id == Mentor.user_id, MentorRequest.replied_at.is_(None))
        .scalar_subquery()
    )
    rows = await session.scalars(
        select(Mentor)
        .join(User, User.id == Mentor.user_id)
        .where(Mentor.active.is_(True), User.active.is_(True), Mentor.user_id != actor.id)
        .order_by(open_requests, Mentor.user_id)
    )
    fitting = [m for m in rows.unique() if same_position(m.position, actor.position)]
    return fitting[:limit]


async def ask(
    session: AsyncSession, *, actor: User, mentor_id: int, question_id: int,
    now: datetime | None = None,
) -> MentorRequest:  # fmt: skip
    """Send the actor's logged question to a mentor of their position (once per mentor)."""
    require_role(actor, *PEOPLE)
    logged = await session.get(QuestionLog, question_id)
    if logged is None or logged.user_id != actor.id:
        raise not_found("câu hỏi")
    if mentor_id not in {m.user_id for m in await mentors_for(session, actor=actor, limit=1000)}:
        raise not_found("đồng nghiệp hỗ trợ")
    existing = await session.scalar(
        select(MentorRequest).where(
            MentorRequest.asker_id == actor.id,
            MentorRequest.mentor_id == mentor_id,
            MentorRequest.question_id == question_id,
        )
    )
    if existing is not None:
        return existing
    request = MentorRequest(asker_id=actor.id, mentor_id=mentor_id, question_id=question_id,
                            question=logged.query, created_at=at(now))  # fmt: skip
    session.add(request)
    await session.flush()
    request = await _load(session, request.id)
    data = {"mentor_id": mentor_id, "request_id": request.id}
    await record(session, actor_id=actor.id, action="mentor.ask", entity="question",
                 entity_id=question_id, data=data)  # fmt: skip
    await enqueue(session, user_id=mentor_id, text=texts.to_mentor(request),
                  idempotency_key=f"mentor:{request.id}:asked",
                  buttons=texts.reply_buttons(request.id))  # fmt: skip
    return request


async def _load(session: AsyncSession, request_id: int) -> MentorRequest:
    stmt = select(MentorRequest).where(MentorRequest.id == request_id)
    request = await session.scalar(stmt.execution_options(populate_existing=True))
    if request is None:
        raise not_found("câu hỏi của đồng nghiệp")
    return request


async def get_request(session: AsyncSession, *, actor: User, request_id: int) -> MentorRequest:
    """A request addressed to the actor (NOT_FOUND for anyone else)."""
    request = await _load(session, request_id)
    if request.mentor_id != actor.id or not actor.active:
        raise not_found("câu hỏi của đồng nghiệp")
    return request


async def reply(
    session: AsyncSession, *, actor: User, request_id: int, text: str,
    now: datetime | None = None,
) -> MentorRequest:  # fmt: skip
    """The mentor's reply, sent to the asker marked as peer advice (once)."""
    request = await get_request(session, actor=actor, request_id=request_id)
    if request.replied_at is not None:
        return request
    request.reply, request.replied_at = text.strip(), at(now)
    await session.flush()
    await record(session, actor_id=actor.id, action="mentor.reply", entity="question",
                 entity_id=request.question_id, data={"request_id": request.id})  # fmt: skip
    await enqueue(session, user_id=request.asker_id, text=texts.to_asker(request),
                  idempotency_key=f"mentor:{request.id}:replied",
                  buttons=texts.formal(request.question_id))  # fmt: skip
    return request
