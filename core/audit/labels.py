"""What people read for the audit log: one Vietnamese label per action and per kind of record,
the entry's data as readable text, and Vietnamese search terms turned back into codes.

Every front (the console's audit page and case history, `troly audit show`) reads these.
"""

from __future__ import annotations

import json
from typing import Any

from core.text import fold

ACTION_LABELS: dict[str, str] = {
    "case.create": "Gửi xin ý kiến",
    "case.claim": "Nhận xử lý",
    "case.answer": "Trả lời",
    "case.forward": "Chuyển",
    "case.escalate": "Tự động chuyển cấp trên (quá hạn)",
    "case.remind50": "Nhắc việc (đã dùng 50% thời hạn)",
    "case.remind80": "Nhắc việc (đã dùng 80% thời hạn)",
    "case.withdraw": "Rút xin ý kiến",
    "case.close": "Đóng",
    "case.expire": "Hết hiệu lực",
    "case.overdue": "Quá hạn ở cấp cao nhất",
    "case.feedback": "Người hỏi đánh giá",
    "case.note": "Ghi chú nội bộ",
    "precedent.propose": "Đề xuất thành hướng dẫn",
    "precedent.approve": "Duyệt thành tiền lệ",
    "precedent.reject": "Từ chối đề xuất",
    "question.feedback": "Đánh giá câu trả lời",
    "kb.created": "Thêm văn bản mới",
    "kb.new_version": "Thêm phiên bản mới của văn bản",
    "kb.updated": "Cập nhật thông tin văn bản",
    "kb.restored": "Khôi phục văn bản",
    "kb.unchanged": "Nhập lại văn bản (không thay đổi)",
    "kb.skipped": "Bỏ qua khi nhập văn bản",
    "kb.metadata": "Sửa thông tin văn bản",
    "kb.retire": "Gỡ văn bản khỏi kho",
    "kb.unretire": "Đưa văn bản trở lại kho",
    "kb.precedent": "Đưa tiền lệ vào kho tri thức",
    "kb.good_practice": "Đưa sáng kiến vào kho tri thức",
    "initiative.submit": "Nộp sáng kiến",
    "initiative.coauthor_add": "Thêm đồng tác giả",
    "initiative.join_request": "Xin tham gia sáng kiến",
    "initiative.assign": "Phân công chấm sáng kiến",
    "initiative.unassign": "Bỏ phân công chấm",
    "initiative.score": "Nộp phiếu chấm",
    "initiative.publish": "Đăng sáng kiến thành kinh nghiệm hay",
    "initiative.screening": "Chuyển sáng kiến sang sơ loại",
    "initiative.under_evaluation": "Chuyển sáng kiến sang chấm điểm",
    "initiative.evaluated": "Sáng kiến đã chấm xong",
    "initiative.recognised": "Công nhận sáng kiến",
    "initiative.needs_info": "Yêu cầu bổ sung thông tin sáng kiến",
    "initiative.not_accepted": "Không công nhận sáng kiến",
    "initiative.submitted": "Đưa sáng kiến về trạng thái đã nộp",
    "rubric.update": "Lưu bộ tiêu chí mới",
    "unit.create": "Thêm đơn vị",
    "unit.update": "Sửa đơn vị",
    "user.create": "Tạo người dùng",
    "user.signin_code": "Cấp mã đăng nhập một lần",
    "user.activate": "Khóa hoặc mở khóa người dùng",
    "user.set_role": "Đổi vai trò",
    "user.set_topics": "Đặt lĩnh vực phụ trách",
    "user.set_units": "Đặt đơn vị phụ trách",
    "invite.create": "Tạo mã mời",
    "invite.redeem": "Dùng mã mời",
    "invite.revoke": "Thu hồi mã mời",
    "token.issue": "Cấp mã truy cập",
    "token.revoke": "Thu hồi mã truy cập",
    "web.login": "Đăng nhập web",
    "web.logout": "Đăng xuất web",
    "task.create": "Giao việc khó",
    "task.note": "Ghi tiến độ việc khó",
    "task.done": "Báo hoàn thành việc khó",
    "task.update": "Sửa, giao lại hoặc hủy việc khó",
    "task.link": "Liên kết việc khó",
    "task.remind50": "Nhắc việc khó (đã dùng 50% thời hạn)",
    "task.remind80": "Nhắc việc khó (đã dùng 80% thời hạn)",
    "task.overdue": "Việc khó quá hạn",
    "task.escalate": "Báo việc khó quá hạn lên cấp trên",
    "task.overdue_top": "Báo việc khó quá hạn tới quản trị viên",
    "recognition.commend": "Biểu dương",
    "drill.create": "Soạn bài luyện tập tình huống",
    "drill.propose": "Đề xuất bài luyện tập từ tiền lệ",
    "drill.update": "Sửa bài luyện tập",
    "drill.publish": "Xuất bản bài luyện tập",
    "drill.archive": "Ngừng gửi bài luyện tập",
    "drill.deliver": "Gửi bài luyện tập cho cán bộ",
    "drill.answer": "Trả lời bài luyện tập",
    "drill.self_check": "Tự đối chiếu câu trả lời luyện tập",
    "drill.schedule": "Đổi lịch nhận bài luyện tập",
    "mentor.volunteer": "Nhận hỗ trợ đồng nghiệp",
    "mentor.withdraw": "Thôi nhận hỗ trợ đồng nghiệp",
    "mentor.ask": "Hỏi ý kiến đồng nghiệp (không chính thức)",
    "mentor.reply": "Đồng nghiệp trả lời (không chính thức)",
}

ENTITY_LABELS: dict[str, str] = {
    "case": "Xin ý kiến",
    "document": "Văn bản",
    "initiative": "Sáng kiến",
    "rubric": "Bộ tiêu chí",
    "unit": "Đơn vị",
    "user": "Người dùng",
    "invite": "Mã mời",
    "api_token": "Mã truy cập",
    "question": "Câu hỏi",
    "web_session": "Phiên đăng nhập",
    "task": "Việc khó",
    "commendation": "Biểu dương",
    "drill": "Bài luyện tập",
}

DATA_CHARS = 300


def action_label(action: str) -> str:
    """Vietnamese label of an audit action (the raw code when unknown)."""
    return ACTION_LABELS.get(action, action)


def entity_label(entity: str) -> str:
    """Vietnamese name of a kind of record (the raw code when unknown)."""
    return ENTITY_LABELS.get(entity, entity)


def data_text(data: Any, limit: int = DATA_CHARS) -> str:
    """An entry's data as people read it: Vietnamese letters as they are, not \\u escapes."""
    if not data:
        return ""
    text = json.dumps(data, ensure_ascii=False, default=str, separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def matching_codes(term: str) -> tuple[set[str], set[str]]:
    """The actions and kinds of record a search term names, in Vietnamese (with or without
    diacritics) or as a code: "sáng kiến" -> every initiative action and the initiative kind."""
    wanted = fold(" ".join(term.split()).lower())
    if not wanted:
        return set(), set()

    def hit(code: str, label: str) -> bool:
        return wanted in fold(label.lower()) or wanted in code.lower()

    actions = {code for code, label in ACTION_LABELS.items() if hit(code, label)}
    entities = {code for code, label in ENTITY_LABELS.items() if hit(code, label)}
    return actions, entities
