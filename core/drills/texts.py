"""Every Vietnamese text of situation drills (Telegram HTML).

User-supplied strings are escaped here, never by callers. The buttons queued with
notifications are core.outbox.buttons actions; the bot draws them (an option's button is its
letter, the free answer's BTN_WRITE).
"""

from __future__ import annotations

from html import escape

from core.cases.texts import when
from core.drills.models import Drill, DrillDelivery, DrillSchedule
from core.outbox.buttons import Action, Buttons, button, row

LETTERS = "ABCD"
INTERVAL_CHOICES = (1, 3, 7, 14, 30)
FOOTER = "Gõ /luyentap để đổi nhịp nhận bài hoặc tạm dừng."
DEFAULT_TOPIC = "Tình huống chung"
BTN_WRITE = "✍️ Trả lời"


def letter(index: int | None) -> str:
    return LETTERS[index] if index is not None and 0 <= index < len(LETTERS) else "?"


def delivered(drill: Drill) -> str:
    """To the cadre: the situation, its options (or how to answer freely)."""
    lines = [f"🎯 <b>Luyện tập tình huống</b>: {escape(drill.title)}", "", escape(drill.situation)]
    if drill.options:
        lines.append("")
        lines += [f"<b>{letter(i)}.</b> {escape(str(o))}" for i, o in enumerate(drill.options)]
        lines += ["", "Chọn phương án bạn cho là đúng."]
    else:
        lines += ["", f"Bấm «{BTN_WRITE}» rồi gõ cách bạn sẽ xử lý tình huống này."]
    lines.append(FOOTER)
    return "\n".join(lines)


def answer_buttons(drill: Drill, delivery_id: int) -> Buttons:
    if drill.options:
        return row(*(button(Action.DRILL_PICK, delivery_id, i) for i in range(len(drill.options))))
    return row(button(Action.DRILL_WRITE, delivery_id))


def reveal(delivery: DrillDelivery) -> str:
    """To the cadre after answering: right or not, the approved answer and its source."""
    drill = delivery.drill
    if drill.options:
        if delivery.correct:
            verdict = f"✅ Chính xác: phương án {letter(delivery.choice)}."
        else:
            verdict = (
                f"❌ Chưa đúng: bạn chọn {letter(delivery.choice)}, "
                f"phương án đúng là {letter(drill.correct_option)}."
            )
    else:
        verdict = "📝 Đã ghi nhận câu trả lời của bạn. Hãy so với câu trả lời được duyệt dưới đây."
    source = f"\n📚 <b>Nguồn:</b> {escape(drill.citation)}" if drill.citation else ""
    return f"{verdict}\n\n<b>Câu trả lời được duyệt:</b>\n{escape(drill.answer)}{source}"


SELF_NOTED = "Cảm ơn bạn, đã ghi nhận. Kết quả chỉ dùng để bồi dưỡng, không xếp hạng cá nhân."
ASK_FREE_ANSWER = "✍️ Gõ câu trả lời của bạn cho tình huống «{title}» (gõ /huy để bỏ):"


def draft_proposed(drill: Drill, number: str) -> str:
    """To the precedent's proposer: a drill draft was made from the approved answer."""
    return (
        f"🎯 Tiền lệ {escape(number)} đã được duyệt; một bài luyện tập tình huống "
        f"<b>#{drill.id}</b> «{escape(drill.title)}» đã được soạn sẵn (bản nháp).\n"
        f"Sửa phương án, chức danh áp dụng trên bảng điều khiển (/drills/{drill.id}) "
        "hoặc xuất bản ngay."
    )


def publish_buttons(drill_id: int) -> Buttons:
    return row(button(Action.DRILL_PUBLISH, drill_id))


PUBLISHED = "Đã xuất bản bài luyện tập #{id}; cán bộ đúng chức danh sẽ nhận theo lịch của mình."


def schedule(item: DrillSchedule, pending: int) -> str:
    """/luyentap: the cadre's rhythm and how to change it."""
    if item.paused:
        state = "⏸ Đang tạm dừng."
    else:
        state = f"Nhận một bài mỗi {item.interval_days} ngày, bài tới từ {when(item.next_at)}."
    waiting = f"\nBạn còn {pending} bài chưa trả lời." if pending else ""
    return (
        f"🎯 <b>Luyện tập tình huống</b>\n{state}{waiting}\n"
        "Bài được gửi trong giờ làm việc, bỏ qua ngày nghỉ lễ, Tết. Chọn nhịp nhận bài:"
    )


SCHEDULE_SAVED = "Đã lưu lịch luyện tập."
