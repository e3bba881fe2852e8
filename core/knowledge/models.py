"""ORM model of a knowledge-base import job: one uploaded file, imported off the request."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow


class JobStatus(StrEnum):
    QUEUED = "queued"  # staged, waiting for a worker
    RUNNING = "running"  # claimed by a worker (its lease says until when)
    DONE = "done"
    FAILED = "failed"  # `error` says why, in Vietnamese


JOB_STATUS_LABELS = {
    JobStatus.QUEUED: "Đang chờ",
    JobStatus.RUNNING: "Đang nhập",
    JobStatus.DONE: "Đã xong",
    JobStatus.FAILED: "Không nhập được",
}


class JobPhase(StrEnum):
    """What a job is doing, read from its status and counts (each step commits them)."""

    WAITING = "waiting"
    READING = "reading"  # parsing the file in the isolated child
    STORING = "storing"  # documents, or a large document's passages, committed step by step
    INDEXING = "indexing"  # every document stored; the search index is catching up
    ENDED = "ended"


JOB_PHASE_LABELS = {
    JobPhase.WAITING: "Đang chờ đến lượt nhập…",
    JobPhase.READING: "Đang đọc tệp…",
    JobPhase.STORING: "Đang lưu vào kho tri thức…",
    JobPhase.INDEXING: "Đang cập nhật chỉ mục tìm kiếm…",
    JobPhase.ENDED: "",
}


class ImportJob(Base):
    """A staged file being imported; the counts are committed as the work goes."""

    __tablename__ = "import_jobs"
    # Workers look for the oldest claimable job.
    __table_args__ = (Index("ix_import_jobs_status", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED)
    filename: Mapped[str] = mapped_column(String(255))
    # The file's name inside the staging folder (core.knowledge.staging).
    staged: Mapped[str] = mapped_column(String(255))
    # Metadata given by the uploader over what the file says (knowledge.importers.override).
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Tell the actor the result through the outbox (the bot's uploads).
    notify: Mapped[bool] = mapped_column(default=False)
    documents_total: Mapped[int] = mapped_column(default=0)
    documents_done: Mapped[int] = mapped_column(default=0)
    articles_parsed: Mapped[int] = mapped_column(default=0)
    chunks_total: Mapped[int] = mapped_column(default=0)
    chunks_indexed: Mapped[int] = mapped_column(default=0)
    # New passages the search index has taken in so far, while it catches up after the import.
    index_done: Mapped[int] = mapped_column(default=0)
    index_total: Mapped[int] = mapped_column(default=0)
    # How many documents ended in each import status ("created": 3, ...).
    outcome: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The last document imported (the console opens it when the file held one).
    document_id: Mapped[int | None]
    title: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(Text)
    # The DomainError code's name (TOO_LARGE, UNSUPPORTED_FILE, ...) for the API's status.
    error_code: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(default=0)
    # A running job whose lease ran out (its worker died) may be claimed again.
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def phase(self) -> JobPhase:
        if self.finished:
            return JobPhase.ENDED
        if self.status == JobStatus.QUEUED:
            return JobPhase.WAITING
        if not self.documents_total:
            return JobPhase.READING
        if self.documents_done < self.documents_total:
            return JobPhase.STORING
        return JobPhase.INDEXING

    @property
    def phase_label(self) -> str:
        """The phase in Vietnamese, for the progress page, the CLI and the bot."""
        label = JOB_PHASE_LABELS[self.phase]
        if self.phase is JobPhase.INDEXING and self.index_total:
            return f"{label} ({self.index_done}/{self.index_total} đoạn)"
        return label
