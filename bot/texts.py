"""Every Vietnamese text the bot sends, in one place so it can be reviewed.

Texts are HTML (Telegram parse mode). Placeholders filled with user- or document-supplied
values must be escaped by the caller (bot.render.esc) before `.format(...)`.
"""

from __future__ import annotations

from core.cases.texts import BTN_HELPFUL as BTN_HELPFUL  # re-exported: one wording
from core.cases.texts import BTN_UNHELPFUL as BTN_UNHELPFUL

# --- access and registration ---
UNKNOWN_USER = (
    "Xin chào! Đây là <b>Trợ lý Cơ sở</b> dành cho cán bộ, công chức cấp xã, phường.\n"
    "Bạn chưa đăng ký. Vui lòng mở đường dẫn mời hoặc gõ <code>/start MÃ_MỜI</code> "
    "với mã do quản trị viên cấp."
)
INACTIVE_USER = "Tài khoản của bạn đang bị khóa. Vui lòng liên hệ quản trị viên."
ALREADY_REGISTERED = "Bạn đã đăng ký rồi, {name}. Gõ /trogiup để xem hướng dẫn."
ASK_FULL_NAME = (
    "Mã mời hợp lệ: <b>{role}</b> tại <b>{unit}</b>.\n"
    "Vui lòng nhập <b>họ và tên đầy đủ</b> của bạn (ví dụ: Nguyễn Văn An)."
)
BAD_FULL_NAME = "Họ tên cần từ 2 đến 200 ký tự. Vui lòng nhập lại."
ASK_POSITION = "Cảm ơn {name}. Vui lòng chọn <b>chức danh</b> của bạn:"
REGISTERED = (
    "✅ Đăng ký thành công!\n"
    "Họ tên: <b>{name}</b>\nVai trò: {role}\nĐơn vị: {unit}\nChức danh: {position}\n\n"
    "Gõ /trogiup để xem cách sử dụng."
)
ROLE_LABELS = {
    "cadre": "Cán bộ, công chức",
    "supervisor": "Người phụ trách trả lời",
    "evaluator": "Người đánh giá sáng kiến",
    "admin": "Quản trị viên",
}
NO_POSITION = "(không có)"

# --- help / cancel / generic ---
HELP_CADRE = (
    "<b>Trợ lý Cơ sở — hướng dẫn nhanh</b>\n\n"
    "• <b>Hỏi</b>: gõ câu hỏi bằng lời thường (có dấu hoặc không dấu). Trợ lý trả lời bằng "
    "các đoạn văn bản có trích dẫn (văn bản, Điều, Khoản, Điểm, hiệu lực) và độ tin cậy.\n"
    "• Dưới câu trả lời: 👍 Hữu ích · 👎 Chưa đúng · ❓ Xin ý kiến nhanh · ➕ Xem thêm.\n"
    "• /xinykien — gửi tình huống mới để cấp trên trả lời nhanh (kèm ảnh, tài liệu; "
    "mức độ thường hoặc khẩn). Bạn được báo khi có người nhận xử lý, khi có trả lời, "
    "khi được chuyển hoặc quá hạn.\n"
    "• /sangkien — ghi nhận sáng kiến từng bước: tên, vấn đề, cách làm, kết quả và minh chứng, "
    "lĩnh vực.\n"
    "• /cuatoi — các yêu cầu và sáng kiến của bạn cùng trạng thái.\n"
    "• /viec_kho — việc khó bạn chịu trách nhiệm: ghi tiến độ, báo hoàn thành.\n"
    "• /luyentap — luyện tập tình huống: nhịp nhận bài (mặc định mỗi tuần) hoặc tạm dừng.\n"
    "• /dongnghiep — nhận (hoặc thôi nhận) hỗ trợ không chính thức cho đồng nghiệp cùng chức "
    "danh; khi câu hỏi chưa có trong cơ sở tri thức, nút 🤝 hỏi nhanh một đồng nghiệp như vậy.\n"
    "• /huy — hủy thao tác đang làm dở.\n"
    "• /trogiup — xem lại hướng dẫn này."
)
HELP_SUPERVISOR = (
    "\n\n<b>Dành cho người phụ trách</b>\n"
    "• Yêu cầu mới của đơn vị bạn phụ trách được gửi tới kèm nút [Nhận xử lý] [Chuyển].\n"
    "• Sau khi nhận: [Trả lời] (nội dung và căn cứ pháp lý), [Chuyển cấp trên], "
    "[Đề xuất thành hướng dẫn].\n"
    "• /hangdoi — các yêu cầu đang mở, hạn gần nhất trước.\n"
    "• /dangnhap — lấy mã đăng nhập bảng điều khiển web."
)
HELP_ADMIN = (
    "\n\n<b>Dành cho quản trị viên</b>\n"
    "• Gửi tệp .docx, .pdf, .md hoặc .txt để nhập vào cơ sở tri thức (có bước xem trước).\n"
    "• /kb — thống kê cơ sở tri thức."
)
CANCELLED = "Đã hủy thao tác đang làm. Bạn có thể gõ câu hỏi hoặc dùng /trogiup."
NOTHING_TO_CANCEL = "Không có thao tác nào đang làm dở."
RATE_LIMITED_DELAYED = (
    "⏳ Bạn gửi hơi nhanh. Tin nhắn của bạn vẫn được giữ và sẽ được xử lý sau khoảng "
    "{seconds} giây, không cần gửi lại."
)
RATE_LIMITED_REFUSED = (
    "⏳ Bạn gửi quá nhanh nên tin nhắn vừa rồi <b>chưa được xử lý</b>. "
    "Vui lòng gửi lại sau khoảng {seconds} giây."
)
RATE_LIMITED_BUTTON = (
    "Bạn bấm hơi nhanh nên thao tác chưa được thực hiện. "
    "Vui lòng bấm lại sau khoảng {seconds} giây."
)
ERROR_GENERIC = "Đã có lỗi khi xử lý yêu cầu. Vui lòng thử lại sau ít phút."
ERROR_DOMAIN = "⚠️ {message}"
TOO_LONG = (
    "Nội dung dài {length} ký tự, vượt giới hạn {limit} ký tự nên chưa được xử lý. "
    "Vui lòng rút gọn rồi gửi lại."
)
STEPS_KEPT = "Các bước bạn đã làm vẫn được giữ nguyên."
TEXT_EXPECTED = "Vui lòng gửi nội dung dạng văn bản cho bước này."
UNSUPPORTED_MESSAGE = "Trợ lý chỉ nhận câu hỏi dạng văn bản. Gõ /trogiup để xem hướng dẫn."
EXPIRED_BUTTON = "Nút này đã hết hiệu lực."
DONE = "Đã ghi nhận."
IN_FLOW_HINT = (
    "Bạn đang làm dở một thao tác. Vui lòng dùng các nút bên trên để tiếp tục, hoặc gõ /huy để hủy."
)

# --- questions ---
ANSWER_LEAD = "💡 <b>{citation}</b>\n<i>{validity}</i>\n{text}"
ANSWER_PASSAGE = "<b>{n}. {citation}</b>\n<i>{validity}</i>\n{text}"
ANSWER_CONFIDENCE = "Độ tin cậy: {percent}%"
ANSWER_UNDERSTOOD = "🔤 Hiểu câu hỏi là: <i>{text}</i>"
ANSWER_LEXICAL = "(Đang tìm theo từ khóa, chưa dùng mô hình ngữ nghĩa.)"
NOT_COVERED = (
    "🤔 <b>Cơ sở tri thức chưa có hướng dẫn rõ cho tình huống này</b> "
    "(độ tin cậy {percent}%).\n"
    "Bạn có thể gửi xin ý kiến nhanh tới cấp trên chỉ với một chạm — câu hỏi và các đoạn "
    "tìm được sẽ được gửi kèm."
)
NOT_COVERED_CLOSEST = "Đoạn gần nhất tìm được (chỉ để tham khảo):"
NO_PASSAGES = "Không tìm thấy đoạn văn bản nào liên quan."
TOO_SHORT = (
    "✍️ Câu hỏi còn ngắn quá để tra cứu. Hãy nêu rõ <b>việc gì, của ai, ở đâu</b>, ví dụ: "
    "<i>“Đăng ký khai sinh cho trẻ sinh ở xã khác cần giấy tờ gì?”</i>. "
    "Gõ không dấu hay viết tắt đều được."
)
FULL_ARTICLE_HEADER = "📄 <b>{citation}</b>"
NO_FULL_ARTICLE = "Đoạn này không thuộc một điều cụ thể nên không có toàn văn riêng."
MORE_HEADER = "➕ <b>Thêm các đoạn liên quan</b>"
NO_MORE = "Không còn đoạn liên quan nào khác."
FEEDBACK_THANKS = "Cảm ơn bạn đã đánh giá!"
ASK_WHY = "Vì sao câu trả lời chưa đúng? Bạn có thể gõ lý do ngắn, hoặc bấm Bỏ qua."
WHY_THANKS = "Cảm ơn bạn, góp ý đã được ghi nhận để cải thiện cơ sở tri thức."

# --- escalation (xin ý kiến nhanh) ---
ESC_ASK_TEXT = (
    "📝 <b>Xin ý kiến nhanh</b>\nVui lòng mô tả tình huống cần xin ý kiến "
    "(có thể gửi kèm ảnh hoặc tài liệu sau)."
)
ESC_ASK_ATTACH = (
    "Bạn có muốn gửi kèm ảnh hoặc tài liệu không? Gửi tệp ngay bây giờ, hoặc bấm <b>Tiếp tục</b>."
)
ESC_ATTACHED = "📎 Đã nhận tệp ({count}). Gửi thêm hoặc bấm <b>Tiếp tục</b>."
ESC_ASK_URGENCY = "Mức độ khẩn của tình huống?"
ESC_CONFIRM = (
    "<b>Xác nhận gửi xin ý kiến</b>\n"
    "Tình huống: {question}\n"
    "Mức độ: {urgency}\n"
    "Tệp đính kèm: {attachments}\n"
    "Đoạn văn bản tìm được gửi kèm: {passages}"
)
ESC_PREFILLED = "Câu hỏi và {count} đoạn văn bản tìm được đã được điền sẵn."

# --- initiatives (sáng kiến) ---
INI_ASK_TITLE = "💡 <b>Ghi nhận sáng kiến</b> (bước 1/5)\nTên sáng kiến là gì?"
INI_ASK_PROBLEM = "Bước 2/5: Sáng kiến giải quyết <b>vấn đề</b> gì?"
INI_ASK_ACTIONS = "Bước 3/5: Bạn đã <b>làm gì</b> (cách làm cụ thể)?"
INI_ASK_RESULTS = (
    "Bước 4/5: <b>Kết quả và minh chứng</b>. Gửi mô tả kết quả, kèm ảnh hoặc tài liệu nếu có, "
    "rồi bấm <b>Xong phần kết quả</b>."
)
INI_EVIDENCE_ADDED = (
    "📎 Đã nhận ({texts} đoạn mô tả, {files} tệp). Gửi thêm hoặc bấm <b>Xong phần kết quả</b>."
)
INI_RESULTS_EMPTY = "Vui lòng gửi ít nhất một dòng mô tả kết quả."
INI_ASK_FIELD = "Bước 5/5: Sáng kiến thuộc <b>lĩnh vực</b> nào? Chọn hoặc gõ tên lĩnh vực."
INI_CREATED = (
    "✅ Đã ghi nhận sáng kiến <b>{number}</b>: {title}.\n"
    "Bạn sẽ được báo khi sáng kiến chuyển trạng thái."
)
INI_SIMILAR = "🔗 Có sáng kiến tương tự đã được ghi nhận (có thể cùng phối hợp hoặc áp dụng):"
INI_FIELDS = (
    "Hành chính - tư pháp",
    "Đất đai - xây dựng",
    "Văn hóa - xã hội",
    "Kinh tế - tài chính",
    "Chuyển đổi số",
    "An ninh - trật tự",
)

# --- /cuatoi ---
MINE_HEADER = "📋 <b>Của tôi</b>"
MINE_CASES = "<b>Yêu cầu xin ý kiến</b>"
MINE_INITIATIVES = "<b>Sáng kiến</b>"
MINE_CASE_LINE = "• {number} — {status} — {question}"
MINE_INITIATIVE_LINE = "• {number} — {status} — {title}"
MINE_NONE = "(chưa có)"

# --- hard tasks (/viec_kho) and commendation ---
TASKS_HEADER = "📌 <b>Việc khó bạn chịu trách nhiệm</b> ({count} việc đang thực hiện)"
TASKS_NONE = "Bạn không có việc khó nào đang thực hiện."
TASK_LINE = "<b>Việc khó #{id}</b> «{title}»\nĐơn vị: {unit} · Hạn: {due} ({state})"
TASK_OVERDUE = "quá hạn"
TASK_IN_TIME = "còn hạn"
ASK_TASK_NOTE = "📝 Nhập <b>tiến độ</b> của việc khó #{id} (đã làm gì, còn vướng gì):"
TASK_NOTE_SAVED = "✅ Đã ghi tiến độ việc khó #{id}."
TASK_DONE_OK = "✅ Đã báo hoàn thành việc khó #{id}. Người phụ trách đơn vị đã được thông báo."
ASK_CITATION = (
    "🏅 Biểu dương <b>{name}</b>.\nNhập <b>lời biểu dương ngắn</b>, hoặc bấm nút để dùng lời "
    "đề xuất:\n<i>{citation}</i>"
)
COMMENDED_OK = "🏅 Đã biểu dương {name}; lời biểu dương đã được gửi tới họ và ghi vào hồ sơ."

# --- supervisor ---
SUP_ONLY = "Chức năng này chỉ dành cho người phụ trách."
QUEUE_HEADER = "📥 <b>Hàng đợi</b> (hạn gần nhất trước)"
QUEUE_EMPTY = "Hàng đợi trống — không có yêu cầu nào đang mở."
QUEUE_LINE = "• <b>{number}</b> [{urgency}] {status} — hạn {due}\n  {question}"
CLAIMED_OK = "✅ Bạn đã nhận xử lý yêu cầu <b>{number}</b>."
CLAIMED_BY_OTHER = (
    "ℹ️ Xin ý kiến <b>{number}</b> đã được <b>{name}</b> nhận xử lý; bạn không cần xử lý nữa."
)
ASK_ANSWER = "✍️ Nhập <b>nội dung trả lời</b> cho yêu cầu {number}:"
ASK_LEGAL_BASIS = "Nhập <b>căn cứ pháp lý</b> (ví dụ: Điều 29 Luật ...) hoặc bấm Bỏ qua."
ANSWERED_OK = "✅ Đã gửi trả lời yêu cầu <b>{number}</b> tới người hỏi."
ASK_FORWARD_NOTE = "Ghi chú khi chuyển cấp trên (lý do), hoặc bấm Bỏ qua."
FORWARDED_OK = "↗️ Đã chuyển yêu cầu <b>{number}</b> lên cấp trên."
PROPOSED_OK = (
    "📚 Đã đề xuất câu trả lời của yêu cầu <b>{number}</b> thành hướng dẫn, "
    "chờ quản trị viên duyệt."
)
CASE_DETAIL = (
    "<b>{number}</b> [{urgency}] — {status}\nNgười hỏi: {asker} ({unit})\nHạn: {due}\n\n{question}"
)

# --- admin: precedent review ---
PREC_ASK_SCOPE = (
    "📚 <b>Phê duyệt hướng dẫn từ {number}</b>\n{title}\n\n"
    "Hướng dẫn này áp dụng ở <b>phạm vi</b> nào?"
)
PREC_ASK_EXPIRY = (
    "Phạm vi: <b>{scope}</b>.\nNhập <b>ngày hết hiệu lực</b> (ví dụ: 31/12/2027), "
    "hoặc bấm <b>Không thời hạn</b>."
)
PREC_BAD_DATE = (
    "Ngày chưa hợp lệ. Vui lòng nhập ngày trong tương lai theo dạng ngày/tháng/năm "
    "(ví dụ: 31/12/2027), hoặc bấm <b>Không thời hạn</b>."
)
PREC_NO_EXPIRY = "không thời hạn"
PREC_APPROVED = (
    "✅ Đã phê duyệt hướng dẫn từ <b>{number}</b> và đưa vào cơ sở tri thức.\n"
    "Phạm vi: {scope}. Hiệu lực đến: {expiry}."
)
PREC_ASK_REASON = (
    "Vui lòng nhập <b>lý do từ chối</b> đề xuất từ {number}; người đề xuất sẽ nhận được lý do này."
)
PREC_REJECTED = "Đã từ chối đề xuất từ <b>{number}</b>; người đề xuất đã được báo lý do."
PREC_DECIDED = "Đề xuất này đã được xử lý ({status})."

# --- admin: knowledge base ---
ADMIN_ONLY = "Chức năng này chỉ dành cho quản trị viên."
FILE_WRONG_TYPE = "Định dạng tệp không được hỗ trợ. Vui lòng gửi một tệp: {types}."
FILE_TOO_BIG = "Tệp quá lớn ({size} MB, tối đa {limit} MB)."
FILE_NOT_ADMIN = (
    "Chỉ quản trị viên mới nhập được tài liệu. Nếu muốn gửi kèm tài liệu, hãy dùng /xinykien."
)
IMPORT_PREVIEW = (
    "📄 <b>Xem trước tài liệu</b>\n"
    "Tên: <b>{title}</b>\nSố hiệu: {number}\nLoại: {kind}\n"
    "Số điều: {articles}\nSố đoạn (chunk): {chunks}\n{version}\n"
    "Nhập với phạm vi áp dụng nào? Văn bản riêng của một xã hay một tỉnh thì không chọn toàn "
    "quốc. Số hiệu, ngày hiệu lực, chức danh sửa được sau trên trang quản trị."
)
IMPORT_PICK_UNIT = "Chọn đơn vị áp dụng văn bản:"
IMPORT_CANCELLED = "Đã hủy nhập tài liệu."
IMPORT_FAILED = "Không đọc được tài liệu: {error}"
KB_STATS = (
    "📚 <b>Cơ sở tri thức</b>\n"
    "Văn bản đang dùng: {documents}\nĐoạn có thể tìm: {chunks}\n"
    "Chỉ mục: {index}\n"
    "Câu hỏi đã nhận: {questions} (chưa có hướng dẫn: {not_covered}; "
    "👍 {helpful} · 👎 {unhelpful}; chuyển xin ý kiến: {escalated})"
)

# --- web console sign-in ---
WEB_LOGIN_SENT = (
    "🔐 Mã đăng nhập bảng điều khiển web sẽ đến trong tin nhắn tiếp theo.\n"
    "Telegram ID của bạn: <code>{telegram_id}</code> (nhập ở trang đăng nhập {url})."
)
WEB_LOGIN_WAIT = (
    "Mã đăng nhập vừa được gửi. Vui lòng dùng mã đó hoặc đợi một phút rồi gõ /dangnhap lại.\n"
    "Telegram ID của bạn: <code>{telegram_id}</code>."
)

# --- command menu (shown by Telegram next to the input field) ---
COMMANDS = {
    "xinykien": "Xin ý kiến nhanh về tình huống mới",
    "sangkien": "Ghi nhận sáng kiến",
    "cuatoi": "Yêu cầu và sáng kiến của tôi",
    "viec_kho": "Việc khó tôi chịu trách nhiệm",
    "luyentap": "Luyện tập tình huống: nhịp nhận bài, tạm dừng",
    "dongnghiep": "Hỗ trợ đồng nghiệp cùng chức danh",
    "hangdoi": "Hàng đợi (người phụ trách)",
    "kb": "Thống kê cơ sở tri thức (quản trị)",
    "dangnhap": "Lấy mã đăng nhập bảng điều khiển web",
    "trogiup": "Hướng dẫn sử dụng",
    "huy": "Hủy thao tác đang làm",
}

# --- buttons ---
BTN_ESCALATE = "❓ Xin ý kiến nhanh"
BTN_MORE = "➕ Xem thêm"
BTN_FULL_ARTICLE = "📄 Toàn văn Điều {article}"
BTN_SKIP = "Bỏ qua"
BTN_CONTINUE = "Tiếp tục"
BTN_SEND = "✅ Gửi"
BTN_CANCEL = "✖️ Hủy"
BTN_URGENT = "🔴 Khẩn"
BTN_NORMAL = "🟢 Thường"
BTN_RESULTS_DONE = "Xong phần kết quả"
BTN_IMPORT_NATIONAL = "✅ Nhập — toàn quốc"
BTN_IMPORT_PROVINCE = "✅ Nhập — toàn tỉnh: {name}"
BTN_IMPORT_UNIT = "✅ Nhập — một đơn vị…"
BTN_IMPORT_PROGRESS = "🔄 Xem tiến độ"
BTN_NO_EXPIRY = "Không thời hạn"
BTN_DEFAULT_CITATION = "Dùng lời đề xuất"
BTN_DRILL_RIGHT = "👍 Đúng ý"
BTN_DRILL_WRONG = "👎 Chưa đúng"
BTN_DRILL_EVERY = "{mark}{days} ngày"
BTN_DRILL_RESUME = "▶️ Tiếp tục"
BTN_DRILL_PAUSE = "⏸ Tạm dừng"
BTN_MENTOR = "🤝 {name}"
BTN_MENTOR_ON = "🤝 Nhận hỗ trợ đồng nghiệp"
BTN_MENTOR_OFF = "⏸ Thôi nhận hỗ trợ"
# Notification buttons core queues as actions (bot.keyboards draws them; the case actions'
# labels are core.cases.actions.ACTION_LABELS, shared with the console).
BTN_APPROVE = "Phê duyệt"
BTN_REJECT = "Từ chối"
BTN_TASK_NOTE = "📝 Ghi tiến độ"
BTN_TASK_DONE = "✅ Hoàn thành"
BTN_COMMEND = "🏅 Biểu dương"
BTN_DRILL_PUBLISH = "📣 Xuất bản"
BTN_MENTOR_REPLY = "✍️ Trả lời"
