"""NFC, unified tone-mark placement, whitespace clean-up and diacritics folding."""

from __future__ import annotations

import unicodedata

import pytest

from core.text import fold, normalize, normalize_line, unify_tone_marks


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("hoà", "hòa"),
        ("thuý", "thúy"),
        ("khoẻ", "khỏe"),
        ("Uỷ ban", "Ủy ban"),
        ("HOÀ BÌNH", "HÒA BÌNH"),
        ("Hoà", "Hòa"),
        ("quả", "quả"),
        ("qúy", "quý"),
        ("quỹ", "quỹ"),
        ("giữa", "giữa"),
        ("gìn giữ", "gìn giữ"),
        ("già", "già"),
        ("toán", "toán"),
        ("hoàng", "hoàng"),
        ("hoạch", "hoạch"),
        ("ngoài", "ngoài"),
        ("ngòai", "ngoài"),
        ("khuỷu", "khuỷu"),
        ("người", "người"),
        ("muà", "mùa"),
        ("thuở", "thuở"),
        ("Thuỷ lợi", "Thủy lợi"),
    ],
)
def test_tone_marks_follow_one_convention(given: str, expected: str) -> None:
    assert unify_tone_marks(given) == expected
    assert normalize(given) == expected


def test_decomposed_input_becomes_nfc_with_the_same_convention() -> None:
    decomposed = unicodedata.normalize("NFD", "Cộng hoà xã hội chủ nghĩa")
    result = normalize(decomposed)
    assert result == "Cộng hòa xã hội chủ nghĩa"
    assert unicodedata.is_normalized("NFC", result)


def test_both_spellings_normalise_to_the_same_text() -> None:
    assert normalize("Uỷ ban nhân dân hoà giải") == normalize("Ủy ban nhân dân hòa giải")


def test_foreign_and_non_syllable_words_are_left_alone() -> None:
    assert normalize("café Zürich") == "café Zürich"
    assert normalize("mã số 58/2010/QH12") == "mã số 58/2010/QH12"


def test_whitespace_and_control_characters() -> None:
    raw = "  Điều\u00a01.\t Phạm  vi\r\n\r\n\r\n\r\nNội\u200b dung\x07 chính  \n tiếp\ufeff "
    assert normalize(raw) == "Điều 1. Phạm vi\n\nNội dung chính\ntiếp"
    assert normalize_line(" Luật \n Viên  chức ") == "Luật Viên chức"


def test_legacy_lookalike_d_is_mapped() -> None:
    assert normalize("\u00d0iều 5") == "Điều 5"


def test_fold_strips_diacritics_and_case() -> None:
    assert fold("Cán bộ XÃ nghỉ phép") == "can bo xa nghi phep"
    assert fold("Đường ĐÊ") == "duong de"
    assert fold(unicodedata.normalize("NFD", "Hòa")) == "hoa"
    assert fold(normalize("thuý")) == fold(normalize("thúy")) == "thuy"


def test_unify_keeps_every_separator() -> None:
    assert unify_tone_marks("hoà\nthuý  khoẻ,\tuỷ") == "hòa\nthúy  khỏe,\tủy"
