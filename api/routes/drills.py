"""Situation drills: supervisors make a draft from an approved precedent or a clause, edit,
publish and archive it, and see weak topics by unit and position (never by person); cadres
read and answer the drills sent to them and set their own rhythm."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import CtxDep, SessionDep, roles
from api.errors import CONFLICT_RESPONSE, NOT_FOUND_RESPONSE
from core.cases.calendar import calendar_for
from core.drills import service as drills
from core.drills.enums import DrillStatus
from core.drills.schemas import (
    AnswerRead,
    DeliveryRead,
    DrillAnswer,
    DrillCreate,
    DrillRead,
    DrillUpdate,
    ScheduleRead,
    ScheduleUpdate,
    WeakTopicRead,
)
from core.drills.weak import weak_topics
from core.inputs import Id, Line
from core.users.enums import Role
from core.users.models import User

router = APIRouter(tags=["drills"])
Participant = Annotated[User, Depends(roles(Role.CADRE, Role.SUPERVISOR, Role.ADMIN))]
Staff = Annotated[User, Depends(roles(Role.SUPERVISOR, Role.ADMIN))]
Cadre = Annotated[User, Depends(roles(Role.CADRE))]
RESPONSES = {**NOT_FOUND_RESPONSE, **CONFLICT_RESPONSE}


@router.get(
    "/drills",
    response_model=list[DrillRead],
    summary="Bài luyện tập tình huống",
    description="Người phụ trách thấy bài của đơn vị mình, bản nháp mình soạn và mọi bài đã "
    "xuất bản; quản trị viên thấy tất cả. Mới nhất trước.",
)
async def list_drills(
    session: SessionDep, user: Staff, status: Annotated[DrillStatus | None, Query()] = None
) -> list[DrillRead]:
    rows = await drills.list_drills(session, actor=user, status=status)
    return [DrillRead.model_validate(d) for d in rows]


@router.post(
    "/drills",
    response_model=DrillRead,
    status_code=201,
    summary="Soạn bài luyện tập từ tiền lệ hoặc điều khoản",
    description="Bản nháp lấy câu hỏi và câu trả lời được duyệt của tiền lệ (hoặc nội dung và "
    "trích dẫn của điều khoản); sửa rồi xuất bản.",
    responses=RESPONSES,
)
async def create_drill(data: DrillCreate, session: SessionDep, user: Staff) -> DrillRead:
    return DrillRead.model_validate(await drills.create_drill(session, actor=user, data=data))


@router.get(
    "/drills/weak-topics",
    response_model=list[WeakTopicRead],
    summary="Chủ đề còn yếu theo đơn vị và chức danh",
    description="Tỷ lệ trả lời đúng theo nhóm (đơn vị × chức danh × bài), kèm khung năng lực "
    "của chức danh. Chỉ để bồi dưỡng: không nêu tên, không xếp hạng cá nhân.",
)
async def list_weak_topics(
    session: SessionDep,
    user: Staff,
    unit_id: Annotated[Id | None, Query()] = None,
    position: Annotated[Line | None, Query(max_length=200)] = None,
) -> list[WeakTopicRead]:
    rows = await weak_topics(session, actor=user, unit_id=unit_id, position=position)
    return [
        WeakTopicRead.model_validate(asdict(r) | {"share_correct": r.share_correct}) for r in rows
    ]


@router.get(
    "/drills/schedule",
    response_model=ScheduleRead,
    summary="Lịch nhận bài luyện tập của tôi",
)
async def get_schedule(session: SessionDep, ctx: CtxDep, user: Participant) -> ScheduleRead:
    item = await drills.get_schedule(session, actor=user, calendar=calendar_for(ctx.settings))
    return ScheduleRead.model_validate(item)


@router.put(
    "/drills/schedule",
    response_model=ScheduleRead,
    summary="Đổi nhịp nhận bài hoặc tạm dừng",
    description="Bài được gửi trong giờ làm việc, bỏ qua ngày nghỉ lễ, Tết.",
)
async def set_schedule(
    data: ScheduleUpdate, session: SessionDep, ctx: CtxDep, user: Participant
) -> ScheduleRead:
    item = await drills.set_schedule(
        session, actor=user, data=data, calendar=calendar_for(ctx.settings)
    )
    return ScheduleRead.model_validate(item)


@router.get(
    "/drills/deliveries",
    response_model=list[DeliveryRead],
    summary="Bài luyện tập đã nhận",
)
async def my_deliveries(
    session: SessionDep,
    user: Participant,
    unanswered: Annotated[bool, Query(description="Chỉ bài chưa trả lời")] = False,
) -> list[DeliveryRead]:
    rows = await drills.my_deliveries(session, actor=user, unanswered=unanswered)
    return [DeliveryRead.model_validate(d) for d in rows]


@router.post(
    "/drills/deliveries/{delivery_id}/answer",
    response_model=AnswerRead,
    summary="Trả lời bài luyện tập",
    description="Ghi câu trả lời (một lần); trả về câu trả lời được duyệt và nguồn của nó.",
    responses=RESPONSES,
)
async def answer(
    delivery_id: Id, data: DrillAnswer, session: SessionDep, user: Cadre
) -> AnswerRead:
    delivery = await drills.answer(session, actor=user, delivery_id=delivery_id, data=data)
    drill = delivery.drill
    return AnswerRead.model_validate(
        {
            **DeliveryRead.model_validate(delivery).model_dump(),
            "correct_option": drill.correct_option,
            "answer": drill.answer,
            "citation": drill.citation,
        }
    )


@router.get(
    "/drills/{drill_id}",
    response_model=DrillRead,
    summary="Xem một bài luyện tập",
    responses=NOT_FOUND_RESPONSE,
)
async def get_drill(drill_id: Id, session: SessionDep, user: Staff) -> DrillRead:
    return DrillRead.model_validate(await drills.get_drill(session, actor=user, drill_id=drill_id))


@router.patch(
    "/drills/{drill_id}",
    response_model=DrillRead,
    summary="Sửa bài luyện tập",
    description="Phương án: để trống là trả lời tự do; hoặc 3–4 phương án và phương án đúng "
    "(đếm từ 0). Phạm vi: một đơn vị mình phụ trách, hoặc mọi đơn vị (quản trị viên).",
    responses=RESPONSES,
)
async def update_drill(
    drill_id: Id, data: DrillUpdate, session: SessionDep, user: Staff
) -> DrillRead:
    drill = await drills.update_drill(session, actor=user, drill_id=drill_id, data=data)
    return DrillRead.model_validate(drill)


@router.post(
    "/drills/{drill_id}/publish",
    response_model=DrillRead,
    summary="Xuất bản bài luyện tập",
    description="Cán bộ đúng chức danh, thuộc đơn vị của bài, nhận bài theo lịch của mình.",
    responses=RESPONSES,
)
async def publish(drill_id: Id, session: SessionDep, user: Staff) -> DrillRead:
    return DrillRead.model_validate(await drills.publish(session, actor=user, drill_id=drill_id))


@router.post(
    "/drills/{drill_id}/archive",
    response_model=DrillRead,
    summary="Ngừng gửi bài luyện tập",
    responses=RESPONSES,
)
async def archive(drill_id: Id, session: SessionDep, user: Staff) -> DrillRead:
    return DrillRead.model_validate(await drills.archive(session, actor=user, drill_id=drill_id))
