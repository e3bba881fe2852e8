"""Pydantic shapes of initiatives for the fronts (API, web): requests and read models."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.initiatives.enums import AttachmentKind, InitiativeStatus
from core.initiatives.models import Evaluation, Initiative, RubricVersion
from core.initiatives.scoring import EvaluationResult
from core.initiatives.similar import SimilarInitiative
from core.initiatives.views import view_for
from core.inputs import Id, Line, LongText, Text
from core.users.models import User


class AttachmentIn(BaseModel):
    """A photo or document: a Telegram file_id or a stored path, and a display name."""

    kind: AttachmentKind
    file_id: Line | None = Field(default=None, max_length=300)
    path: Line | None = Field(default=None, max_length=500)
    name: Line = Field(default="", max_length=300)


class InitiativeCreate(BaseModel):
    """A new initiative, as its author describes it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Số hóa sổ hộ tịch bằng mã QR",
                    "problem": "Tra cứu sổ hộ tịch giấy mất nhiều thời gian.",
                    "actions": "Gắn mã QR cho từng quyển sổ, lập bảng tra cứu điện tử.",
                    "results": "Thời gian tra cứu giảm từ 20 phút xuống 3 phút.",
                    "evidence_text": "Bảng thống kê tháng 3 và tháng 6.",
                    "field": "Hộ tịch",
                    "period": "2026",
                }
            ]
        }
    )

    title: Line = Field(min_length=3, max_length=500, description="Tên sáng kiến")
    problem: LongText = Field(min_length=3, description="Vấn đề cần giải quyết")
    actions: LongText = Field(min_length=3, description="Nội dung đã thực hiện")
    results: LongText = Field(min_length=3, description="Kết quả đạt được")
    evidence_text: LongText = Field(default="", description="Minh chứng")
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)
    field: Line = Field(default="", max_length=200, description="Lĩnh vực")
    period: Line = Field(default="", max_length=50, description="Kỳ đánh giá, ví dụ 2026")


class InfoUpdate(BaseModel):
    """An author's answer to a request for more information (only the fields that change)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "results": "Giảm từ 20 phút xuống 3 phút; 1.200 hồ sơ trong 6 tháng.",
                    "note": "Đã bổ sung số liệu",
                }
            ]
        }
    )

    title: Line | None = Field(default=None, max_length=500)
    problem: LongText | None = None
    actions: LongText | None = None
    results: LongText | None = None
    evidence_text: LongText | None = None
    attachments: list[AttachmentIn] | None = Field(default=None, max_length=20)
    note: Text = Field(default="", max_length=2000)

    def changes(self) -> dict[str, Any]:
        """The fields actually given."""
        data = self.model_dump(exclude_none=True, exclude={"note"}, mode="json")
        return data


class AuthorRead(BaseModel):
    user_id: int
    full_name: str
    role: str
    status: str


class InitiativeRead(BaseModel):
    """An initiative as the caller may see it: evaluators get no author, co-author or unit
    (`identity_hidden`; blind review, core.initiatives.views)."""

    id: int
    number: str = Field(examples=["SK-2026-000045"])
    title: str
    field: str
    period: str
    status: InitiativeStatus
    status_label: str = Field(examples=["Đang chấm điểm"])
    identity_hidden: bool = Field(description="Tác giả và đơn vị được ẩn (chấm độc lập)")
    unit_id: int | None
    unit_name: str | None
    author_id: int | None
    authors: list[AuthorRead]
    problem: str
    actions: str
    results: str
    evidence_text: str
    attachments: list[dict[str, Any]]
    decision_note: str | None
    decided_at: datetime | None
    council_decision: bool
    published_document_id: int | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, actor: User, i: Initiative) -> InitiativeRead:
        """From the ORM row, through the actor's view."""
        return cls.model_validate(asdict(view_for(actor, i)))


class SimilarRead(BaseModel):
    """Another initiative that resembles this one (from any unit)."""

    id: int
    number: str
    title: str
    unit_name: str | None = Field(description="Ẩn với người đánh giá")
    status: str
    score: float
    method: Literal["semantic", "lexical"]

    @classmethod
    def of(cls, s: SimilarInitiative) -> SimilarRead:
        return cls.model_validate(s, from_attributes=True)


class SubmitResult(BaseModel):
    """The logged initiative and the similar ones its author may co-author or adopt."""

    initiative: InitiativeRead
    similar: list[SimilarRead]


class CriterionIn(BaseModel):
    """One rubric criterion; a gate criterion scored below its pass mark blocks recognition."""

    key: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")
    name: Line = Field(min_length=1, max_length=200)
    description: Text = Field(default="", max_length=2000)
    weight: float = Field(ge=0)
    scale_min: int
    scale_max: int
    gate: bool = False
    pass_mark: int | None = None


class RubricRead(BaseModel):
    id: int
    version: int
    criteria: list[CriterionIn]
    note: str
    created_at: datetime

    @classmethod
    def of(cls, r: RubricVersion) -> RubricRead:
        return cls(
            id=r.id,
            version=r.version,
            criteria=[CriterionIn.model_validate(c) for c in r.criteria],
            note=r.note,
            created_at=r.created_at,
        )


class RubricUpdate(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "criteria": [
                        {
                            "key": "novelty",
                            "name": "Tính mới",
                            "description": "Chưa áp dụng tại đơn vị",
                            "weight": 40,
                            "scale_min": 1,
                            "scale_max": 5,
                        },
                        {
                            "key": "compliance",
                            "name": "Tuân thủ quy định",
                            "weight": 0,
                            "scale_min": 0,
                            "scale_max": 1,
                            "gate": True,
                        },
                    ],
                    "note": "Tăng trọng số tính mới",
                }
            ]
        }
    )

    criteria: list[CriterionIn] = Field(min_length=1, max_length=30)
    note: Text = Field(default="", max_length=500)


class AssignIn(BaseModel):
    """Evaluators to assign; omitted means an automatic, conflict-free choice."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"evaluator_ids": [7, 8]}, {}]})

    evaluator_ids: list[Id] | None = Field(default=None, max_length=10)


class EvaluatorRead(BaseModel):
    id: int
    full_name: str
    unit_id: int


class EvaluationRead(BaseModel):
    """One score sheet (or an assignment still waiting for it)."""

    id: int
    initiative_id: int
    initiative_number: str
    initiative_title: str
    evaluator_id: int
    evaluator_name: str
    rubric_version_id: int
    status: str
    scores: dict[str, int]
    comment: str
    total: float | None
    gate_failed: bool | None
    assigned_at: datetime
    due_at: datetime
    submitted_at: datetime | None

    @classmethod
    def of(cls, e: Evaluation) -> EvaluationRead:
        return cls(
            id=e.id,
            initiative_id=e.initiative_id,
            initiative_number=e.initiative.number,
            initiative_title=e.initiative.title,
            evaluator_id=e.evaluator_id,
            evaluator_name=e.evaluator.full_name,
            rubric_version_id=e.rubric_version_id,
            status=e.status,
            scores=e.scores,
            comment=e.comment,
            total=e.total,
            gate_failed=e.gate_failed,
            assigned_at=e.assigned_at,
            due_at=e.due_at,
            submitted_at=e.submitted_at,
        )


class ScoreIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "scores": {
                        "novelty": 4,
                        "benefit": 5,
                        "replicability": 4,
                        "compliance": 1,
                        "cost": 3,
                    },
                    "comment": "Cách làm rõ ràng, số liệu kiểm chứng được.",
                }
            ]
        }
    )

    scores: dict[str, int] = Field(description="Điểm theo mã tiêu chí")
    comment: Text = Field(default="", max_length=5000)


class ResultRead(BaseModel):
    """Aggregate: mean of weighted totals (0-100), spread, disagreement and gate flags."""

    assigned: int
    submitted: int
    mean_total: float | None
    spread: float | None
    disagreement: bool
    gate_failed: bool
    failed_gates: list[str]
    criteria_means: dict[str, float]

    @classmethod
    def of(cls, r: EvaluationResult) -> ResultRead:
        return cls.model_validate(r, from_attributes=True)


class DecisionIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"outcome": "recognised", "note": "Hội đồng thống nhất công nhận", "council": False}
            ]
        }
    )

    outcome: Literal["recognised", "needs_info", "not_accepted"]
    note: Text = Field(default="", max_length=5000)
    council: bool = Field(
        default=False, description="Quyết định của hội đồng khi điểm người chấm lệch quá ngưỡng"
    )


class CoauthorIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"user_id": 12}]})

    user_id: Id


class PublishedRead(BaseModel):
    document_id: int
