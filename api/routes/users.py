"""People: who am I, list/read/change users (admin), issue and revoke API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from api.deps import AdminUser, CurrentUser, PageDep, SessionDep
from api.errors import NOT_FOUND_RESPONSE
from api.schemas import Page
from core.inputs import Id
from core.users import service as user_service
from core.users.enums import Role
from core.users.models import ApiToken
from core.users.schemas import TokenCreate, TokenIssued, UserRead, UserUpdate
from core.users.tokens import create_token

router = APIRouter(tags=["users"])


class TokenRead(BaseModel):
    """A token's metadata (its value is never shown again)."""

    id: int
    user_id: int
    label: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenRead:
        return cls(
            id=token.id,
            user_id=token.user_id,
            label=token.label,
            created_at=token.created_at,
            revoked_at=token.revoked_at,
        )


@router.get("/users/me", response_model=UserRead, summary="Thông tin người đang đăng nhập")
async def me(user: CurrentUser) -> UserRead:
    """The caller."""
    return UserRead.of(user)


@router.get("/users", response_model=Page[UserRead], summary="Danh sách người dùng (quản trị)")
async def list_users(
    session: SessionDep,
    _admin: AdminUser,
    page: PageDep,
    unit_id: Annotated[Id | None, Query(description="Chỉ đơn vị này")] = None,
    role: Annotated[Role | None, Query(description="Chỉ vai trò này")] = None,
    active: Annotated[bool | None, Query(description="Chỉ đang hoạt động / đã khóa")] = None,
) -> Page[UserRead]:
    """Users by id, filtered and paginated."""
    rows = await user_service.list_users(
        session, unit_id=unit_id, role=role, active=active, offset=page.offset, limit=page.limit
    )
    total = await user_service.count_users(session, unit_id=unit_id, role=role, active=active)
    return Page.of([UserRead.of(u) for u in rows], total, page)


@router.get(
    "/users/{user_id}",
    response_model=UserRead,
    summary="Xem một người dùng (quản trị)",
    responses=NOT_FOUND_RESPONSE,
)
async def get_user(user_id: Id, session: SessionDep, _admin: AdminUser) -> UserRead:
    """One user."""
    return UserRead.of(await user_service.require_user(session, user_id=user_id))


@router.patch(
    "/users/{user_id}",
    response_model=UserRead,
    summary="Đổi vai trò, khóa/mở, đơn vị và lĩnh vực phụ trách (quản trị)",
    responses=NOT_FOUND_RESPONSE,
)
async def update_user(
    user_id: Id, data: UserUpdate, session: SessionDep, admin: AdminUser
) -> UserRead:
    """Apply the fields sent: role first, then supervised units and topics, then activity."""
    user = await user_service.require_user(session, user_id=user_id)
    if data.role is not None:
        user = await user_service.set_role(session, user_id=user_id, role=data.role, actor=admin)
    if data.supervised_unit_ids is not None:
        user = await user_service.set_supervised_units(
            session, user_id=user_id, unit_ids=data.supervised_unit_ids, actor=admin
        )
    if data.topics is not None:
        user = await user_service.set_topics(
            session, user_id=user_id, topics=data.topics, actor=admin
        )
    if data.active is not None:
        user = await user_service.set_active(
            session, user_id=user_id, active=data.active, actor=admin
        )
    return UserRead.of(user)


@router.post(
    "/users/{user_id}/tokens",
    response_model=TokenIssued,
    status_code=201,
    summary="Cấp mã truy cập (chính mình hoặc quản trị)",
    description="Giá trị `token` chỉ hiện một lần; hệ thống chỉ lưu mã băm SHA-256.",
    responses=NOT_FOUND_RESPONSE,
)
async def issue_token(
    user_id: Id, data: TokenCreate, session: SessionDep, user: CurrentUser
) -> TokenIssued:
    """Issue a token for a user."""
    row, plain = await create_token(session, user_id=user_id, label=data.label, actor=user)
    return TokenIssued(
        id=row.id, user_id=row.user_id, label=row.label, token=plain, created_at=row.created_at
    )


@router.get(
    "/users/{user_id}/tokens",
    response_model=list[TokenRead],
    summary="Các mã truy cập của một người (chính mình hoặc quản trị)",
)
async def list_tokens(user_id: Id, session: SessionDep, user: CurrentUser) -> list[TokenRead]:
    """Token metadata, newest first."""
    tokens = await user_service.list_tokens(session, user_id=user_id, actor=user)
    return [TokenRead.of(t) for t in tokens]


@router.post(
    "/tokens/{token_id}/revoke",
    response_model=TokenRead,
    summary="Thu hồi mã truy cập (chủ sở hữu hoặc quản trị)",
    responses=NOT_FOUND_RESPONSE,
)
async def revoke_token(token_id: Id, session: SessionDep, user: CurrentUser) -> TokenRead:
    """Revoke a token; revoking twice returns the same result."""
    return TokenRead.of(await user_service.revoke_token(session, token_id=token_id, actor=user))
