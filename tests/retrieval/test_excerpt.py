"""The one-line gist and excerpt rules shared by the bot and the web console."""

from __future__ import annotations

import pytest

from retrieval.excerpt import clip, gist


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Câu thứ nhất kết thúc ở đây; phần sau không vào.", "Câu thứ nhất kết thúc ở đây;"),
        (
            "1. Hộ gia đình nuôi ong phải khai báo với xã. 2. Việc khai báo ghi rõ số thùng.",
            "Hộ gia đình nuôi ong phải khai báo với xã.",
        ),
        (
            "a) Mở sổ; b) ghi chép đầy đủ thông tin theo mẫu.",
            "Mở sổ; ghi chép đầy đủ thông tin theo mẫu.",
        ),
        ("- Gạch đầu dòng được bỏ đi khi tóm ý.", "Gạch đầu dòng được bỏ đi khi tóm ý."),
        (
            "Áp dụng từ ngày 01.01.2026 cho mọi xã. Câu sau.",
            "Áp dụng từ ngày 01.01.2026 cho mọi xã.",
        ),
        ("   nhiều   khoảng   trắng\n\nvà xuống dòng   ", "nhiều khoảng trắng và xuống dòng"),
    ],
)
def test_gist_is_the_first_meaningful_sentence(text: str, expected: str) -> None:
    assert gist(text) == expected


def test_gist_skips_the_fragment_a_window_starts_with() -> None:
    text = "tịch xã phân công. Trong ngày lễ, công chức trực theo lịch của xã."
    assert gist(text) == "Trong ngày lễ, công chức trực theo lịch của xã."
    assert gist("chỉ một mảnh câu không có dấu chấm") == "chỉ một mảnh câu không có dấu chấm"


def test_gist_never_is_just_a_clause_number() -> None:
    assert gist("1.") == ""
    assert gist("1. Ngắn. 2. Cũng ngắn. 3. Câu thứ ba.") == "Ngắn. Cũng ngắn. Câu thứ ba."


def test_long_text_is_clipped_at_a_word_boundary() -> None:
    text = "Một câu rất dài " * 80
    assert len(gist(text)) <= 222
    assert clip(text, 50).endswith(" …")
    assert clip(text, 50)[:-2] == text[:50].rsplit(" ", 1)[0]
    assert clip("Khôngcódấucách" * 80, 30) == ("Khôngcódấucách" * 3)[:30] + " …"  # hard cut
