"""People: who am I, list/read/create/change users (admin), one-time console sign-in codes
(admin), issue and revoke API tokens."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import AdminUser, CtxDep, CurrentUser, PageDep, SessionDep
from api.errors import NOT_FOUND_RESPONSE
from api.schemas import Page
from core.inputs import Id
from core.users import service as user_service
from core.users.enums import Role
from core.users.models import ApiToken
from core.users.schemas import TokenCreate, TokenIssued, UserRead, UserUpdate
from core.users.tokens import create_token
from core.web import accounts
from core.web.accounts import AccountCreate, HandedCode

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


class SigninCodeIssued(BaseModel):
    """A one-time console sign-in code, shown only this once (only its keyed hash is stored)."""

    user: UserRead
    code: str = Field(
        description="Mã đăng nhập dùng một lần, dạng ABCD-EFGH", examples=["K7PX-M3QD"]
    )
    expires_at: datetime = Field(description="Hết hạn lúc (UTC)")
    signin_path: str = Field(
        description="Đường dẫn đăng nhập trên trang quản lý, đã điền sẵn mã",
        examples=["/login?code=K7PX-M3QD"],
    )

    @classmethod
    def of(cls, handed: HandedCode) -> SigninCodeIssued:
        return cls(
            user=UserRead.of(handed.user),
            code=handed.code,
            expires_at=handed.expires_at,
            signin_path=f"/login?code={handed.code}",
        )


SIGNIN_CODE_NOTE = (
    "Mã đăng nhập chỉ hiện một lần, dùng được một lần tại trang đăng nhập của bảng điều khiển "
    f"(mục “Bằng mã một lần”) và hết hạn sau {accounts.HANDED_CODE_TTL // timedelta(hours=1)} "
    "giờ; mã cấp sau thay thế mã cũ chưa dùng."
)


@router.get("/users/me", response_model=UserRead, summary="Thông tin người đang đăng nhập")
async def me(user: CurrentUser) -> UserRead:
    """The caller."""
    return UserRead.of(user)


@router.get("/users", response_model=Page[UserRead], summary="Danh sách người dùng (quản trị)")
async def list_users(
    session: SessionDep,
    admin: AdminUser,
    page: PageDep,
    unit_id: Annotated[Id | None, Query(description="Chỉ đơn vị này")] = None,
    role: Annotated[Role | None, Query(description="Chỉ vai trò này")] = None,
    active: Annotated[bool | None, Query(description="Chỉ đang hoạt động / đã khóa")] = None,
) -> Page[UserRead]:
    """Users by id, filtered and paginated."""
    rows = await user_service.list_users(
        session, actor=admin, unit_id=unit_id, role=role, active=active,
        offset=page.offset, limit=page.limit,
    )  # fmt: skip
    total = await user_service.count_users(
        session, actor=admin, unit_id=unit_id, role=role, active=active
    )
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


@router.post(
    "/users",
    response_model=SigninCodeIssued,
    status_code=201,
    summary="Tạo tài khoản không cần Telegram, kèm mã đăng nhập một lần (quản trị)",
    description=SIGNIN_CODE_NOTE,
    responses=NOT_FOUND_RESPONSE,
)
async def create_user(
    data: AccountCreate, session: SessionDep, ctx: CtxDep, admin: AdminUser
) -> SigninCodeIssued:
    """Create a person who signs in to the console with a code the admin hands over."""
    handed = await accounts.create_account(session, settings=ctx.settings, actor=admin, data=data)
    return SigninCodeIssued.of(handed)


@router.post(
    "/users/{user_id}/signin-code",
    response_model=SigninCodeIssued,
    status_code=201,
    summary="Cấp mã đăng nhập một lần mới cho một người (quản trị)",
    description=SIGNIN_CODE_NOTE,
    responses=NOT_FOUND_RESPONSE,
)
async def issue_signin_code(
    user_id: Id, session: SessionDep, ctx: CtxDep, admin: AdminUser
) -> SigninCodeIssued:
    """A new one-time code for an active person (their older unused codes stop working)."""
    handed = await accounts.hand_code(session, settings=ctx.settings, actor=admin, user_id=user_id)
    return SigninCodeIssued.of(handed)


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
