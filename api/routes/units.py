"""Units: list and read for everyone signed in; create and change for admins."""

from __future__ import annotations

from fastapi import APIRouter, Body

from api.deps import AdminUser, CurrentUser, SessionDep
from api.errors import CONFLICT_RESPONSE, NOT_FOUND_RESPONSE
from core.inputs import Id
from core.users import service as user_service
from core.users.enums import UnitKind
from core.users.schemas import UnitCreate, UnitRead, UnitUpdate

router = APIRouter(prefix="/units", tags=["units"])


@router.get("", response_model=list[UnitRead], summary="Danh sách đơn vị")
async def list_units(
    session: SessionDep, _user: CurrentUser, kind: UnitKind | None = None
) -> list[UnitRead]:
    """All units (optionally one kind), with their ladder target and positions."""
    units = await user_service.list_units(session, kind=kind)
    return [UnitRead.model_validate(u) for u in units]


@router.get(
    "/{unit_id}", response_model=UnitRead, summary="Xem một đơn vị", responses=NOT_FOUND_RESPONSE
)
async def get_unit(unit_id: Id, session: SessionDep, _user: CurrentUser) -> UnitRead:
    """One unit."""
    return UnitRead.model_validate(await user_service.require_unit(session, unit_id=unit_id))


@router.post(
    "",
    response_model=UnitRead,
    status_code=201,
    summary="Tạo đơn vị (quản trị)",
    responses={**NOT_FOUND_RESPONSE, **CONFLICT_RESPONSE},
)
async def create_unit(data: UnitCreate, session: SessionDep, admin: AdminUser) -> UnitRead:
    """Create a unit; the name must be unique and the ladder must not loop."""
    unit = await user_service.create_unit(session, data=data, actor=admin)
    return UnitRead.model_validate(unit)


@router.patch(
    "/{unit_id}",
    response_model=UnitRead,
    summary="Sửa đơn vị (quản trị)",
    responses={**NOT_FOUND_RESPONSE, **CONFLICT_RESPONSE},
)
async def update_unit(
    unit_id: Id,
    session: SessionDep,
    admin: AdminUser,
    data: UnitUpdate = Body(
        openapi_examples={
            "ladder": {"summary": "Đổi tuyến chuyển cấp trên", "value": {"escalates_to_id": 2}},
            "positions": {
                "summary": "Đổi danh sách chức danh",
                "value": {"positions": ["Công chức Văn hóa - Xã hội"]},
            },
        }
    ),
) -> UnitRead:
    """Change only the fields sent."""
    unit = await user_service.update_unit(session, unit_id=unit_id, data=data, actor=admin)
    return UnitRead.model_validate(unit)
