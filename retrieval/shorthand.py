"""The one reviewed dictionary of phone shorthand, and the question phrases officials type.

Keys are diacritic-folded, lower-case tokens (so "đk" and "dk" are one key). A value lists the
possible expansions; when there are several, the diacritic model picks the one that fits the
rest of the question best ("hđ lao động" -> "hợp đồng", "hđ của ubnd" -> "hoạt động"/"hội
đồng" by context). Add an entry only when officials really type it and it rarely means anything
else in a question; an unknown token is simply left alone.
"""

from __future__ import annotations

import re

SHORTHAND: dict[str, tuple[str, ...]] = {
    # everyday chat shorthand
    "ko": ("không",),
    "k": ("không",),
    "kh": ("không",),
    "kg": ("không",),
    "hok": ("không",),
    "dc": ("được",),
    "j": ("gì",),
    "ji": ("gì",),
    "r": ("rồi",),
    "vs": ("với",),
    "bn": ("bao nhiêu",),
    "bnhieu": ("bao nhiêu",),
    "trc": ("trước",),
    "ntn": ("như thế nào",),
    "cx": ("cũng",),
    "cg": ("cũng",),
    "ng": ("người",),
    "tg": ("thời gian",),
    "tgian": ("thời gian",),
    "lq": ("liên quan",),
    "sdt": ("số điện thoại",),
    "bt": ("bình thường",),
    "tl": ("trả lời",),
    "lm": ("làm",),
    "ms": ("mới",),
    "nhg": ("nhưng",),
    "h": ("giờ",),  # "mấy h"; after "điểm" it stays a legal point
    "bh": ("bao giờ", "bảo hiểm"),
    # administrative abbreviations
    "dk": ("đăng ký", "điều kiện"),
    "hd": ("hợp đồng", "hoạt động", "hội đồng"),
    "ubnd": ("ủy ban nhân dân",),
    "hdnd": ("hội đồng nhân dân",),
    "mttq": ("mặt trận tổ quốc",),
    "gcn": ("giấy chứng nhận",),
    "tt": ("thông tư", "thủ tục"),
    "tthc": ("thủ tục hành chính",),
    "nd": ("nghị định", "nội dung"),
    "qd": ("quyết định", "quy định"),
    "vbqppl": ("văn bản quy phạm pháp luật",),
    "cb": ("cán bộ",),
    "cc": ("công chức",),
    "vc": ("viên chức",),
    "cbcc": ("cán bộ công chức",),
    "cbccvc": ("cán bộ công chức viên chức",),
    "ct": ("chủ tịch",),
    "pct": ("phó chủ tịch",),
    "vp": ("văn phòng",),
    "tp": ("thành phố",),
    "hc": ("hành chính",),
    "hs": ("hồ sơ", "học sinh"),
    "bc": ("báo cáo",),
    "kt": ("kiểm tra", "kinh tế"),
    "dv": ("đơn vị", "dịch vụ"),
    "gd": ("gia đình", "giai đoạn"),
    "xh": ("xã hội",),
    "ld": ("lao động",),
    "nld": ("người lao động",),
    "bhxh": ("bảo hiểm xã hội",),
    "bhyt": ("bảo hiểm y tế",),
    "bhtn": ("bảo hiểm thất nghiệp",),
    "cmnd": ("chứng minh nhân dân",),
    "cccd": ("căn cước công dân",),
    "qsdd": ("quyền sử dụng đất",),
    "gcnqsdd": ("giấy chứng nhận quyền sử dụng đất",),
    "gpxd": ("giấy phép xây dựng",),
    "dkkd": ("đăng ký kinh doanh",),
    "ttg": ("thủ tướng",),
    "cp": ("chính phủ",),
    "ns": ("ngân sách",),
    "nsnn": ("ngân sách nhà nước",),
    "tnmt": ("tài nguyên và môi trường",),
    "xyk": ("xin ý kiến",),
    "vb": ("văn bản",),
    "cv": ("công văn", "công việc"),
    "tb": ("thông báo",),
    "ql": ("quản lý",),
    "qly": ("quản lý",),
    "ktra": ("kiểm tra",),
    "xl": ("xử lý",),
    "nv": ("nhiệm vụ", "nhân viên"),
    "nl": ("năng lực",),
    "sk": ("sáng kiến", "sức khỏe"),
    "ht": ("hộ tịch", "hệ thống", "hỗ trợ"),
    "xd": ("xây dựng",),
    "gp": ("giấy phép",),
    "dd": ("đất đai",),
    "hk": ("hộ khẩu",),
    "htx": ("hợp tác xã",),
    "kn": ("khiếu nại",),
    "kntc": ("khiếu nại tố cáo",),
    "tcd": ("tiếp công dân",),
    "dvc": ("dịch vụ công",),
    "kq": ("kết quả",),
    "xn": ("xác nhận",),
    "tgia": ("tham gia",),
    "cty": ("công ty",),
    "vn": ("việt nam",),
    "qh": ("quy hoạch", "quốc hội"),
    # everyday life: what citizens bring to the commune
    "fb": ("facebook",),
    "mxh": ("mạng xã hội",),
    "dt": ("điện thoại", "diện tích"),
    "bv": ("bệnh viện",),
    "kcn": ("khu công nghiệp",),
    "tncn": ("thu nhập cá nhân",),
    "tnhh": ("trách nhiệm hữu hạn",),
    "thcs": ("trung học cơ sở",),
    "thpt": ("trung học phổ thông",),
    "gplx": ("giấy phép lái xe",),
    "csgt": ("cảnh sát giao thông",),
    "nvqs": ("nghĩa vụ quân sự",),
}

# A unit typed straight after a number: "15t" is "15 tuổi", "15tr" is "15 triệu".
NUMBER_UNITS: dict[str, str] = {
    "t": "tuổi",
    "tr": "triệu",
    "ty": "tỷ",
    "k": "nghìn",
    "h": "giờ",
}
NUMBER_WITH_UNIT = re.compile(rf"(\d+)({'|'.join(NUMBER_UNITS)})")

# Two-word slang for documents: matched as a pair of folded tokens.
PHRASES: dict[tuple[str, str], str] = {
    ("so", "do"): "giấy chứng nhận quyền sử dụng đất",
    ("so", "hong"): "giấy chứng nhận quyền sở hữu nhà ở",
}

# How questions are phrased. Legal text rarely asks anything, so the knowledge base alone
# would restore "khi nao" to "khi nạo"; these give the diacritic model the question words.
QUESTION_PHRASES: tuple[str, ...] = (
    "khi nào",
    "khi nào thì",
    "thì có",
    "thì phải",
    "mất bao lâu",
    "mất bao nhiêu",
    "lúc nào",
    "như thế nào",
    "thế nào",
    "ra sao",
    "làm sao",
    "bao nhiêu",
    "bao lâu",
    "mấy ngày",
    "mấy tháng",
    "mấy năm",
    "mấy lần",
    "mấy tuổi",
    "bao nhiêu tuổi",
    "bao nhiêu tiền",
    "bao nhiêu ngày",
    "có được không",
    "được không",
    "hay không",
    "đúng hay sai",
    "có phải",
    "có cần",
    "cần những gì",
    "cần gì",
    "những gì",
    "gồm những",
    "phải làm gì",
    "làm gì",
    "ở đâu",
    "ai có thẩm quyền",
    "thuộc thẩm quyền",
    "trường hợp nào",
    "xin hỏi",
    "cho hỏi",
    "thì sao",
    "có bị",
    "bị phạt",
    "được nghỉ",
    "nghỉ phép",
    "tối đa",
    "tối thiểu",
    # The commune is the subject of most questions, and legal text rarely writes "xã" before a
    # verb: without these, "xa co" reads "xạ có" (from the lexicon's "phản xạ có điều kiện").
    "xã có",
    "xã được",
    "xã phải",
    "xã nào",
    "ở xã",
    "tại xã",
    "của xã",
    "cán bộ xã",
    "công chức xã",
    "công an xã",
    # What follows a number (any number: the model reads every number as one token).
    "1 năm",
    "3 tháng",
    "30 ngày",
    "2 lần",
    "18 tuổi",
    "8 giờ",
    "10 triệu",
    "2 cấp",
)
# Weight of a question phrase (its pairs and its syllables), in knowledge-base occurrences:
# questions use them constantly, legal text hardly ever.
QUESTION_PHRASE_WEIGHT = 5.0
# ... or, when larger, this share of all the pairs the knowledge base starts with the phrase's
# first word: on a large legal corpus a fixed weight vanishes next to "có" or "xe" ("xe cơ
# giới" read "xe co phai" as "xe cơ phải").
QUESTION_PHRASE_SHARE = 0.05


def to_shorthand(text: str) -> str:
    """The reverse of the dictionary, for measuring: what an official typing on a phone would
    send for `text` (each expansion replaced by its first key, longest expansions first)."""
    reverse: dict[str, str] = {}
    for key, expansions in SHORTHAND.items():
        reverse.setdefault(expansions[0], key)
    for expansion in sorted(reverse, key=len, reverse=True):
        pattern = rf"(?<!\w){re.escape(expansion)}(?!\w)"
        text = re.sub(pattern, reverse[expansion], text, flags=re.IGNORECASE)
    return text
