"""The excerpt rule shared by the bot and the web console."""

from __future__ import annotations

from retrieval.excerpt import clip


def test_long_text_is_clipped_at_a_word_boundary() -> None:
    text = "Một câu rất dài " * 80
    assert clip(text, 50).endswith(" …")
    assert clip(text, 50)[:-2] == text[:50].rsplit(" ", 1)[0]
    assert clip("Khôngcódấucách" * 80, 30) == ("Khôngcódấucách" * 3)[:30] + " …"  # hard cut
