"""Statuses and kinds used by initiatives and their evaluations."""

from enum import StrEnum


class InitiativeStatus(StrEnum):
    SUBMITTED = "submitted"  # đã nộp
    SCREENING = "screening"  # đang sơ loại
    UNDER_EVALUATION = "under_evaluation"  # đang chấm
    EVALUATED = "evaluated"  # đã chấm xong
    RECOGNISED = "recognised"  # được công nhận
    NEEDS_INFO = "needs_info"  # cần bổ sung thông tin
    NOT_ACCEPTED = "not_accepted"  # không công nhận


# Vietnamese labels shown to users (bot, web, exports).
STATUS_LABELS: dict[str, str] = {
    InitiativeStatus.SUBMITTED: "Đã nộp",
    InitiativeStatus.SCREENING: "Đang sơ loại",
    InitiativeStatus.UNDER_EVALUATION: "Đang chấm điểm",
    InitiativeStatus.EVALUATED: "Đã chấm xong",
    InitiativeStatus.RECOGNISED: "Được công nhận",
    InitiativeStatus.NEEDS_INFO: "Cần bổ sung thông tin",
    InitiativeStatus.NOT_ACCEPTED: "Không được công nhận",
}

# Statuses a council decision may set.
OUTCOMES = (
    InitiativeStatus.RECOGNISED,
    InitiativeStatus.NEEDS_INFO,
    InitiativeStatus.NOT_ACCEPTED,
)


class AttachmentKind(StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"


class AuthorRole(StrEnum):
    MAIN = "main"  # tác giả chính (người nộp)
    CO = "co"  # đồng tác giả


class AuthorStatus(StrEnum):
    ACTIVE = "active"
    REQUESTED = "requested"  # asked to join; waits for the main author or an admin


class EvaluationStatus(StrEnum):
    ASSIGNED = "assigned"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"  # removed by an admin; kept for history, never counted
