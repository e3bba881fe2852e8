"""HTML rendering: escaping and splitting under Telegram's 4,096-character limit."""

from __future__ import annotations

from fake_telegram import html_problem

from bot import render, texts


def test_split_keeps_every_part_valid_and_short() -> None:
    passage = {"citation": "Luật <Mẫu> & Co, Điều 1", "validity": "Hiệu lực", "text": "chữ " * 400}
    text = "\n\n".join(render.passage_block(n, passage) for n in range(12))
    parts = render.split(text)
    assert len(parts) > 1
    for part in parts:
        assert len(part) <= 4096 and html_problem(part) is None
    assert "&lt;Mẫu&gt; &amp; Co" in parts[0]


def test_split_reopens_tags_cut_in_a_huge_line() -> None:
    text = "<b>" + "đậm " * 3000 + "</b>"
    parts = render.split(text)
    assert len(parts) >= 3
    for part in parts:
        assert len(part) <= 4096 and html_problem(part) is None
        assert part.startswith("<b>") and part.endswith("</b>")
    assert "".join(p.replace("<b>", "").replace("</b>", "") for p in parts).count("đậm") == 3000


def test_split_never_cuts_an_entity() -> None:
    text = "&amp;" * 2000
    for part in render.split(text):
        assert html_problem(part) is None


def test_answer_leads_with_the_clause_and_stays_short() -> None:
    lead = {
        "citation": "Luật <Mẫu>, Điều 5, khoản 2, điểm b",
        "validity": "Hiệu lực từ 01/07/2025",
        "text": "b) Người xử lý trả lời trong " + "bốn giờ làm việc " * 80,
    }
    other = {"citation": "Luật Mẫu, Điều 9", "validity": "Hiệu lực", "text": "khác " * 300}
    text = render.answer([lead, other], confidence=0.86, novel=False, understood="câu đã hiểu")
    assert text.startswith("💡 <b>Luật &lt;Mẫu&gt;, Điều 5, khoản 2, điểm b</b>")
    assert "Điều 9" not in text  # other passages sit behind "➕ Xem thêm"
    assert "Độ tin cậy: 86%" in text and "câu đã hiểu" in text
    assert len(text) <= 900
    body = text.split("\n")[2]
    assert body.endswith(" …") and len(body) <= render.LEAD_CHARS + 2  # cut at a word, marked


def test_a_long_question_read_back_keeps_the_reply_on_one_screen() -> None:
    lead = {
        "citation": "Luật Tố tụng hành chính, Điều 38, khoản 2, điểm b",
        "validity": "Hiệu lực từ 01/07/2016",
        "text": "b) Thẩm phán quyết định áp dụng " + "biện pháp khẩn cấp tạm thời " * 40,
    }
    understood = "thẩm phán không có quyền quyết định việc áp dụng " * 8
    note = "Điều 38 cũng có trong: Luật Mẫu A, Luật Mẫu B."
    text = render.answer([lead], confidence=0.9, novel=False, understood=understood, note=note)
    assert len(text) <= render.ANSWER_CHARS
    read_back = next(line for line in text.split("\n") if line.startswith("🔤"))
    assert read_back.endswith(" …</i>") and len(read_back) < render.UNDERSTOOD_CHARS + 40
    body = text.split("\n")[2]
    assert body.endswith(" …") and render.MIN_LEAD_CHARS <= len(body) < render.LEAD_CHARS
    assert note in text


def test_not_covered_shows_the_closest_passage_briefly() -> None:
    lead = {"citation": "Luật Mẫu, Điều 1", "validity": "Hiệu lực", "text": "chữ " * 300}
    text = render.answer([lead], confidence=0.23, novel=True)
    assert "chưa có hướng dẫn rõ" in text and "23%" in text
    assert "Độ tin cậy: " not in text  # a not-covered reply shows no confidence as an answer
    assert len(text) <= 900


def test_full_article_is_escaped_with_its_citation() -> None:
    passage = {
        "article_citation": "Luật Mẫu, Điều 3",
        "validity": "Hiệu lực",
        "article_text": "1. A < B\n2. C & D",
    }
    text = render.full_article(passage)
    assert text.startswith("📄 <b>Luật Mẫu, Điều 3</b>") and "A &lt; B" in text
    assert render.full_article({}) == texts.NO_FULL_ARTICLE
