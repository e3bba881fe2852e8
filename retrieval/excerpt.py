"""Clipped excerpts of passages for answers.

One home for both fronts, so the web console's "Thử hỏi" shows exactly what the bot sends.
(The one-line "gist" of session 1 is gone: answers now lead with the pinpointed clause.)
"""

from __future__ import annotations


def clip(text: str, limit: int) -> str:
    """Flatten whitespace and cut at a word boundary, marking the cut with " …"."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0] + " …"
