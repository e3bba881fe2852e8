"""Every Vietnamese text of mentoring (Telegram HTML). Peer advice is always marked as such.

User-supplied strings are escaped here. The buttons queued with notifications are
core.outbox.buttons actions (the bot draws them, BTN_FORMAL among the labels).
"""

from __future__ import annotations

from html import escape

from core.mentors.models import Mentor, MentorRequest
from core.outbox.buttons import Action, Buttons, button, row
from core.users.models import User

BTN_PEER = "🤝 Hỏi đồng nghiệp có kinh nghiệm"
PEER_NOTE = (
    "Đây là ý kiến tham khảo không chính thức của đồng nghiệp, không phải ý kiến của cấp trên."
)


BTN_FORMAL = "❓ Xin ý kiến chính thức"


def formal(question_id: int) -> Buttons:
    """Under a peer reply queued in the outbox: the formal route."""
    return row(button(Action.QUESTION_ESCALATE, question_id))


def _who(user: User) -> str:
    position = f", {escape(user.position)}" if user.position else ""
    return f"{escape(user.full_name)}{position} ({escape(user.unit.name)})"


def choose(mentors: list[Mentor]) -> str:
    """To the cadre, above the mentors they may ask and the formal route (bot.keyboards)."""
    if not mentors:
        return (
            "Chưa có đồng nghiệp nào nhận hỗ trợ chức danh của bạn. "
            "Bạn có thể gửi xin ý kiến chính thức."
        )
    return "Chọn một đồng nghiệp có kinh nghiệm để hỏi nhanh. " + PEER_NOTE


def sent(mentor: User) -> str:
    return (
        f"Đã gửi câu hỏi tới {_who(mentor)}; bạn sẽ nhận trả lời tại đây.\n{PEER_NOTE} "
        "Cần ý kiến chính thức thì bấm ❓."
    )


def to_mentor(request: MentorRequest) -> str:
    return (
        f"🤝 <b>Đồng nghiệp hỏi ý kiến</b> (không chính thức) — {_who(request.asker)}:\n"
        f"{escape(request.question)}"
    )


def reply_buttons(request_id: int) -> Buttons:
    return row(button(Action.MENTOR_REPLY, request_id))


ASK_REPLY = "✍️ Gõ ý kiến của bạn cho đồng nghiệp (gõ /huy để bỏ):"
REPLY_SENT = "Đã gửi ý kiến của bạn. Cảm ơn bạn đã hỗ trợ đồng nghiệp."


def to_asker(request: MentorRequest) -> str:
    return (
        f"🤝 <b>Ý kiến tham khảo</b> của đồng nghiệp {_who(request.mentor)}:\n"
        f"{escape(request.reply or '')}\n\n⚠️ {PEER_NOTE} Cần ý kiến chính thức thì bấm ❓."
    )


def status(mentor: Mentor | None, position: str | None) -> str:
    """/dongnghiep: whether the official volunteers (the switch is bot.keyboards')."""
    if not position:
        return "Hồ sơ của bạn chưa có chức danh nên chưa thể nhận hỗ trợ đồng nghiệp."
    if mentor is not None and mentor.active:
        return (
            f"Bạn đang nhận hỗ trợ đồng nghiệp chức danh «{escape(mentor.position)}»: cán bộ "
            "gặp câu hỏi chưa có trong cơ sở tri thức có thể hỏi bạn không chính thức."
        )
    return (
        f"Bạn có thể nhận hỗ trợ đồng nghiệp chức danh «{escape(position)}»: cán bộ gặp câu "
        "hỏi chưa có trong cơ sở tri thức sẽ được hỏi bạn không chính thức."
    )
