"""HTML rendering: escaping and splitting under Telegram's 4,096-character limit."""

from __future__ import annotations

from fake_telegram import html_problem

from bot import render


def test_split_keeps_every_part_valid_and_short() -> None:
    passage = {"citation": "Luật <Mẫu> & Co, Điều 1", "validity": "Hiệu lực", "text": "chữ " * 400}
    text = render.answer([passage] * 12, confidence=0.8, novel=False)
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
