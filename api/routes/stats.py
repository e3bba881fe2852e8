"""Statistics (supervisors: their units; admins: everything): the queue and the questions."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from api.deps import CtxDep, SessionDep, roles
from core.cases import stats as case_stats
from core.inputs import Id, LocalDateTime
from core.stats import questions as question_stats
from core.users.enums import Role
from core.users.models import User

router = APIRouter(prefix="/stats", tags=["stats"])
Staff = Annotated[User, Depends(roles(Role.SUPERVISOR, Role.ADMIN))]


class UnitLine(BaseModel):
    """SLA figures of one unit (where the questions arose)."""

    unit_id: int
    unit_name: str
    total: int
    open: int
    answered: int
    on_time: int
    overdue_open: int
    sla_rate: float | None = Field(description="Tỉ lệ trả lời đúng hạn (0-1)")


class CaseStatsOut(BaseModel):
    """Queue figures: by status, topic and unit; SLA compliance; median time to answer."""

    total: int
    by_status: dict[str, int]
    by_topic: dict[str, int]
    by_unit: list[UnitLine]
    answered: int
    on_time: int
    overdue_open: int
    sla_rate: float | None = Field(description="Tỉ lệ trả lời đúng hạn (0-1)")
    median_hours_to_answer: float | None
    median_working_hours_to_answer: float | None
    feedback: dict[str, int]


class QuestionOut(BaseModel):
    """A logged question."""

    id: int
    query: str
    confidence: float
    novel: bool
    unit_id: int | None
    feedback: str | None
    feedback_reason: str | None
    escalated: bool
    created_at: datetime


class QuestionStatsOut(BaseModel):
    """Questions asked: totals, per day, and the latest not-covered, low-confidence and
    unhelpful ones."""

    questions: int
    not_covered: int
    low_confidence: int
    escalated: int
    helpful: int
    unhelpful: int
    per_day: dict[date, int]
    not_covered_recent: list[QuestionOut]
    low_confidence_recent: list[QuestionOut]
    unhelpful_recent: list[QuestionOut]


Since = Annotated[LocalDateTime | None, Query(description="Từ thời điểm (ISO 8601)")]
Until = Annotated[LocalDateTime | None, Query(description="Đến trước thời điểm (ISO 8601)")]


@router.get(
    "/cases",
    response_model=CaseStatsOut,
    summary="Thống kê xin ý kiến",
    description="Theo trạng thái, đơn vị, chủ đề; tỉ lệ đúng hạn (SLA); thời gian trả lời trung "
    "vị (giờ thực và giờ làm việc); đánh giá của người hỏi.",
)
async def cases(
    session: SessionDep,
    ctx: CtxDep,
    user: Staff,
    unit_id: Id | None = None,
    since: Since = None,
    until: Until = None,
) -> CaseStatsOut:
    """Queue statistics within the caller's scope."""
    stats = await case_stats.case_stats(
        session, actor=user, settings=ctx.settings, unit_id=unit_id, since=since, until=until
    )
    return CaseStatsOut(
        total=stats.total,
        by_status=stats.by_status,
        by_topic=stats.by_topic,
        by_unit=[UnitLine(**asdict(u), sla_rate=u.sla_rate) for u in stats.by_unit],
        answered=stats.answered,
        on_time=stats.on_time,
        overdue_open=stats.overdue_open,
        sla_rate=stats.sla_rate,
        median_hours_to_answer=stats.median_hours_to_answer,
        median_working_hours_to_answer=stats.median_working_hours_to_answer,
        feedback=stats.feedback,
    )


@router.get(
    "/questions",
    response_model=QuestionStatsOut,
    summary="Thống kê câu hỏi",
    description="Số câu hỏi, chưa có trong kho tri thức, độ tin cậy thấp, đã chuyển xin ý kiến, "
    "đánh giá hữu ích / chưa đúng; theo ngày; kèm các câu hỏi gần nhất mỗi loại.",
)
async def questions(
    session: SessionDep,
    user: Staff,
    unit_id: Id | None = None,
    since: Since = None,
    until: Until = None,
    low_confidence_below: Annotated[float, Query(ge=0.0, le=1.0)] = 0.7,
    examples: Annotated[int, Query(ge=0, le=100)] = 20,
) -> QuestionStatsOut:
    """Question statistics within the caller's scope."""
    stats = await question_stats.question_stats(
        session,
        actor=user,
        unit_id=unit_id,
        since=since,
        until=until,
        low_confidence_below=low_confidence_below,
        examples=examples,
    )
    return QuestionStatsOut.model_validate(asdict(stats))
