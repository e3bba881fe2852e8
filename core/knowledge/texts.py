"""What an import job tells its uploader (HTML for the outbox; values escaped here)."""

from __future__ import annotations

from html import escape

from core.knowledge.models import ImportJob
from knowledge.store import STATUS_LABELS

UNEXPECTED = "Lỗi không mong đợi khi nhập tệp; quản trị hệ thống xem nhật ký máy chủ."
FILE_GONE = "Tệp tải lên không còn trong thư mục tạm; hãy tải tệp lên lại."
QUEUED = "⏳ Đang nhập “{filename}”… Kết quả sẽ được gửi khi xong."


def outcome(job: ImportJob) -> str:
    """'“Title” đã thêm mới, 2 điều, 3 đoạn' for one document; counts per status for more."""
    counts = f"{job.articles_parsed} điều, {job.chunks_indexed} đoạn"
    if job.documents_total == 1 and job.outcome:
        status = next(iter(job.outcome))
        return f"“{job.title}” {STATUS_LABELS.get(status, status)}, {counts}"
    tally = ", ".join(f"{n} {STATUS_LABELS.get(s, s)}" for s, n in job.outcome.items())
    return f"{job.documents_total} văn bản ({tally}), {counts}"


def progress(job: ImportJob) -> str:
    """The bot's progress line for a job not yet ended: its phase and what is stored so far."""
    line = f"⏳ “{escape(job.filename)}”: {job.phase_label}"
    if job.documents_total:
        line += (
            f" Đã lưu {job.documents_done}/{job.documents_total} văn bản, "
            f"{job.chunks_indexed}/{job.chunks_total} đoạn."
        )
    return line


def result(job: ImportJob, scope: str | None) -> str:
    """The bot's reply when the job ends."""
    if job.status == "failed":
        return f"❌ Không nhập được “{escape(job.filename)}”: {escape(job.error or '')}"
    where = f", phạm vi: {escape(scope)}" if scope else ""
    return f"✅ <b>Đã nhập</b> “{escape(job.filename)}”: {escape(outcome(job))}{where}."
