"""Pydantic shapes of commendations."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from core.inputs import Id, Text


class SourceKind(StrEnum):
    TASK = "task"  # a hard task finished (core.tasks)
    CASE = "case"  # a case answered (the one who answered it)
    PRECEDENT = "precedent"  # an answer approved as guidance (the one who wrote it)


SOURCE_LABELS = {
    SourceKind.TASK: "Việc khó",
    SourceKind.CASE: "Xin ý kiến",
    SourceKind.PRECEDENT: "Tiền lệ",
}


class CommendCreate(BaseModel):
    """Commend the official behind a task, case or precedent; an empty citation takes the
    product's suggested wording."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "source_kind": "task",
                    "source_id": 7,
                    "citation": "Giải quyết dứt điểm vụ việc tồn đọng hai năm, trước hạn.",
                }
            ]
        }
    )

    source_kind: SourceKind
    source_id: Id
    citation: Text | None = Field(default=None, max_length=500)


class CommendationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    unit_id: int
    by_id: int
    citation: str
    source_kind: SourceKind
    source_id: int
    created_at: datetime


class SuggestionRead(BaseModel):
    """A candidate the product proposes; a supervisor decides."""

    source_kind: SourceKind
    source_id: int
    user_id: int
    user_name: str
    reason: str
    citation: str
