"""Every Vietnamese notification text of the queue, in one place for review (Telegram HTML).

User- or document-supplied strings are escaped here, never by callers.
"""

from __future__ import annotations

from datetime import date, datetime
from html import escape
from zoneinfo import ZoneInfo

from core.cases.enums import URGENCY_LABELS, Urgency
from core.cases.models import Case
from core.outbox.buttons import Action, Buttons, button, row

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SNIPPET_CHARS = 300
ADMIN_ONLY = "Chỉ quản trị viên được thực hiện thao tác này."


def when(value: datetime | None) -> str:
    """Local date and time as Vietnamese readers write it, e.g. "14:05 ngày 23/11/2026"."""
    if value is None:
        return "—"
    return value.astimezone(TZ).strftime("%H:%M ngày %d/%m/%Y")


def day(value: date | None) -> str:
    """A calendar date as Vietnamese readers write it, e.g. "23/11/2026"."""
    return "—" if value is None else value.strftime("%d/%m/%Y")


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    short = text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1] + "…"
    return escape(short)


def _urgency(case: Case) -> str:
    label = URGENCY_LABELS.get(Urgency(case.urgency), case.urgency)
    return f"🔴 {label}" if case.urgency == Urgency.URGENT else label


def _head(case: Case) -> str:
    return f"<b>{escape(case.number)}</b>"


def _files(case: Case) -> str:
    """A line announcing the attachments that follow a case notification, if any."""
    count = len(case.attachments or [])
    return f"\n📎 Kèm {count} tệp đính kèm, gửi ngay sau tin này." if count else ""


def attachment_caption(case: Case, index: int, name: str) -> str:
    """Caption of one attachment sent after a case notification, e.g. "📎 XYK-… — tệp 1/2"."""
    total = len(case.attachments or [])
    return f"📎 {_head(case)} — tệp {index + 1}/{total}: {escape(name)}"


def new_case(case: Case, asker_name: str, unit_name: str) -> str:
    """To supervisors: a new case waits in their queue."""
    topic = f"\nLĩnh vực: {escape(case.topic)}" if case.topic else ""
    return (
        f"📥 Xin ý kiến mới {_head(case)} — mức độ: {_urgency(case)}\n"
        f"Người hỏi: {escape(asker_name)} ({escape(unit_name)}){topic}\n"
        f"Hạn trả lời: {when(case.due_at)}{_files(case)}\n\n{_snippet(case.question)}"
    )


def created_receipt(case: Case) -> str:
    """To the asker: the case number and its deadline."""
    return (
        f"✅ Đã gửi xin ý kiến {_head(case)} (mức độ {_urgency(case)}).\n"
        f"Hạn trả lời dự kiến: {when(case.due_at)}. Bạn sẽ được báo khi có người nhận xử lý."
    )


def claimed(case: Case, who: str) -> str:
    """To the asker: someone took the case."""
    return f"👤 {_head(case)} đã được {escape(who)} nhận xử lý lúc {when(case.claimed_at)}."


def answer_receipt(case: Case, who: str) -> str:
    """To the asker: the answer with its receipt (number, who, when, legal basis)."""
    basis = escape(case.legal_basis) if case.legal_basis else "không nêu"
    return (
        f"📨 <b>Trả lời xin ý kiến {escape(case.number)}</b>\n\n{escape(case.answer or '')}\n\n"
        f"Căn cứ pháp lý: {basis}\n"
        f"Người trả lời: {escape(who)}\nThời điểm: {when(case.answered_at)}"
    )


def forwarded_to_asker(case: Case, level_name: str) -> str:
    """To the asker: the case moved on."""
    return (
        f"↪️ {_head(case)} đã được chuyển tới {escape(level_name)}. "
        f"Hạn trả lời mới: {when(case.due_at)}."
    )


def forwarded_to_handler(case: Case, by: str, note: str | None) -> str:
    """To the new handler(s): a case was forwarded to them."""
    extra = f"\nGhi chú: {escape(note)}" if note else ""
    return (
        f"↪️ {escape(by)} chuyển cho bạn xin ý kiến {_head(case)} — mức độ {_urgency(case)}.\n"
        f"Hạn trả lời: {when(case.due_at)}{extra}{_files(case)}\n\n{_snippet(case.question)}"
    )


def handed_over(case: Case, level_name: str) -> str:
    """To the previous assignee: the case left them."""
    return f"ℹ️ {_head(case)} đã được chuyển tới {escape(level_name)}; bạn không cần xử lý tiếp."


def reminder(case: Case, percent: int) -> str:
    """To the assignee or the level's supervisors: the deadline is approaching."""
    return (
        f"⏰ Nhắc việc: {_head(case)} đã dùng {percent}% thời hạn. "
        f"Hạn trả lời: {when(case.due_at)}.\n\n{_snippet(case.question)}"
    )


def escalated_to_asker(case: Case, level_name: str) -> str:
    """To the asker: overdue, moved one level up."""
    return (
        f"⚠️ {_head(case)} đã quá hạn và được chuyển lên {escape(level_name)}. "
        f"Hạn trả lời mới: {when(case.due_at)}."
    )


def escalated_to_level(case: Case, from_name: str) -> str:
    """To the supervisors of the next level: an overdue case arrives."""
    return (
        f"⚠️ Xin ý kiến {_head(case)} quá hạn tại {escape(from_name)}, chuyển lên đơn vị bạn.\n"
        f"Mức độ: {_urgency(case)}. Hạn trả lời: {when(case.due_at)}{_files(case)}\n\n"
        f"{_snippet(case.question)}"
    )


def overdue_to_asker(case: Case) -> str:
    """To the asker: overdue at the top of the ladder; what happens now, in their terms."""
    return (
        f"⏰ {_head(case)} đã quá hạn trả lời ({when(case.due_at)}). Yêu cầu vẫn đang được "
        "xử lý và quản trị viên đã được báo để đôn đốc; bạn sẽ được báo ngay khi có trả lời."
    )


def overdue_top(case: Case) -> str:
    """To supervisors and admins: overdue at the top of the ladder (no higher level)."""
    return f"⚠️ {_head(case)} đã quá hạn trả lời ({when(case.due_at)}) và chưa có cấp cao hơn."


def withdrawn(case: Case) -> str:
    """To the assignee: the asker withdrew."""
    return f"ℹ️ Người hỏi đã rút xin ý kiến {_head(case)}."


def expired(case: Case) -> str:
    """To the asker: an admin closed the case as no longer relevant."""
    return f"ℹ️ Xin ý kiến {_head(case)} đã được đóng do không còn hiệu lực."


def resolved_with_group(case: Case, primary_number: str) -> str:
    """To an assignee whose case was answered together with a near-duplicate."""
    return (
        f"ℹ️ {_head(case)} đã được trả lời cùng xin ý kiến trùng lặp "
        f"{escape(primary_number)}; bạn không cần xử lý tiếp."
    )


def precedent_proposed(case: Case, who: str) -> str:
    """To admins: a supervisor proposes an answer as guidance."""
    return f"📚 {escape(who)} đề xuất câu trả lời {_head(case)} thành hướng dẫn dùng lại."


def precedent_decided(case: Case, approved: bool, note: str | None) -> str:
    """To the proposer: the admin's decision."""
    verdict = "đã được phê duyệt thành hướng dẫn" if approved else "chưa được phê duyệt"
    extra = f"\nGhi chú: {escape(note)}" if note else ""
    return f"📚 Đề xuất từ {_head(case)} {verdict}.{extra}"


# The asker's verdict, in the same words under a supervisor's answer and under a search answer
# (bot.texts takes them from here).
BTN_HELPFUL = "👍 Hữu ích"
BTN_UNHELPFUL = "👎 Chưa đúng"


def feedback_buttons(case_id: int) -> Buttons:
    """Under an answer receipt: the asker's verdict (BTN_HELPFUL, BTN_UNHELPFUL)."""
    return row(button(Action.CASE_HELPFUL, case_id), button(Action.CASE_UNHELPFUL, case_id))
