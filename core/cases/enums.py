"""Case states, urgencies and precedent proposal states."""

from enum import StrEnum


class CaseStatus(StrEnum):
    NEW = "new"  # waiting for a supervisor at its current level
    CLAIMED = "claimed"  # one supervisor is answering it
    ANSWERED = "answered"  # the asker has the answer
    CLOSED = "closed"  # the asker gave feedback or it was closed by a supervisor/admin
    FORWARDED = "forwarded"  # moved to another level or person, waiting for a claim there
    WITHDRAWN = "withdrawn"  # the asker no longer needs it
    EXPIRED = "expired"  # closed by an admin as no longer relevant


# Cases that still need someone to act; only these have a running deadline.
OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.CLAIMED, CaseStatus.FORWARDED)
# Cases waiting to be claimed.
CLAIMABLE_STATUSES = (CaseStatus.NEW, CaseStatus.FORWARDED)


class Urgency(StrEnum):
    NORMAL = "normal"  # thường
    URGENT = "urgent"  # khẩn


URGENCY_LABELS = {Urgency.NORMAL: "thường", Urgency.URGENT: "khẩn"}

STATUS_LABELS = {
    CaseStatus.NEW: "Mới",
    CaseStatus.CLAIMED: "Đang xử lý",
    CaseStatus.ANSWERED: "Đã trả lời",
    CaseStatus.CLOSED: "Đã đóng",
    CaseStatus.FORWARDED: "Đã chuyển",
    CaseStatus.WITHDRAWN: "Đã rút",
    CaseStatus.EXPIRED: "Hết hiệu lực",
}


# Where an approved precedent applies (the knowledge base's document scopes).
SCOPE_LABELS = {
    "unit": "Đơn vị của người hỏi",
    "province": "Toàn tỉnh",
    "national": "Toàn quốc",
}


class ProposalStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"


PROPOSAL_LABELS = {
    ProposalStatus.PROPOSED: "Chờ duyệt",
    ProposalStatus.APPROVED: "Đã duyệt",
    ProposalStatus.REJECTED: "Từ chối",
}
