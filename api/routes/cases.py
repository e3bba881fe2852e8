"""Cases (xin ý kiến nhanh): list with filters, read, history, and every action on them.

Access (who sees and acts on which case) is checked by core.cases.service; the role
dependencies here only refuse roles that never take part (evaluators) with a clear 403.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query

from api.deps import CtxDep, PageDep, SessionDep, end_transaction, roles
from api.errors import CONFLICT_RESPONSE, NOT_FOUND_RESPONSE
from api.schemas import Page
from core.cases import service as case_service
from core.cases.duplicates import QueryEncoder
from core.cases.enums import CaseStatus, Urgency
from core.cases.schemas import (
    CaseAnswer,
    CaseCreate,
    CaseFeedback,
    CaseFilter,
    CaseForward,
    CaseRead,
    HistoryEntry,
)
from core.inputs import Id, Line, LocalDateTime
from core.users.enums import Role
from core.users.models import User

router = APIRouter(prefix="/cases", tags=["cases"])


class PrecomputedQueries:
    """A QueryEncoder answering from vectors computed in advance (others are encoded on demand)."""

    def __init__(self, encoder: QueryEncoder, vectors: dict[str, Any]) -> None:
        self.encoder = encoder
        self.vectors = vectors

    @classmethod
    async def of(cls, encoder: QueryEncoder | None, texts: list[str]) -> PrecomputedQueries | None:
        """Encode `texts` now, off the event loop; None when there is no encoder."""
        if encoder is None:
            return None
        matrix = await asyncio.to_thread(encoder.encode_queries, texts)
        return cls(encoder, {text: matrix[i : i + 1] for i, text in enumerate(texts)})

    def encode_queries(self, texts: list[str]) -> Any:
        if len(texts) == 1 and texts[0] in self.vectors:
            return self.vectors[texts[0]]
        return self.encoder.encode_queries(texts)


# Evaluators never take part in cases (initiative scores stay apart from case handling).
Participant = Annotated[User, Depends(roles(Role.CADRE, Role.SUPERVISOR, Role.ADMIN))]
Handler = Annotated[User, Depends(roles(Role.SUPERVISOR, Role.ADMIN))]
Asker = Annotated[User, Depends(roles(Role.CADRE, Role.SUPERVISOR, Role.ADMIN))]
ACTION_RESPONSES = {**NOT_FOUND_RESPONSE, **CONFLICT_RESPONSE}


@router.get(
    "",
    response_model=Page[CaseRead],
    summary="Danh sách xin ý kiến",
    description="Chỉ các trường hợp người gọi được xem: cán bộ — của mình; người phụ trách — "
    "thuộc đơn vị mình phụ trách hoặc được chuyển đến; quản trị — tất cả.",
)
async def list_cases(
    session: SessionDep,
    user: Participant,
    page: PageDep,
    status: Annotated[list[CaseStatus], Query(description="Một hoặc nhiều trạng thái")] = [],  # noqa: B006
    unit_id: Annotated[Id | None, Query(description="Đơn vị của người hỏi")] = None,
    level_unit_id: Annotated[Id | None, Query(description="Cấp đang xử lý")] = None,
    topic: Annotated[Line | None, Query(max_length=100)] = None,
    urgency: Urgency | None = None,
    asker_id: Id | None = None,
    assignee_id: Id | None = None,
    created_from: LocalDateTime | None = None,
    created_to: LocalDateTime | None = None,
    order: Annotated[
        Literal["due", "newest"], Query(description="due: hạn gần nhất trước; newest: mới nhất")
    ] = "newest",
) -> Page[CaseRead]:
    """A page of visible cases matching the filters."""
    filters = CaseFilter(
        status=status,
        unit_id=unit_id,
        level_unit_id=level_unit_id,
        topic=topic,
        urgency=urgency,
        asker_id=asker_id,
        assignee_id=assignee_id,
        created_from=created_from,
        created_to=created_to,
        order=order,
    )
    rows, total = await case_service.list_cases(
        session, actor=user, filters=filters, limit=page.limit, offset=page.offset
    )
    return Page.of([CaseRead.model_validate(c) for c in rows], total, page)


@router.post(
    "",
    response_model=CaseRead,
    status_code=201,
    summary="Gửi xin ý kiến nhanh",
    description="Mở một trường hợp mới cho người gọi; được chuyển đến người phụ trách của đơn vị. "
    "Gửi kèm `Idempotency-Key` để gửi lại an toàn (không tạo trùng).",
)
async def create_case(
    session: SessionDep,
    ctx: CtxDep,
    user: Asker,
    data: CaseCreate = Body(
        openapi_examples={
            "normal": {
                "summary": "Tình huống mới, mức thường",
                "value": {
                    "question": "Người dân xin xác nhận tình trạng hôn nhân khi đã ở nước "
                    "ngoài nhiều năm thì xã xử lý thế nào?",
                    "urgency": "normal",
                    "topic": "hộ tịch",
                },
            }
        }
    ),
) -> CaseRead:
    """Open a case."""
    # Encode the question before the service's transaction starts: on SQLite a transaction holds
    # the single write lock, and the encoder is the slow part of opening a case.
    await end_transaction(session)
    encoder = await PrecomputedQueries.of(ctx.retriever.embedder, [data.question])
    case = await case_service.create_case(
        session, actor=user, data=data, settings=ctx.settings, embedder=encoder
    )
    return CaseRead.model_validate(case)


@router.get(
    "/{case_id}",
    response_model=CaseRead,
    summary="Xem một xin ý kiến",
    responses=NOT_FOUND_RESPONSE,
)
async def get_case(case_id: Id, session: SessionDep, user: Participant) -> CaseRead:
    """One case (404 when it does not exist or is not visible to the caller)."""
    return CaseRead.model_validate(
        await case_service.get_case(session, actor=user, case_id=case_id)
    )


@router.get(
    "/{case_id}/history",
    response_model=list[HistoryEntry],
    summary="Lịch sử xử lý",
    responses=NOT_FOUND_RESPONSE,
)
async def case_history(case_id: Id, session: SessionDep, user: Participant) -> list[HistoryEntry]:
    """Every recorded step, oldest first (from the hash-chained audit log)."""
    rows = await case_service.history(session, actor=user, case_id=case_id)
    return [HistoryEntry.model_validate(r) for r in rows]


@router.post(
    "/{case_id}/claim",
    response_model=CaseRead,
    summary="Nhận xử lý",
    description="Nguyên tử: trong nhiều người cùng nhận, chỉ một người thắng; người khác nhận "
    "lỗi 409 nêu tên người đang giữ. Gọi lại bởi chính người đã nhận trả về cùng kết quả.",
    responses=ACTION_RESPONSES,
)
async def claim(case_id: Id, session: SessionDep, user: Handler) -> CaseRead:
    """Claim a case."""
    return CaseRead.model_validate(await case_service.claim(session, actor=user, case_id=case_id))


@router.post(
    "/{case_id}/answer",
    response_model=CaseRead,
    summary="Trả lời",
    description="Trả lời (tự nhận nếu chưa ai nhận); người hỏi và mọi trường hợp trùng lặp trong "
    "nhóm nhận phiếu trả lời.",
    responses=ACTION_RESPONSES,
)
async def answer(
    case_id: Id,
    session: SessionDep,
    user: Handler,
    data: CaseAnswer = Body(
        openapi_examples={
            "answer": {
                "summary": "Trả lời có căn cứ",
                "value": {
                    "text": "Xã tiếp nhận hồ sơ và xác minh qua cơ quan đại diện.",
                    "legal_basis": "Nghị định 123/2015/NĐ-CP, Điều 22",
                },
            }
        }
    ),
) -> CaseRead:
    """Answer a case."""
    case = await case_service.answer(session, actor=user, case_id=case_id, data=data)
    return CaseRead.model_validate(case)


@router.post(
    "/{case_id}/forward",
    response_model=CaseRead,
    summary="Chuyển cấp trên hoặc chuyển cho một người",
    responses=ACTION_RESPONSES,
)
async def forward(
    case_id: Id,
    session: SessionDep,
    ctx: CtxDep,
    user: Handler,
    data: CaseForward = Body(
        openapi_examples={
            "up": {"summary": "Chuyển lên cấp trên", "value": {"note": "Vượt thẩm quyền xã"}},
            "person": {"summary": "Chuyển cho một người", "value": {"to_user_id": 7}},
        }
    ),
) -> CaseRead:
    """Forward up the ladder (no target) or to one named supervisor."""
    case = await case_service.forward(
        session, actor=user, case_id=case_id, data=data, settings=ctx.settings
    )
    return CaseRead.model_validate(case)


@router.post(
    "/{case_id}/withdraw",
    response_model=CaseRead,
    summary="Rút xin ý kiến (người hỏi)",
    description="Rút lại khi không còn cần trả lời; gọi lại trả về cùng kết quả.",
    responses=ACTION_RESPONSES,
)
async def withdraw(case_id: Id, session: SessionDep, user: Participant) -> CaseRead:
    """Withdraw one's own case (admins may withdraw any)."""
    return CaseRead.model_validate(
        await case_service.withdraw(session, actor=user, case_id=case_id)
    )


@router.post(
    "/{case_id}/feedback",
    response_model=CaseRead,
    summary="Đánh giá câu trả lời (người hỏi)",
    responses=ACTION_RESPONSES,
)
async def feedback(
    case_id: Id,
    session: SessionDep,
    user: Participant,
    data: CaseFeedback = Body(
        openapi_examples={"ok": {"summary": "Hữu ích", "value": {"helpful": True}}}
    ),
) -> CaseRead:
    """The asker rates the answer, which closes the case."""
    case = await case_service.give_feedback(session, actor=user, case_id=case_id, data=data)
    return CaseRead.model_validate(case)
