"""Statistics (supervisors: their units; admins: everything): the queue and the questions.

The responses are core's own statistics models, so the wire format has one definition."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import CtxDep, SessionDep, roles
from core.cases import stats as case_stats
from core.cases.stats import CaseStats
from core.inputs import Id, LocalDateTime
from core.stats import questions as question_stats
from core.stats.questions import QuestionStats
from core.users.enums import Role
from core.users.models import User

router = APIRouter(prefix="/stats", tags=["stats"])
Staff = Annotated[User, Depends(roles(Role.SUPERVISOR, Role.ADMIN))]
Since = Annotated[LocalDateTime | None, Query(description="Từ thời điểm (ISO 8601)")]
Until = Annotated[LocalDateTime | None, Query(description="Đến trước thời điểm (ISO 8601)")]


@router.get(
    "/cases",
    response_model=CaseStats,
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
) -> CaseStats:
    """Queue statistics within the caller's scope."""
    return await case_stats.case_stats(
        session, actor=user, settings=ctx.settings, unit_id=unit_id, since=since, until=until
    )


@router.get(
    "/questions",
    response_model=QuestionStats,
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
) -> QuestionStats:
    """Question statistics within the caller's scope."""
    return await question_stats.question_stats(
        session,
        actor=user,
        unit_id=unit_id,
        since=since,
        until=until,
        low_confidence_below=low_confidence_below,
        examples=examples,
    )
