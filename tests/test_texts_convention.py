"""User-facing Vietnamese text uses one tone-mark convention (the one the search normalises to)."""

from __future__ import annotations

import io
import tokenize
import unicodedata
from pathlib import Path

import pytest

from core.text import unify_tone_marks

REPO = Path(__file__).resolve().parent.parent
PRODUCT = ("bot", "api", "core", "knowledge", "retrieval", "cli")
# Docstrings that quote the other placement on purpose, to explain the convention.
EXPLAINS_THE_CONVENTION = {("core/text.py", 1), ("retrieval/text.py", 1)}
USER_TEXT = [
    *sorted(str(p.relative_to(REPO)) for p in (REPO / "api" / "templates").rglob("*.html")),
    *sorted(str(p.relative_to(REPO)) for p in (REPO / "knowledge" / "starter").glob("*.md")),
]


@pytest.mark.parametrize("relative", USER_TEXT)
def test_user_text_is_nfc_with_unified_tone_marks(relative: str) -> None:
    lines = (REPO / relative).read_text(encoding="utf-8").splitlines()
    odd = [line.strip() for line in lines if _is_odd(line)]
    assert odd == []


def _is_odd(text: str) -> bool:
    return text != unicodedata.normalize("NFC", text) or unify_tone_marks(text) != text


def vietnamese_literals() -> list[tuple[str, int, str]]:
    """Every string literal with a non-ASCII letter in the product code: (file, line, text)."""
    found = []
    for package in PRODUCT:
        for path in sorted((REPO / package).rglob("*.py")):
            relative = str(path.relative_to(REPO))
            source = path.read_text(encoding="utf-8")
            for token in tokenize.generate_tokens(io.StringIO(source).readline):
                if token.type == tokenize.STRING and not token.string.isascii():
                    found.append((relative, token.start[0], token.string))
    return found


def test_every_vietnamese_literal_in_the_product_code_follows_the_convention() -> None:
    literals = vietnamese_literals()
    assert len(literals) > 1500  # the whole product code, not a hand-picked list of modules
    odd = [
        (relative, line, text[:80])
        for relative, line, text in literals
        if (relative, line) not in EXPLAINS_THE_CONVENTION and _is_odd(text)
    ]
    assert odd == []


def test_the_check_catches_old_style_placement() -> None:
    assert unify_tone_marks("huỷ thao tác, văn hoá") != "huỷ thao tác, văn hoá"
