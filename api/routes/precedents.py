"""Precedent proposals: propose an answered case (supervisor), list, approve or reject (admin).

An approved proposal becomes a knowledge-base document of kind "precedent"; the index is synced
after the commit so it is searchable at once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AdminUser, CtxDep, PageDep, SessionDep, publish_to_search, roles
from api.errors import CONFLICT_RESPONSE, NOT_FOUND_RESPONSE
from api.schemas import Page
from core.cases import precedents as precedent_service
from core.cases.enums import ProposalStatus
from core.cases.schemas import PrecedentApprove, PrecedentPropose, PrecedentRead
from core.inputs import Id, Text
from core.users.enums import Role
from core.users.models import User

router = APIRouter(tags=["precedents"])
Staff = Annotated[User, Depends(roles(Role.SUPERVISOR, Role.ADMIN))]
RESPONSES = {**NOT_FOUND_RESPONSE, **CONFLICT_RESPONSE}


class PrecedentReject(BaseModel):
    """Why the proposal is declined (told to the proposer)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"note": "Tình huống quá riêng, chưa nên áp dụng chung."}]}
    )

    note: Text | None = Field(default=None, max_length=2000)


@router.post(
    "/cases/{case_id}/propose-precedent",
    response_model=PrecedentRead,
    status_code=201,
    summary="Đề xuất câu trả lời thành hướng dẫn",
    description="Người phụ trách đề xuất một xin ý kiến đã trả lời thành tiền lệ; quản trị viên "
    "được báo để phê duyệt. Gửi lại bởi cùng người trả về cùng đề xuất.",
    responses=RESPONSES,
)
async def propose(
    case_id: Id,
    session: SessionDep,
    user: Staff,
    data: PrecedentPropose = Body(
        openapi_examples={
            "default": {
                "summary": "Đề xuất kèm ghi chú",
                "value": {"title": "Xác nhận tình trạng hôn nhân khi ở nước ngoài", "note": ""},
            }
        }
    ),
) -> PrecedentRead:
    """Propose the answer of a case as reusable guidance."""
    proposal = await precedent_service.propose(session, actor=user, case_id=case_id, data=data)
    return PrecedentRead.model_validate(proposal)


@router.get(
    "/precedents",
    response_model=Page[PrecedentRead],
    summary="Đề xuất tiền lệ (mặc định: đang chờ duyệt)",
    description="Quản trị viên thấy mọi đề xuất; người phụ trách thấy đề xuất của mình.",
)
async def list_proposals(
    session: SessionDep,
    user: Staff,
    page: PageDep,
    status: Annotated[ProposalStatus | None, Query(description="Bỏ trống: mọi trạng thái")] = (
        ProposalStatus.PROPOSED
    ),
) -> Page[PrecedentRead]:
    """Proposals newest first."""
    rows, total = await precedent_service.list_proposals(
        session, actor=user, status=status, limit=page.limit, offset=page.offset
    )
    return Page.of([PrecedentRead.model_validate(p) for p in rows], total, page)


@router.get(
    "/precedents/{proposal_id}",
    response_model=PrecedentRead,
    summary="Xem một đề xuất tiền lệ",
    responses=NOT_FOUND_RESPONSE,
)
async def get_proposal(proposal_id: Id, session: SessionDep, user: Staff) -> PrecedentRead:
    """One proposal (supervisors: only their own)."""
    proposal = await precedent_service.get_proposal(session, actor=user, proposal_id=proposal_id)
    return PrecedentRead.model_validate(proposal)


@router.post(
    "/precedents/{proposal_id}/approve",
    response_model=PrecedentRead,
    summary="Phê duyệt tiền lệ (quản trị)",
    description="Có thể sửa tiêu đề, câu hỏi, câu trả lời, căn cứ; chọn phạm vi và ngày hết "
    "hiệu lực. Văn bản loại “precedent” được tạo và tìm kiếm được ngay. Phê duyệt lại trả về "
    "cùng kết quả.",
    responses=RESPONSES,
)
async def approve(
    proposal_id: Id,
    session: SessionDep,
    ctx: CtxDep,
    admin: AdminUser,
    data: PrecedentApprove = Body(
        openapi_examples={
            "province": {
                "summary": "Áp dụng toàn tỉnh đến hết năm",
                "value": {"scope": "province", "expires_on": "2026-12-31"},
            },
            "edited": {
                "summary": "Sửa câu trả lời, áp dụng cho đơn vị",
                "value": {
                    "answer": "Xã hướng dẫn người dân nộp hồ sơ trực tuyến.",
                    "scope": "unit",
                },
            },
        }
    ),
) -> PrecedentRead:
    """Approve a proposal and publish it."""
    proposal = await precedent_service.approve(
        session, actor=admin, proposal_id=proposal_id, data=data
    )
    out = PrecedentRead.model_validate(proposal)
    await publish_to_search(session, ctx)
    return out


@router.post(
    "/precedents/{proposal_id}/reject",
    response_model=PrecedentRead,
    summary="Từ chối đề xuất tiền lệ (quản trị)",
    responses=RESPONSES,
)
async def reject(
    proposal_id: Id, data: PrecedentReject, session: SessionDep, admin: AdminUser
) -> PrecedentRead:
    """Decline a proposal; the proposer is told why."""
    proposal = await precedent_service.reject(
        session, actor=admin, proposal_id=proposal_id, note=data.note
    )
    return PrecedentRead.model_validate(proposal)
