"""Short excerpts of a passage for answers: a clipped excerpt and a one-line gist.

One home for both fronts, so the web console's "Thử hỏi" shows exactly what the bot sends.
"""

from __future__ import annotations

import re

# Leading clause/point numbering ("1.", "2)", "a)", "đ.") and bullets carry no meaning on their own.
_MARKER = re.compile(r"^(?:(?:\d{1,3}|[a-zđ])[.)](?:\s+|$)|[-•*–]\s+)+", re.IGNORECASE)
# A sentence ends at . ; or : followed by a space or the end (not inside "1.2" or "01.01.2025").
_SENTENCE_END = re.compile(r"[.;:](?=\s|$)")
# A gist shorter than this many words is not a summary; keep reading the next sentence.
_MIN_GIST_WORDS = 4


def clip(text: str, limit: int) -> str:
    """Flatten whitespace and cut at a word boundary, marking the cut with " …"."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0] + " …"


def gist(text: str, limit: int = 220) -> str:
    """The first meaningful sentence of a passage, without its clause numbering, as one line."""
    rest = " ".join(text.split())
    end = _SENTENCE_END.search(rest)
    starts_mid_sentence = rest[:1].islower() and not _MARKER.match(rest)
    if starts_mid_sentence and end and rest[end.end() :].strip():
        # A window that starts mid-sentence (overlapping chunks do): its first "sentence" is a
        # fragment, so the gist starts at the next one.
        rest = rest[end.end() :].lstrip()
    pieces: list[str] = []
    while rest:
        rest = _MARKER.sub("", rest)
        end = _SENTENCE_END.search(rest)
        sentence, rest = (rest[: end.end()], rest[end.end() :].lstrip()) if end else (rest, "")
        pieces.append(sentence)
        if len(" ".join(pieces).split()) >= _MIN_GIST_WORDS:
            break
    return clip(" ".join(pieces), limit)
