"""Telegram notifications about initiatives (Vietnamese HTML, user strings escaped).

Every message is written from the recipient's own view (core.initiatives.views), so an
evaluator's assignment or reminder can never name the authors or their unit.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.initiatives.enums import AuthorStatus, InitiativeStatus
from core.initiatives.models import Evaluation, Initiative
from core.initiatives.views import InitiativeView, view_for
from core.outbox.service import enqueue
from core.users.models import User

_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _head(view: InitiativeView) -> str:
    return f"Sáng kiến <b>{escape(view.number)}</b> «{escape(view.title)}»"


def _local(at: datetime) -> str:
    return at.astimezone(_TZ).strftime("%H:%M ngày %d/%m/%Y")


def status_text(view: InitiativeView, *, first: bool, note: str | None = None) -> str:
    """The message an author gets when their initiative changes status (`first`: the receipt)."""
    if view.status == InitiativeStatus.SUBMITTED and first:
        number = escape(view.number)
        text = f"✅ Đã tiếp nhận {_head(view)}.\nSố sáng kiến: <b>{number}</b>."
    else:
        text = f"📌 {_head(view)}: trạng thái mới <b>{escape(view.status_label)}</b>."
    if view.status == InitiativeStatus.NEEDS_INFO:
        text += "\nVui lòng bổ sung thông tin theo yêu cầu bên dưới."
    if note:
        text += f"\nGhi chú: {escape(note)}"
    return text


async def notify_authors(
    session: AsyncSession, initiative: Initiative, *, note: str | None = None
) -> None:
    """Tell every active author about the current status (once per status change)."""
    for author in initiative.authors:
        if author.status != AuthorStatus.ACTIVE:
            continue
        view = view_for(author.user, initiative)
        await enqueue(
            session,
            user_id=author.user_id,
            text=status_text(view, first=initiative.status_seq == 0, note=note),
            idempotency_key=f"initiative:{initiative.id}:status:{initiative.status_seq}:{author.user_id}",
        )


async def notify_assigned(
    session: AsyncSession, initiative: Initiative, *, evaluator: User, due_at: datetime
) -> None:
    """Tell an evaluator a new initiative awaits their score."""
    view = view_for(evaluator, initiative)
    await enqueue(
        session,
        user_id=evaluator.id,
        text=(
            f"📝 Bạn được phân công chấm {_head(view)}.\n"
            f"Hạn chấm: <b>{_local(due_at)}</b>. Vui lòng chấm trên trang quản trị."
        ),
        idempotency_key=f"initiative:{initiative.id}:assigned:{evaluator.id}",
    )


async def notify_reminder(
    session: AsyncSession,
    initiative: Initiative,
    *,
    evaluator: User,
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
        user_id=evaluator.id,
        text=f"{lead} {_head(view_for(evaluator, initiative))}. Hạn chấm: <b>{_local(due_at)}</b>.",
        idempotency_key=f"initiative:{initiative.id}:remind:{evaluator.id}:{stage}",
    )


async def notify_coauthor_request(
    session: AsyncSession, initiative: Initiative, *, requester_name: str, requester_id: int
) -> None:
    """Tell the main author that someone asks to co-author."""
    head = _head(view_for(initiative.author, initiative))
    await enqueue(
        session,
        user_id=initiative.author_id,
        text=f"🤝 {escape(requester_name)} đề nghị tham gia làm đồng tác giả {head}.",
        idempotency_key=f"initiative:{initiative.id}:join:{requester_id}",
    )


async def notify_coauthor_added(
    session: AsyncSession, initiative: Initiative, *, user: User
) -> None:
    """Tell a person they are now a co-author."""
    await enqueue(
        session,
        user_id=user.id,
        text=f"🤝 Bạn đã trở thành đồng tác giả {_head(view_for(user, initiative))}.",
        idempotency_key=f"initiative:{initiative.id}:coauthor:{user.id}",
    )


async def notify_overdue_admin(
    session: AsyncSession, initiative: Initiative, *, evaluation: Evaluation, admin: User
) -> None:
    """Tell an admin that an evaluator missed the deadline (to reassign or chase)."""
    await enqueue(
        session,
        user_id=admin.id,
        text=(
            f"⚠️ {escape(evaluation.evaluator.full_name)} chưa chấm "
            f"{_head(view_for(admin, initiative))} dù đã quá hạn ({_local(evaluation.due_at)})."
        ),
        idempotency_key=f"initiative:{initiative.id}:overdue:{evaluation.evaluator_id}:{admin.id}",
    )
