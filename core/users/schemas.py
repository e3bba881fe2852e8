"""Pydantic schemas for units, users, invitations and tokens (service input, API output)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.inputs import Id, Line
from core.users.enums import Role, UnitKind
from core.users.models import User
from core.users.topics import MAX_TOPIC_CHARS, MAX_TOPICS


def _clean_positions(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    seen: list[str] = []
    for value in values:
        value = " ".join(value.split())
        if value and value not in seen:
            seen.append(value)
    return seen


class UnitCreate(BaseModel):
    """A new administrative unit."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "UBND xã Tân Phú",
                    "kind": "commune",
                    "parent_id": 1,
                    "escalates_to_id": 2,
                    "positions": ["Công chức Tư pháp - Hộ tịch", "Công chức Địa chính"],
                }
            ]
        }
    )

    name: Line = Field(min_length=2, max_length=200)
    kind: UnitKind
    parent_id: Id | None = None
    escalates_to_id: Id | None = None
    positions: list[Annotated[Line, Field(max_length=200)]] = Field(
        default_factory=list, max_length=100
    )

    @field_validator("name")
    @classmethod
    def _strip_name(cls, value: str) -> str:
        return " ".join(value.split())

    @field_validator("positions")
    @classmethod
    def _positions(cls, value: list[str]) -> list[str]:
        return _clean_positions(value) or []


class UnitUpdate(BaseModel):
    """Partial change of a unit; only the fields sent are changed."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"escalates_to_id": 3, "positions": ["Chủ tịch UBND"]}]}
    )

    name: Line | None = Field(default=None, min_length=2, max_length=200)
    kind: UnitKind | None = None
    parent_id: Id | None = None
    escalates_to_id: Id | None = None
    positions: list[Annotated[Line, Field(max_length=200)]] | None = Field(
        default=None, max_length=100
    )

    @field_validator("positions")
    @classmethod
    def _positions(cls, value: list[str] | None) -> list[str] | None:
        return _clean_positions(value)


class UnitRead(BaseModel):
    """A unit as shown to clients."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    parent_id: int | None
    escalates_to_id: int | None
    positions: list[str]
    created_at: datetime


class UserRead(BaseModel):
    """A person as shown to clients (no Telegram chat details)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    full_name: str
    role: str
    unit_id: int
    position: str | None
    active: bool
    registered: bool = Field(description="Đã liên kết tài khoản Telegram hay chưa")
    supervised_unit_ids: list[int]
    topics: list[str] = Field(description="Lĩnh vực phụ trách; rỗng là mọi lĩnh vực")
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserRead:
        """Build from an ORM User (supervised units flattened to ids)."""
        return cls(
            id=user.id,
            full_name=user.full_name,
            role=user.role,
            unit_id=user.unit_id,
            position=user.position,
            active=user.active,
            registered=user.telegram_id is not None,
            supervised_unit_ids=sorted(u.id for u in user.supervised_units),
            topics=list(user.topics or []),
            created_at=user.created_at,
        )


class UserUpdate(BaseModel):
    """Admin change of a person: role, activity, supervised units, topics handled."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "role": "supervisor",
                    "supervised_unit_ids": [4, 5],
                    "topics": ["Công chức Tư pháp - Hộ tịch"],
                }
            ]
        }
    )

    role: Role | None = None
    active: bool | None = None
    supervised_unit_ids: list[Id] | None = Field(default=None, max_length=500)
    topics: list[Annotated[Line, Field(max_length=MAX_TOPIC_CHARS)]] | None = Field(
        default=None,
        max_length=MAX_TOPICS,
        description="Lĩnh vực phụ trách (người phụ trách); danh sách rỗng là mọi lĩnh vực",
    )


class InviteCreate(BaseModel):
    """Request for an invitation code."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"role": "cadre", "unit_id": 4, "uses": 20, "valid_days": 7}]
        }
    )

    role: Role
    unit_id: Id
    uses: int = Field(default=1, ge=1, le=10_000)
    valid_days: int = Field(default=7, ge=1, le=365)
    supervised_unit_ids: list[Id] = Field(default_factory=list, max_length=500)


class InviteRead(BaseModel):
    """An invitation code with its remaining uses and expiry."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    role: str
    unit_id: int
    supervised_unit_ids: list[int]
    uses_left: int
    expires_at: datetime
    created_by_id: int | None
    created_at: datetime
    start_command: str = ""
    deep_link: str | None = None


class TokenCreate(BaseModel):
    """Request for a new API token for a user."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"label": "máy trạm văn phòng"}]})

    label: Line = Field(default="", max_length=100)


class TokenIssued(BaseModel):
    """A freshly issued token; the plain value is shown only this once."""

    id: int
    user_id: int
    label: str
    token: str
    created_at: datetime
