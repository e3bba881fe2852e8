"""Pinpointing the clause (khoản/điểm) that answers, and citing it exactly."""

from __future__ import annotations

from retrieval import pinpoint
from retrieval.pinpoint import Unit

ARTICLE = """1. Thời hạn mặc định: mức khẩn là 4 giờ làm việc; mức thường là 17 giờ làm việc.
2. Mức khẩn chỉ dùng khi việc chậm trả lời có thể gây thiệt hại khó khắc phục, gồm:
a) Liên quan đến tính mạng, sức khỏe của người dân;
b) Liên quan đến thiên tai, dịch bệnh đang diễn ra;
c) Thời hạn giải quyết sắp hết trong ngày.
3. Người xử lý có thể điều chỉnh mức khẩn và ghi rõ lý do."""

_RARE = "thien tai dich benh muc khan gio lam viec dieu chinh dung khi"
IDF = {w: 1.0 for w in _RARE.split()}


def test_stitch_joins_overlapping_windows_once() -> None:
    words = ARTICLE.split(" ")
    first, second = " ".join(words[:30]), " ".join(words[20:])
    assert pinpoint.stitch([first, second]) == ARTICLE
    assert pinpoint.stitch([ARTICLE]) == ARTICLE


def test_parts_keep_points_under_their_clause() -> None:
    parts = pinpoint.parts(ARTICLE)
    assert [p.clause for p in parts] == ["1", "2", "3"]
    assert [letter for letter, _ in parts[1].points] == ["a", "b", "c"]
    assert pinpoint.parts("Một đoạn không có khoản nào.")[0].clause is None


def test_choose_picks_the_clause_that_answers() -> None:
    unit = pinpoint.choose("mức khẩn phải trả lời trong mấy giờ", pinpoint.parts(ARTICLE), IDF)
    assert (unit.clause, unit.point) == ("1", None)
    unit = pinpoint.choose("ai được điều chỉnh mức khẩn", pinpoint.parts(ARTICLE), IDF)
    assert (unit.clause, unit.point) == ("3", None)


def test_a_point_is_cited_alone_only_when_it_alone_answers() -> None:
    unit = pinpoint.choose("thiên tai dịch bệnh có được khẩn không", pinpoint.parts(ARTICLE), IDF)
    assert (unit.clause, unit.point) == ("2", "b")
    assert unit.text.startswith("2. Mức khẩn") and "b) Liên quan đến thiên tai" in unit.text
    whole = pinpoint.choose("khi nào được dùng mức khẩn", pinpoint.parts(ARTICLE), IDF)
    assert (whole.clause, whole.point) == ("2", None) and "c) Thời hạn" in whole.text


def test_citation_names_article_clause_and_point() -> None:
    base = pinpoint.article_citation("Luật Mẫu, Điều 11, khoản 1–3")
    assert base == "Luật Mẫu, Điều 11"
    assert Unit("2", "b", "").cite(base) == "Luật Mẫu, Điều 11, khoản 2, điểm b"
    assert Unit(None, None, "").cite(base) == "Luật Mẫu, Điều 11"


def test_approved_guidance_shows_its_answer_and_source() -> None:
    body = (
        "Tình huống: Người dân hỏi về con dấu cũ.\n\nHướng dẫn: Vẫn tiếp nhận giấy tờ.\n\n"
        "Căn cứ pháp lý: không nêu\n\nNguồn: trả lời phiếu xin ý kiến số XYK-2026-000001."
    )
    for stored in (body, " ".join(body.split())):  # a window may have lost its line breaks
        unit = pinpoint.choose("con dấu cũ", pinpoint.parts(stored), {})
        assert unit.text.split("\n") == [
            "Hướng dẫn: Vẫn tiếp nhận giấy tờ.",
            "Căn cứ pháp lý: không nêu",
            "Nguồn: trả lời phiếu xin ý kiến số XYK-2026-000001.",
        ]
