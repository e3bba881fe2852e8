"""Invitation codes (admin): list, create (with the Telegram deep link), revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import AdminUser, CtxDep, PageDep, SessionDep
from api.errors import NOT_FOUND_RESPONSE
from api.schemas import Page
from core.inputs import Id
from core.users import service as user_service
from core.users.models import Invite
from core.users.schemas import InviteCreate, InviteRead

router = APIRouter(prefix="/invites", tags=["invites"])


def _read(invite: Invite, bot_username: str) -> InviteRead:
    out = InviteRead.model_validate(invite)
    out.start_command = user_service.start_command(invite.code)
    out.deep_link = user_service.deep_link(invite.code, bot_username)
    return out


@router.get("", response_model=Page[InviteRead], summary="Danh sách mã mời (quản trị)")
async def list_invites(
    session: SessionDep,
    ctx: CtxDep,
    admin: AdminUser,
    page: PageDep,
    unit_id: Annotated[Id | None, Query(description="Chỉ đơn vị này")] = None,
    usable: Annotated[bool, Query(description="Chỉ mã còn dùng được")] = False,
) -> Page[InviteRead]:
    """Invitations newest first."""
    rows = await user_service.list_invites(
        session, actor=admin, unit_id=unit_id, usable_only=usable
    )
    window = rows[page.offset : page.offset + page.limit]
    return Page.of([_read(i, ctx.settings.bot_username) for i in window], len(rows), page)


@router.post(
    "",
    response_model=InviteRead,
    status_code=201,
    summary="Tạo mã mời (quản trị)",
    description="Trả về mã, lệnh `/start MÃ` và đường dẫn `https://t.me/<bot>?start=MÃ` khi "
    "đã cấu hình TROLY_BOT_USERNAME. Gửi kèm `Idempotency-Key` để gửi lại an toàn.",
    responses=NOT_FOUND_RESPONSE,
)
async def create_invite(
    data: InviteCreate, session: SessionDep, ctx: CtxDep, admin: AdminUser
) -> InviteRead:
    """Create an invitation code for a role in a unit."""
    invite = await user_service.create_invite(
        session,
        role=data.role,
        unit_id=data.unit_id,
        actor=admin,
        uses=data.uses,
        valid_days=data.valid_days,
        supervised_unit_ids=data.supervised_unit_ids,
    )
    return _read(invite, ctx.settings.bot_username)


@router.post(
    "/{invite_id}/revoke",
    response_model=InviteRead,
    summary="Thu hồi mã mời (quản trị)",
    responses=NOT_FOUND_RESPONSE,
)
async def revoke_invite(
    invite_id: Id, session: SessionDep, ctx: CtxDep, admin: AdminUser
) -> InviteRead:
    """Make the code unusable; revoking twice returns the same result."""
    invite = await user_service.revoke_invite(session, invite_id=invite_id, actor=admin)
    return _read(invite, ctx.settings.bot_username)
