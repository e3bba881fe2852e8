"""Commendations (a supervisor commends an official; a unit's board; suggested candidates) and
an official's output record."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from api.deps import CurrentUser, SessionDep, roles
from api.errors import CONFLICT_RESPONSE, NOT_FOUND_RESPONSE
from core.inputs import Id
from core.recognition import service as recognition
from core.recognition.schemas import CommendationRead, CommendCreate, SuggestionRead
from core.record import service as record_service
from core.users.enums import Role
from core.users.models import User

router = APIRouter(tags=["recognition"])
Participant = Annotated[User, Depends(roles(Role.CADRE, Role.SUPERVISOR, Role.ADMIN))]
Staff = Annotated[User, Depends(roles(Role.SUPERVISOR, Role.ADMIN))]


class EvidenceRead(BaseModel):
    kind: str
    id: int
    label: str


class FigureRead(BaseModel):
    key: str
    label: str
    count: int
    evidence: list[EvidenceRead]


class RecordRead(BaseModel):
    """An official's outputs; every figure is the number of its evidence rows. Not a score."""

    user_id: int
    full_name: str
    figures: list[FigureRead]


@router.post(
    "/commendations",
    response_model=CommendationRead,
    status_code=201,
    summary="Biểu dương kịp thời",
    description="Biểu dương người đứng sau một việc khó đã xong, một xin ý kiến đã trả lời hoặc "
    "một tiền lệ đã duyệt. Bỏ trống lời biểu dương thì dùng lời đề xuất. Biểu dương lại cùng "
    "nguồn trả về lần đầu.",
    responses={**NOT_FOUND_RESPONSE, **CONFLICT_RESPONSE},
)
async def commend(data: CommendCreate, session: SessionDep, user: Staff) -> CommendationRead:
    item = await recognition.commend(session, actor=user, data=data)
    return CommendationRead.model_validate(item)


@router.get(
    "/commendations",
    response_model=list[CommendationRead],
    summary="Bảng biểu dương của một đơn vị",
    description="Mặc định là đơn vị của người gọi.",
)
async def board(
    session: SessionDep, user: CurrentUser, unit_id: Annotated[Id | None, Query()] = None
) -> list[CommendationRead]:
    rows = await recognition.board(session, actor=user, unit_id=unit_id or user.unit_id)
    return [CommendationRead.model_validate(c) for c in rows]


@router.get(
    "/commendations/suggestions",
    response_model=list[SuggestionRead],
    summary="Gợi ý người nên biểu dương",
    description="Việc khó xong đúng hạn hoặc tồn đọng lâu, xin ý kiến trả lời trước nửa thời "
    "hạn, câu trả lời được duyệt thành hướng dẫn; chưa được biểu dương. Người quyết định.",
)
async def suggestions(session: SessionDep, user: Staff) -> list[SuggestionRead]:
    rows = await recognition.suggestions(session, actor=user)
    return [
        SuggestionRead(
            source_kind=s.kind,
            source_id=s.id,
            user_id=u.id,
            user_name=u.full_name,
            reason=s.reason,
            citation=s.citation,
        )
        for s, u in rows
    ]


@router.get(
    "/record/{user_id}",
    response_model=RecordRead,
    summary="Hồ sơ công vụ của một người",
    description="Chính người đó, người phụ trách đơn vị của họ và quản trị viên được xem. Không "
    "xếp hạng.",
    responses=NOT_FOUND_RESPONSE,
)
async def output_record(user_id: Id, session: SessionDep, user: Participant) -> RecordRead:
    built = await record_service.build(session, actor=user, user_id=user_id)
    return RecordRead(
        user_id=built.official.id,
        full_name=built.official.full_name,
        figures=[
            FigureRead(
                key=f.key,
                label=f.label,
                count=f.count,
                evidence=[EvidenceRead(kind=e.kind, id=e.id, label=e.label) for e in f.evidence],
            )
            for f in built.figures
        ],
    )
