"""Hard-task states and what a task may link to."""

from enum import StrEnum


class TaskStatus(StrEnum):
    OPEN = "open"  # being worked on; the deadline runs
    DONE = "done"  # finished (by the owner or a supervisor)
    CANCELLED = "cancelled"  # dropped by a supervisor; no longer counted as owed


STATUS_LABELS = {
    TaskStatus.OPEN: "Đang thực hiện",
    TaskStatus.DONE: "Đã hoàn thành",
    TaskStatus.CANCELLED: "Đã hủy",
}


class LinkKind(StrEnum):
    CASE = "case"  # a xin ý kiến case (core.cases.models.Case)
    PRECEDENT = "precedent"  # a precedent proposal (core.cases.models.PrecedentProposal)


LINK_LABELS = {LinkKind.CASE: "Xin ý kiến", LinkKind.PRECEDENT: "Tiền lệ"}
