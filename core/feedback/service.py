"""Log answered questions and record the asker's 👍/👎 feedback (with an optional reason)."""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import record
from core.db import utcnow
from core.errors import invalid, not_found
from core.feedback.models import QuestionLog

Verdict = Literal["helpful", "unhelpful"]
MAX_REASON_CHARS = 1000


async def log_question(
    session: AsyncSession,
    *,
    user_id: int,
    unit_id: int | None,
    query: str,
    passages: list[dict[str, Any]],
    confidence: float,
    novel: bool,
) -> QuestionLog:
    """Store a question with the passages shown for it; returns the log entry."""
    entry = QuestionLog(
        user_id=user_id,
        unit_id=unit_id,
        query=query,
        passages=passages,
        confidence=confidence,
        novel=novel,
    )
    session.add(entry)
    await session.flush()
    return entry


async def get_own(session: AsyncSession, *, question_id: int, user_id: int) -> QuestionLog:
    """A logged question, only for the person who asked it."""
    entry = await session.get(QuestionLog, question_id)
    if entry is None or entry.user_id != user_id:
        raise not_found("câu hỏi")
    return entry


async def set_feedback(
    session: AsyncSession,
    *,
    question_id: int,
    user_id: int,
    verdict: Verdict,
    reason: str | None = None,
) -> QuestionLog:
    """Record (or change) the asker's verdict; a repeated identical verdict changes nothing."""
    if verdict not in ("helpful", "unhelpful"):
        raise invalid("Đánh giá không hợp lệ.")
    if reason is not None and len(reason) > MAX_REASON_CHARS:
        raise invalid(f"Lý do dài quá {MAX_REASON_CHARS} ký tự.")
    entry = await get_own(session, question_id=question_id, user_id=user_id)
    if entry.feedback == verdict and (reason is None or reason == entry.feedback_reason):
        return entry
    entry.feedback = verdict
    if reason is not None:
        entry.feedback_reason = reason
    entry.feedback_at = utcnow()
    await session.flush()
    await record(
        session,
        actor_id=user_id,
        action="question.feedback",
        entity="question",
        entity_id=entry.id,
        data={"verdict": verdict, "reason": reason},
    )
    return entry


async def link_case(session: AsyncSession, *, question_id: int, case_id: int) -> None:
    """Remember that a logged question was escalated into a case."""
    entry = await session.get(QuestionLog, question_id)
    if entry is not None:
        entry.case_id = case_id
        await session.flush()


async def counts(session: AsyncSession) -> dict[str, int]:
    """Totals for statistics: questions, not covered, helpful, unhelpful, escalated."""
    row = (
        await session.execute(
            select(
                func.count(QuestionLog.id),
                func.count(QuestionLog.id).filter(QuestionLog.novel.is_(True)),
                func.count(QuestionLog.id).filter(QuestionLog.feedback == "helpful"),
                func.count(QuestionLog.id).filter(QuestionLog.feedback == "unhelpful"),
                func.count(QuestionLog.case_id),
            )
        )
    ).one()
    keys = ("questions", "not_covered", "helpful", "unhelpful", "escalated")
    return {k: int(v or 0) for k, v in zip(keys, row, strict=True)}
