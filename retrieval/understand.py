"""Query understanding: what the official meant, before any search.

Phone-typed questions drop tone marks and use shorthand ("ubnd xa co dc cap gcn ko").
This stage expands shorthand from the one reviewed dictionary (retrieval/shorthand.py),
restores diacritics with the knowledge base's own language model (retrieval/restore.py), and
says how much the question actually asks (so "a", "?" or "alo" get a hint, not an answer).
Both search engines then see the understood text; the folded BM25 twin still sees what was
typed, as a fallback for words the restorer got wrong.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from core.text import fold, normalize
from retrieval.restore import DiacriticModel
from retrieval.shorthand import NUMBER_UNITS, NUMBER_WITH_UNIT, PHRASES, SHORTHAND
from retrieval.text import marked_share

_WORD = re.compile(r"\w+", re.UNICODE)
# Splits a question into phrases (kept apart so bigrams never cross punctuation).
_BREAK = re.compile(r"([.,;:!?()\[\]\"“”'/\n]+)")
# A question counts as typed without diacritics when fewer than this share of its syllables
# carry any mark: accented Vietnamese has well over half its syllables marked (every one of the
# development questions has at least 0.55, the median is 0.84), a phone-typed one few or none;
# in between, an official typed a few marks and the rest are restored.
ACCENTED_SHARE = 0.5
# Most combinations of ambiguous shorthand tried per question (each is one Viterbi pass).
_MAX_READINGS = 16

# Words that carry no subject on their own: greetings, particles, question words, pronouns.
# A question needs at least MIN_CONTENT_SYLLABLES syllables outside this list to be searched.
_STOP_WORDS = """a à ạ á ả ã ơi ơ ờ ừ ừm hả hử nhé nhỉ nha nhá vậy thế đi thôi chứ
    alo allo hello hi hey ok oke okay okie test thử chào xin cảm ơn cám thanks thank you
    tôi mình em anh chị bạn ông bà cô chú ai gì nào đâu sao bao nhiêu mấy khi lúc
    là và của có không được thì mà cho với các những này đó kia ấy nếu nhưng hay hoặc
    vì nên để ở trong ngoài trên dưới từ đến tại về theo như rồi đã đang sẽ cũng vẫn
    hỏi giúp giùm làm ơn vui lòng cần muốn biết"""
STOP_SYLLABLES = frozenset(_STOP_WORDS.split())
# An unmarked word may be a stop word typed without marks ("khong"); a marked one is exact,
# so "tội" is content even though "tôi" is not.
_FOLDED_STOP = frozenset(fold(w) for w in STOP_SYLLABLES)
MIN_CONTENT_SYLLABLES = 2


@dataclass(frozen=True)
class Understood:
    """The question as typed and as the search engines will read it."""

    typed: str  # normalised (NFC, one tone-mark convention), as the official typed it
    text: str  # what search reads: shorthand expanded, diacritics restored
    unaccented: bool  # typed mostly without tone marks
    expansions: tuple[str, ...]  # e.g. ("ubnd → ủy ban nhân dân",)
    content_syllables: int  # syllables that are not stop words

    @property
    def changed(self) -> bool:
        """Search read the question differently from how it was typed (worth showing)."""
        return self.text != " ".join(self.typed.lower().split())

    @property
    def too_short(self) -> bool:
        """Too little to search for: the front should explain how to ask instead."""
        return self.content_syllables < MIN_CONTENT_SYLLABLES


def is_stop(word: str) -> bool:
    """True for a syllable that carries no subject (see STOP_SYLLABLES)."""
    return word in STOP_SYLLABLES or (fold(word) == word and word in _FOLDED_STOP)


def _expand(words: list[str]) -> tuple[list[list[str]], list[str]]:
    """Per position, the readings of each word (shorthand gives several), plus what changed."""
    slots: list[list[str]] = []
    notes: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        pair = (fold(word), fold(words[i + 1])) if i + 1 < len(words) else None
        if pair in PHRASES:
            assert pair is not None
            slots.append([PHRASES[pair]])
            notes.append(f"{word} {words[i + 1]} → {PHRASES[pair]}")
            i += 2
            continue
        unit = NUMBER_WITH_UNIT.fullmatch(fold(word))
        if unit is not None:
            slots.append([f"{unit[1]} {NUMBER_UNITS[unit[2]]}"])
            notes.append(f"{word} → {slots[-1][0]}")
            i += 1
            continue
        options = SHORTHAND.get(fold(word)) if word.isalpha() else None
        # "điểm k" is a legal point, not "không".
        after_point = i > 0 and fold(words[i - 1]) == "diem"
        if options and not (after_point or word in options or _is_plain_word(word)):
            slots.append(list(options))
            notes.append(f"{word} → {' / '.join(options)}")
        else:
            slots.append([word])
        i += 1
    return slots, notes


def _is_plain_word(word: str) -> bool:
    """A marked word is never shorthand ("đk" is, but "cả" is not)."""
    return fold(word) != word and "đ" not in word


def understand(query: str, model: DiacriticModel | None) -> Understood:
    """Normalise, expand shorthand and restore diacritics (when the model is available)."""
    typed = normalize(query)
    unaccented = marked_share(typed) < ACCENTED_SHARE
    phrases: list[str] = []
    notes: list[str] = []
    content = 0
    for part in _BREAK.split(typed.lower()):
        words = _WORD.findall(part)
        if not words:
            if part.strip():
                phrases.append(part.strip())
            continue
        slots, changed = _expand(words)
        notes.extend(changed)
        phrase = _best_reading(slots, model, restore=unaccented)
        content += sum(1 for w in phrase.split() if not is_stop(w))
        phrases.append(phrase)
    text = _join(phrases)
    return Understood(typed, text, unaccented, tuple(notes), content)


def _best_reading(slots: list[list[str]], model: DiacriticModel | None, *, restore: bool) -> str:
    """The reading of a phrase the language model likes best, restored when asked."""
    readings = list(itertools.islice(itertools.product(*slots), _MAX_READINGS))
    best, best_score = "", float("-inf")
    for reading in readings:
        tokens = " ".join(reading).split()
        if model is not None and restore:
            tokens = model.restore(tokens)
        score = model.score(tokens) if model is not None and len(readings) > 1 else 0.0
        if score > best_score:
            best, best_score = " ".join(tokens), score
    return best


def _join(phrases: list[str]) -> str:
    out = ""
    for p in phrases:
        if _BREAK.fullmatch(p):
            out += p
        else:
            out += (" " if out else "") + p
    return out.strip()
