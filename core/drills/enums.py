"""Drill states and where a drill came from."""

from enum import StrEnum


class DrillStatus(StrEnum):
    DRAFT = "draft"  # being written; nobody receives it
    PUBLISHED = "published"  # delivered to the targeted cadres on their schedules
    ARCHIVED = "archived"  # no longer delivered; answers already given are kept


STATUS_LABELS = {
    DrillStatus.DRAFT: "Bản nháp",
    DrillStatus.PUBLISHED: "Đã xuất bản",
    DrillStatus.ARCHIVED: "Đã lưu trữ",
}


class DrillSource(StrEnum):
    PRECEDENT = "precedent"  # an approved precedent (core.cases.models.PrecedentProposal)
    CLAUSE = "clause"  # a knowledge-base passage (knowledge.models.Chunk)


SOURCE_LABELS = {DrillSource.PRECEDENT: "Tiền lệ", DrillSource.CLAUSE: "Điều khoản"}
