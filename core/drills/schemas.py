"""Pydantic shapes of situation drills: what fronts send in and read back."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.inputs import Id, Line, LongText, Text

MIN_OPTIONS, MAX_OPTIONS = 3, 4
MAX_INTERVAL_DAYS = 60
Option = Line


class DrillCreate(BaseModel):
    """A supervisor turns an approved precedent or a knowledge-base clause into a drill draft.

    Everything but the source is optional: the draft takes the precedent's question and answer
    (or the clause's text and citation), and the supervisor edits it before publishing."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "precedent_id": 4,
                    "unit_id": 3,
                    "positions": ["Công chức Tư pháp - Hộ tịch"],
                },
                {
                    "chunk_id": 812,
                    "situation": "Công dân xin đăng ký khai sinh cho con sau 60 ngày. Xử lý?",
                },
            ]
        }
    )

    precedent_id: Id | None = None
    chunk_id: Id | None = None
    unit_id: Id | None = None
    title: Line | None = Field(default=None, max_length=300)
    situation: Text | None = Field(default=None, max_length=3000)
    positions: list[Line] | None = Field(default=None, max_length=20)

    @model_validator(mode="after")
    def one_source(self) -> DrillCreate:
        if (self.precedent_id is None) == (self.chunk_id is None):
            raise ValueError("Chọn đúng một nguồn: một tiền lệ hoặc một điều khoản.")
        return self


class DrillUpdate(BaseModel):
    """Fields a supervisor may change on a draft (or a published drill). `options` empty: a free
    answer; otherwise 3–4 options and the 0-based index of the correct one."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "options": [
                        "Từ chối vì quá hạn",
                        "Đăng ký khai sinh, không xử phạt người đi đăng ký",
                        "Yêu cầu xác nhận của thôn",
                    ],
                    "correct_option": 1,
                }
            ]
        }
    )

    title: Line | None = Field(default=None, min_length=3, max_length=300)
    topic: Line | None = Field(default=None, max_length=200)
    situation: Text | None = Field(default=None, min_length=10, max_length=3000)
    options: list[Option] | None = Field(default=None, max_length=MAX_OPTIONS)
    correct_option: int | None = Field(default=None, ge=0, lt=MAX_OPTIONS)
    answer: LongText | None = Field(default=None, min_length=3, max_length=5000)
    citation: Text | None = Field(default=None, max_length=1000)
    positions: list[Line] | None = Field(default=None, max_length=20)
    unit_id: Id | None = None
    everywhere: bool = Field(default=False, description="Mọi đơn vị (chỉ quản trị viên)")


class DrillRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    topic: str
    situation: str
    options: list[str]
    correct_option: int | None
    answer: str
    citation: str
    positions: list[str]
    unit_id: int | None
    source_kind: str
    precedent_id: int | None
    chunk_id: int | None
    document_id: int | None
    status: str
    author_id: int | None
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime


class DrillAnswer(BaseModel):
    """A cadre's answer: the 0-based option, or a free text for a free-answer drill."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"choice": 1}]})

    choice: int | None = Field(default=None, ge=0, lt=MAX_OPTIONS)
    text: Text | None = Field(default=None, min_length=1, max_length=2000)


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    drill_id: int
    scheduled_at: datetime
    sent_at: datetime | None
    answered_at: datetime | None
    choice: int | None
    free_text: str | None
    correct: bool | None


class AnswerRead(DeliveryRead):
    """After answering: the approved answer and its source are revealed."""

    correct_option: int | None
    answer: str
    citation: str


class ScheduleUpdate(BaseModel):
    """A cadre changes how often drills come, or pauses them."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"interval_days": 14}]})

    interval_days: int | None = Field(default=None, ge=1, le=MAX_INTERVAL_DAYS)
    paused: bool | None = None


class ScheduleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    interval_days: int
    paused: bool
    next_at: datetime


class FrameworkLink(BaseModel):
    document_id: int
    title: str


class WeakTopicRead(BaseModel):
    """Share of answers that were right, for one drill in one unit and position. Groups only:
    no person is named or ranked."""

    unit_id: int
    unit: str
    position: str
    topic: str
    drill_id: int
    drill: str
    delivered: int
    answered: int
    correct: int
    share_correct: float | None
    frameworks: list[FrameworkLink]
