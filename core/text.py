"""Vietnamese text normalisation shared by import and query: NFC, one tone-mark convention, folding.

Convention: tone marks are placed the *traditional* way ("kiểu cũ"): "hòa", "khỏe", "thúy"
(open oa/oe/uy carry the mark on the first vowel), while closed syllables carry it on the
second ("toán", "hoàng", "huých"). It is the majority spelling in Vietnamese legal text (the
shared legal corpus has "Ủy ban" 1177 times against "Uỷ ban" 49) and the default of common
input methods, and it is what the issue's examples ask for ("hoà" -> "hòa", "thuý" ->
"thúy"). Whatever the convention, what matters is that documents and queries go through the
same function, so both sides agree.

Rule per syllable (after removing the "gi"/"qu" onsets, whose i/u are consonantal):
1. a vowel with its own modifier (ă â ê ô ơ ư) takes the mark; in "ươ" the ơ does;
2. otherwise a lone vowel takes it;
3. of three vowels, the middle one ("ngoài", "khuỷu");
4. of two vowels followed by a final consonant, the second ("toán", "hoàng");
5. of two vowels ending the syllable, the first ("hòa", "mùa", "thúy", "cháu").
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["fold", "normalize", "normalize_line", "unify_tone_marks"]

# Combining tone marks (grave, acute, tilde, hook above, dot below) in NFD.
_TONES = "\u0300\u0301\u0303\u0309\u0323"
_VOWELS = set("aeiouy")

# Lookalike code points left by legacy encodings (TCVN3/VNI conversions, Icelandic eth).
_LOOKALIKES = (("\u00d0", "\u0110"), ("\u00f0", "\u0111"), ("\u0189", "\u0110"))

# Control and invisible characters removed outright (tab and newline are handled separately).
_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u200b-\u200d\u2060\ufeff]"
)
_SPACES = re.compile("[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_MANY_BREAKS = re.compile(r"\n{3,}")
# Only words holding a precomposed or combining tone mark need the rule.
_TONED = (
    "\u0300\u0301\u0303\u0309\u0323àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
    "ÀÁẢÃẠẰẮẲẴẶẦẤẨẪẬÈÉẺẼẸỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌỒỐỔỖỘỜỚỞỠỢÙÚỦŨỤỪỨỬỮỰỲÝỶỸỴ"
)
_TONED_WORD = re.compile(rf"[^\W\d_]*[{_TONED}][^\W\d_]*")


def normalize(text: str) -> str:
    """NFC, unified tone marks, no control characters, tidy spaces; paragraph breaks are kept."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    text = text.replace("\u2029", "\n\n")
    text = _INVISIBLE.sub("", text)
    text = unicodedata.normalize("NFC", text)
    for wrong, right in _LOOKALIKES:  # str.replace is C-fast; translate() with a dict is not
        if wrong in text:
            text = text.replace(wrong, right)
    text = unify_tone_marks(text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _MANY_BREAKS.sub("\n\n", "\n".join(lines)).strip()


def normalize_line(text: str) -> str:
    """`normalize` for one-line values (titles, names): every run of whitespace becomes a space."""
    return " ".join(normalize(text).split())


def unify_tone_marks(text: str) -> str:
    """Move each syllable's tone mark to its conventional vowel (see the module docstring)."""
    # Space-separated tokens repeat a lot (a few tens of thousands of distinct ones in a large
    # legal corpus), so a cache per token beats running the regex over every text.
    return " ".join(map(_fix_token, text.split(" ")))


@lru_cache(maxsize=262144)
def _fix_token(token: str) -> str:
    return _TONED_WORD.sub(_fix_match, token)


def _fix_match(match: re.Match[str]) -> str:
    return _fix_word(match.group(0))


@lru_cache(maxsize=65536)
def _fix_word(word: str) -> str:
    # Letters as [base, modifiers, tone, uppercase]; precomposed letters are decomposed first.
    letters: list[list[str]] = []
    for ch in unicodedata.normalize("NFD", word):
        if unicodedata.combining(ch):
            if not letters:
                return word
            if ch in _TONES:
                if letters[-1][2]:
                    return word  # two tone marks on one letter: leave it alone
                letters[-1][2] = ch
            else:
                letters[-1][1] += ch
        else:
            letters.append([ch.lower(), "", "", "1" if ch.isupper() else ""])
    tones = [letter[2] for letter in letters if letter[2]]
    if len(tones) != 1:
        return word  # untoned or not a single syllable
    vowel_idx = [i for i, letter in enumerate(letters) if letter[0] in _VOWELS]
    if not vowel_idx or vowel_idx[-1] - vowel_idx[0] + 1 != len(vowel_idx):
        return word  # vowels not contiguous: not one Vietnamese syllable
    start, end = vowel_idx[0], vowel_idx[-1]
    # "gi" + vowel and "qu" + vowel: the i/u belongs to the onset.
    if end > start and start > 0 and not letters[start][1]:
        onset = letters[start - 1][0]
        if (onset == "g" and letters[start][0] == "i") or (
            onset == "q" and letters[start][0] == "u"
        ):
            start += 1
    target = _tone_position(letters, start, end, has_coda=end < len(letters) - 1)
    if target is None:
        return word
    tone = tones[0]
    for letter in letters:
        letter[2] = ""
    letters[target][2] = tone
    out = []
    for base, mods, tone_mark, upper in letters:
        composed = unicodedata.normalize("NFC", base + mods + tone_mark)
        out.append(composed.upper() if upper else composed)
    return "".join(out)


def _tone_position(letters: list[list[str]], start: int, end: int, *, has_coda: bool) -> int | None:
    nucleus = range(start, end + 1)
    if len(nucleus) > 3:
        return None
    modified = [i for i in nucleus if letters[i][1]]
    if modified:
        return modified[-1]  # "ươ" -> ơ, "iê" -> ê, "ưa" -> ư
    if len(nucleus) == 1:
        return start
    if len(nucleus) == 3:
        return start + 1
    return end if has_coda else start


# Folding table: every precomposed Latin letter -> its ASCII base; combining marks dropped.
def _build_fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {0x0111: "d", 0x0110: "d"}
    for cp in list(range(0x00C0, 0x0250)) + list(range(0x1E00, 0x1F00)):
        base = unicodedata.normalize("NFD", chr(cp))[0]
        if base.isascii() and base.isalpha():
            table[cp] = base.lower()
    for cp in range(0x0300, 0x0370):
        table[cp] = None
    return table


_FOLD = _build_fold_table()


def fold(text: str) -> str:
    """Lower-case and strip diacritics ("Đường hòa" -> "duong hoa") for no-diacritics matching."""
    return text.lower().translate(_FOLD)
