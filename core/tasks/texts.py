"""Every Vietnamese notification text of the hard-task catalogue (Telegram HTML).

User-supplied strings are escaped here, never by callers. Buttons are core.outbox.buttons
actions, drawn by the bot.
"""

from __future__ import annotations

from html import escape

from core.cases.texts import when
from core.outbox.buttons import Action, Buttons, button, row
from core.tasks.models import HardTask


def head(task: HardTask) -> str:
    """How a task is named in messages, e.g. "Việc khó #12 «Giải quyết …»"."""
    return f"<b>Việc khó #{task.id}</b> «{escape(task.title)}»"


def owner_buttons(task_id: int) -> Buttons:
    """Under a message to the owner: add a progress note, mark done."""
    return row(button(Action.TASK_NOTE, task_id), button(Action.TASK_DONE, task_id))


def commend_buttons(task_id: int) -> Buttons:
    """Under the 'task finished' message to supervisors: commend the owner in one tap."""
    return row(button(Action.COMMEND_TASK, task_id))


def assigned(task: HardTask, by: str) -> str:
    """To the owner: a hard task was put in their charge."""
    return (
        f"📌 Bạn được giao chịu trách nhiệm {head(task)} ({escape(task.unit.name)}), "
        f"giao bởi {escape(by)}.\nThời hạn: {task.working_days} ngày làm việc, "
        f"đến {when(task.due_at)}.\nGõ /viec_kho để xem và cập nhật tiến độ."
    )


def reminder(task: HardTask, percent: int) -> str:
    """To the owner: part of the deadline has passed."""
    return (
        f"⏰ {head(task)} đã qua {percent}% thời hạn; hạn hoàn thành {when(task.due_at)}.\n"
        "Hãy ghi tiến độ hoặc báo hoàn thành."
    )


def overdue_to_owner(task: HardTask) -> str:
    """To the owner: the deadline has passed and their supervisors are told."""
    return f"⚠️ {head(task)} đã quá hạn ({when(task.due_at)}). Người phụ trách đơn vị đã được báo."


def overdue_to_level(task: HardTask, level: str, owner: str) -> str:
    """To the supervisors of the rung just reached: a task is overdue."""
    return (
        f"⚠️ {head(task)} của {escape(task.unit.name)} quá hạn từ {when(task.due_at)} "
        f"(người chịu trách nhiệm: {escape(owner)}). Được báo tới cấp: {escape(level)}."
    )


def overdue_top(task: HardTask, owner: str) -> str:
    """To the admins: no rung above is left and the task is still overdue."""
    return (
        f"🚨 {head(task)} của {escape(task.unit.name)} vẫn quá hạn từ {when(task.due_at)} "
        f"(người chịu trách nhiệm: {escape(owner)}) và không còn cấp trên để báo."
    )


def note_to_owner(task: HardTask, author: str, text: str) -> str:
    """To the owner: a supervisor wrote a note on their task."""
    return f"📝 {escape(author)} ghi chú về {head(task)}:\n{escape(text)}"


def finished(task: HardTask, by: str) -> str:
    """To the unit's supervisors: a task was finished (they may commend the owner)."""
    timing = "đúng hạn" if task.closed_at and task.closed_at <= task.due_at else "sau hạn"
    note = f"\nKết quả: {escape(task.closing_note)}" if task.closing_note else ""
    return (
        f"✅ {head(task)} đã hoàn thành ({timing}), báo bởi {escape(by)}; "
        f"người chịu trách nhiệm: {escape(task.owner.full_name)}.{note}"
    )
