"""Pydantic shapes of the queue: what fronts send in (Create/Answer/Forward/...) and read back."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.cases.enums import CaseStatus, ProposalStatus, Urgency
from core.inputs import AnswerText, Day, Id, Line, LongText, Text


class PassageSnapshot(BaseModel):
    """One passage retrieval showed the asker, frozen with its document version."""

    citation: Text = Field(max_length=2000)
    text: Text = Field(max_length=20_000)
    document_id: Id | None = None
    version_id: Id | None = None  # filled from the chunk when omitted
    chunk_id: Id | None = None
    score: float | None = None


class Attachment(BaseModel):
    """A photo or document sent with the question (Telegram file id or a stored path)."""

    kind: Literal["photo", "document"] = "document"
    file_id: Line | None = Field(default=None, max_length=300)
    path: Line | None = Field(default=None, max_length=500)
    name: Line = Field(default="", max_length=300)


class CaseCreate(BaseModel):
    """What an asker submits."""

    question: LongText = Field(min_length=3)
    urgency: Urgency = Urgency.NORMAL
    topic: Line | None = Field(default=None, max_length=100)
    passages: list[PassageSnapshot] = Field(default_factory=list, max_length=20)
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    attachments: list[Attachment] = Field(default_factory=list, max_length=10)


class CaseAnswer(BaseModel):
    """A supervisor's answer."""

    text: AnswerText = Field(min_length=1)
    legal_basis: Text | None = Field(default=None, max_length=2000)


class CaseForward(BaseModel):
    """Forward up the ladder (no target) or to one named supervisor."""

    to_user_id: Id | None = None
    note: Text | None = Field(default=None, max_length=2000)


class CaseFeedback(BaseModel):
    """The asker's verdict on an answer."""

    helpful: bool
    note: Text | None = Field(default=None, max_length=2000)


class CaseFilter(BaseModel):
    """List filters; every filter is intersected with what the caller may see."""

    status: list[CaseStatus] = Field(default_factory=list)
    unit_id: int | None = None  # the asker's unit
    level_unit_id: int | None = None  # where the case sits now
    topic: str | None = None
    urgency: Urgency | None = None
    asker_id: int | None = None
    assignee_id: int | None = None
    duplicate_group_id: int | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    # "due": nearest deadline first (queues); "newest": latest created first.
    order: Literal["due", "newest"] = "newest"


class CaseRead(BaseModel):
    """A case as fronts show it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    asker_id: int
    unit_id: int
    position: str | None
    question: str
    passages: list[dict[str, Any]]
    confidence: float | None
    urgency: Urgency
    topic: str | None
    attachments: list[dict[str, Any]]
    status: CaseStatus
    level_unit_id: int
    assignee_id: int | None
    forwarded_to_id: int | None
    due_at: datetime
    escalations: int
    created_at: datetime
    claimed_at: datetime | None
    answered_at: datetime | None
    closed_at: datetime | None
    answer: str | None
    legal_basis: str | None
    answered_by_id: int | None
    feedback: str | None
    duplicate_group_id: int | None


class HistoryEntry(BaseModel):
    """One line of a case's history, read from the audit log."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_id: int | None
    action: str
    data: dict[str, Any]


class PrecedentPropose(BaseModel):
    """A supervisor's proposal; title defaults to the start of the question."""

    title: Line | None = Field(default=None, max_length=500)
    note: Text | None = Field(default=None, max_length=2000)


class PrecedentApprove(BaseModel):
    """The admin's approval: may edit the texts, sets scope and expiry."""

    title: Line | None = Field(default=None, max_length=500)
    question: LongText | None = None
    answer: AnswerText | None = None
    legal_basis: Text | None = Field(default=None, max_length=2000)
    scope: Literal["national", "province", "unit"] = "unit"
    scope_unit_id: Id | None = None
    expires_on: Day | None = None
    note: Text | None = Field(default=None, max_length=2000)


class PrecedentRead(BaseModel):
    """A proposal as fronts show it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int
    status: ProposalStatus
    title: str
    question: str
    answer: str
    legal_basis: str | None
    note: str | None
    proposed_by_id: int
    proposed_at: datetime
    decided_by_id: int | None
    decided_at: datetime | None
    decision_note: str | None
    scope: str | None
    scope_unit_id: int | None
    expires_on: date | None
    document_id: int | None
