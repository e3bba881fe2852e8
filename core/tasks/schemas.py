"""Pydantic shapes of the hard-task catalogue: what fronts send in and read back."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from core.inputs import Id, Line, Text
from core.tasks.enums import LinkKind, TaskStatus

MAX_WORKING_DAYS = 250  # about one working year


class TaskCreate(BaseModel):
    """A supervisor lists a hard task in one of their units."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "unit_id": 3,
                    "title": "Giải quyết dứt điểm tranh chấp ranh giới đất thôn Đông",
                    "description": "Tồn đọng từ 2024, ba lần hòa giải chưa thành.",
                    "owner_id": 12,
                    "working_days": 15,
                }
            ]
        }
    )

    unit_id: Id
    title: Line = Field(min_length=3, max_length=300)
    description: Text = Field(default="", max_length=5000)
    owner_id: Id
    working_days: int = Field(ge=1, le=MAX_WORKING_DAYS)


class TaskUpdate(BaseModel):
    """Fields a supervisor may change; a new `working_days` restarts the deadline from now."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"owner_id": 14, "working_days": 10}]}
    )

    title: Line | None = Field(default=None, min_length=3, max_length=300)
    description: Text | None = Field(default=None, max_length=5000)
    owner_id: Id | None = None
    working_days: int | None = Field(default=None, ge=1, le=MAX_WORKING_DAYS)
    cancel: bool = False


class TaskNoteCreate(BaseModel):
    """A progress note."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"text": "Đã mời hai hộ lên hòa giải lần 2."}]}
    )

    text: Text = Field(min_length=1, max_length=2000)


class TaskClose(BaseModel):
    """Mark a task done, with an optional closing note (what was achieved)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"note": "Hai hộ đã ký biên bản thống nhất."}]}
    )

    note: Text | None = Field(default=None, max_length=2000)


class TaskLinkCreate(BaseModel):
    """Link a case or a precedent proposal the actor may see."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"kind": "case", "target_id": 42}]})

    kind: LinkKind
    target_id: Id


class TaskNoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    author_id: int
    text: str
    created_at: datetime


class TaskLinkRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: LinkKind
    target_id: int


class TaskRead(BaseModel):
    """A task as every front shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    unit_id: int
    title: str
    description: str
    owner_id: int
    status: TaskStatus
    working_days: int
    started_at: datetime
    due_at: datetime
    overdue_at: datetime | None
    escalations: int
    closed_at: datetime | None
    closing_note: str | None
    created_at: datetime


class TaskDetail(TaskRead):
    """A task with its notes and links."""

    notes: list[TaskNoteRead] = Field(default_factory=list)
    links: list[TaskLinkRead] = Field(default_factory=list)
