"""Telegram notifications about initiatives (Vietnamese HTML, user strings escaped)."""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.initiatives.enums import STATUS_LABELS, AuthorStatus, InitiativeStatus
from core.initiatives.models import Evaluation, Initiative
from core.outbox.service import enqueue

_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _head(initiative: Initiative) -> str:
    return f"Sáng kiến <b>{escape(initiative.number)}</b> «{escape(initiative.title)}»"


def _local(at: datetime) -> str:
    return at.astimezone(_TZ).strftime("%H:%M ngày %d/%m/%Y")


def status_text(initiative: Initiative, note: str | None = None) -> str:
    """The message an author gets when their initiative changes status."""
    label = STATUS_LABELS.get(initiative.status, initiative.status)
    if initiative.status == InitiativeStatus.SUBMITTED and initiative.status_seq == 0:
        number = escape(initiative.number)
        text = f"✅ Đã tiếp nhận {_head(initiative)}.\nSố sáng kiến: <b>{number}</b>."
    else:
        text = f"📌 {_head(initiative)}: trạng thái mới <b>{escape(label)}</b>."
    if initiative.status == InitiativeStatus.NEEDS_INFO:
        text += "\nVui lòng bổ sung thông tin theo yêu cầu bên dưới."
    if note:
        text += f"\nGhi chú: {escape(note)}"
    return text


async def notify_authors(
    session: AsyncSession, initiative: Initiative, *, note: str | None = None
) -> None:
    """Tell every active author about the current status (once per status change)."""
    text = status_text(initiative, note)
    for author in initiative.authors:
        if author.status != AuthorStatus.ACTIVE:
            continue
        await enqueue(
            session,
            user_id=author.user_id,
            text=text,
            idempotency_key=f"initiative:{initiative.id}:status:{initiative.status_seq}:{author.user_id}",
        )


async def notify_assigned(
    session: AsyncSession, initiative: Initiative, *, evaluator_id: int, due_at: datetime
) -> None:
    """Tell an evaluator a new initiative awaits their score."""
    await enqueue(
        session,
        user_id=evaluator_id,
        text=(
            f"📝 Bạn được phân công chấm {_head(initiative)}.\n"
            f"Hạn chấm: <b>{_local(due_at)}</b>. Vui lòng chấm trên trang quản trị."
        ),
        idempotency_key=f"initiative:{initiative.id}:assigned:{evaluator_id}",
    )


async def notify_reminder(
    session: AsyncSession,
    initiative: Initiative,
    *,
    evaluator_id: int,
    due_at: datetime,
    stage: int,
) -> None:
    """Remind an evaluator of a deadline (stage 1: 50 %, 2: 80 %, 3: overdue)."""
    if stage >= 3:
        lead = "⏰ Đã quá hạn chấm"
    else:
        lead = f"⏳ Đã qua {50 if stage == 1 else 80}% thời hạn chấm"
    await enqueue(
        session,
        user_id=evaluator_id,
        text=f"{lead} {_head(initiative)}. Hạn chấm: <b>{_local(due_at)}</b>.",
        idempotency_key=f"initiative:{initiative.id}:remind:{evaluator_id}:{stage}",
    )


async def notify_coauthor_request(
    session: AsyncSession, initiative: Initiative, *, requester_name: str, requester_id: int
) -> None:
    """Tell the main author that someone asks to co-author."""
    await enqueue(
        session,
        user_id=initiative.author_id,
        text=(
            f"🤝 {escape(requester_name)} đề nghị tham gia làm đồng tác giả {_head(initiative)}."
        ),
        idempotency_key=f"initiative:{initiative.id}:join:{requester_id}",
    )


async def notify_coauthor_added(
    session: AsyncSession, initiative: Initiative, *, user_id: int
) -> None:
    """Tell a person they are now a co-author."""
    await enqueue(
        session,
        user_id=user_id,
        text=f"🤝 Bạn đã trở thành đồng tác giả {_head(initiative)}.",
        idempotency_key=f"initiative:{initiative.id}:coauthor:{user_id}",
    )


async def notify_overdue_admin(
    session: AsyncSession, initiative: Initiative, *, evaluation: Evaluation, admin_id: int
) -> None:
    """Tell an admin that an evaluator missed the deadline (to reassign or chase)."""
    await enqueue(
        session,
        user_id=admin_id,
        text=(
            f"⚠️ {escape(evaluation.evaluator.full_name)} chưa chấm {_head(initiative)} "
            f"dù đã quá hạn ({_local(evaluation.due_at)})."
        ),
        idempotency_key=f"initiative:{initiative.id}:overdue:{evaluation.evaluator_id}:{admin_id}",
    )
