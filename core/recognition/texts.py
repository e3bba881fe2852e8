"""Vietnamese wording of commendations: the suggested citations and the message to the official.

User-supplied strings are escaped in the Telegram text, never by callers.
"""

from __future__ import annotations

from html import escape

from core.outbox.buttons import Action, Buttons, button, row
from core.recognition.models import Commendation


def task_citation(title: str, on_time: bool) -> str:
    timing = " đúng hạn" if on_time else ""
    return f"Hoàn thành{timing} việc khó «{title}»."


def case_citation(number: str, early: bool) -> str:
    speed = " sớm, trước nửa thời hạn" if early else " đúng hạn"
    return f"Trả lời xin ý kiến {number}{speed}, giúp cơ sở xử lý kịp thời."


def precedent_citation(number: str, title: str) -> str:
    return f"Câu trả lời {number} được duyệt thành hướng dẫn dùng chung «{title}»."


REASON_TASK_ON_TIME = "Việc khó hoàn thành đúng hạn"
REASON_TASK_LONG = "Việc tồn đọng lâu đã hoàn thành"
REASON_CASE_EARLY = "Trả lời xin ý kiến trước nửa thời hạn"
REASON_PRECEDENT = "Câu trả lời được duyệt thành hướng dẫn"


def reason_reused(units: int) -> str:
    return f"Hướng dẫn được {units} xã khác dùng lại"


def reused_citation(number: str, title: str, units: int) -> str:
    return f"Câu trả lời {number} («{title}») được {units} xã khác dùng lại khi tra cứu."


def case_answered_early(number: str, answerer: str) -> str:
    """To the answerer's fellow supervisors: a case was answered before half its deadline."""
    return (
        f"⏱ Xin ý kiến {escape(number)} đã được {escape(answerer)} trả lời sớm, trước nửa thời "
        "hạn. Nếu xử lý tốt, bấm 🏅 để biểu dương kịp thời."
    )


def commend_case_buttons(case_id: int) -> Buttons:
    """One-tap commendation of whoever answered the case."""
    return row(button(Action.COMMEND_CASE, case_id))


def to_official(item: Commendation) -> str:
    """To the commended official."""
    return (
        f"🏅 <b>Biểu dương</b> từ {escape(item.by.full_name)}:\n{escape(item.citation)}\n"
        "Lời biểu dương đã được ghi vào hồ sơ công vụ của bạn."
    )
