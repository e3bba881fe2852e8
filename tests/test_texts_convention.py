"""User-facing Vietnamese text uses one tone-mark convention (the one the search normalises to)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from core.text import unify_tone_marks

REPO = Path(__file__).resolve().parent.parent
USER_TEXT = [
    "bot/texts.py",
    "core/cases/texts.py",
    "core/tasks/texts.py",
    "core/recognition/texts.py",
    "core/drills/texts.py",
    "core/mentors/texts.py",
    *sorted(str(p.relative_to(REPO)) for p in (REPO / "api" / "templates").rglob("*.html")),
    *sorted(str(p.relative_to(REPO)) for p in (REPO / "knowledge" / "starter").glob("*.md")),
]


@pytest.mark.parametrize("relative", USER_TEXT)
def test_user_text_is_nfc_with_unified_tone_marks(relative: str) -> None:
    lines = (REPO / relative).read_text(encoding="utf-8").splitlines()
    odd = [
        line.strip()
        for line in lines
        if line != unicodedata.normalize("NFC", line) or unify_tone_marks(line) != line
    ]
    assert odd == []


def test_the_check_catches_old_style_placement() -> None:
    assert unify_tone_marks("huỷ thao tác, văn hoá") != "huỷ thao tác, văn hoá"
