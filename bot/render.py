"""HTML rendering for Telegram: escaping, answer layout and splitting under the 4,096 limit."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from bot import texts
from retrieval.excerpt import clip

# Telegram rejects messages over 4,096 characters; keep a margin for re-opened tags.
MESSAGE_LIMIT = 4000
PASSAGE_CHARS = 700
_TAG = re.compile(r"<(/?)([a-z]+)[^>]*>")


def esc(value: object) -> str:
    """Escape any user- or document-supplied value for HTML parse mode."""
    return html.escape(str(value), quote=False)


def percent(confidence: float) -> int:
    return round(max(0.0, min(1.0, confidence)) * 100)


# The lead clause of an answer, and the closest passage of a not-covered one, are clipped to
# these lengths (issue: an answer an official can read on a phone, about 600 characters).
LEAD_CHARS = 600
CLOSEST_CHARS = 300
# The whole reply stays within one phone screen: a long question read back ("🔤 Hiểu câu hỏi
# là") is clipped, and whatever still overflows comes off the lead clause, down to MIN_LEAD_CHARS.
ANSWER_CHARS = 900
UNDERSTOOD_CHARS = 160
MIN_LEAD_CHARS = 300


def passage_block(n: int, passage: dict[str, Any]) -> str:
    """One cited passage: citation, validity and an excerpt, all escaped."""
    return texts.ANSWER_PASSAGE.format(
        n=n,
        citation=esc(passage.get("citation", "")),
        validity=esc(passage.get("validity", "")),
        text=esc(clip(str(passage.get("text", "")), PASSAGE_CHARS)),
    )


def answer(
    passages: Sequence[dict[str, Any]],
    *,
    confidence: float,
    novel: bool,
    lexical: bool = False,
    understood: str | None = None,
    note: str | None = None,
) -> str:
    """The reply to a question: the clause that answers it first, with its exact citation and
    validity, then the confidence. Other passages and the whole article are one tap away.
    `understood` is shown when the question was read differently from how it was typed, and
    `note` (core.answers: e.g. which other documents have the cited article) after it."""
    if not passages:
        return "\n\n".join([texts.NOT_COVERED.format(percent=percent(confidence)),
                              texts.NO_PASSAGES])  # fmt: skip
    extras = []
    if understood:
        extras.append(texts.ANSWER_UNDERSTOOD.format(text=esc(clip(understood, UNDERSTOOD_CHARS))))
    if note:
        extras.append(esc(note))
    if lexical:
        extras.append(texts.ANSWER_LEXICAL)

    def reply(chars: int) -> str:
        best = passages[0]
        block = texts.ANSWER_LEAD.format(
            citation=esc(best.get("citation", "")),
            validity=esc(best.get("validity", "")),
            text=esc(clip(str(best.get("text", "")), chars)),
        )
        if novel:
            parts = [texts.NOT_COVERED.format(percent=percent(confidence)),
                     texts.NOT_COVERED_CLOSEST, block]  # fmt: skip
        else:
            parts = [block, texts.ANSWER_CONFIDENCE.format(percent=percent(confidence))]
        return "\n\n".join(parts + extras)

    chars = CLOSEST_CHARS if novel else LEAD_CHARS
    text = reply(chars)
    if len(text) > ANSWER_CHARS:
        text = reply(max(MIN_LEAD_CHARS, chars - (len(text) - ANSWER_CHARS)))
    return text


def full_article(passage: dict[str, Any]) -> str:
    """The whole article behind "📄 Toàn văn" (split into messages by the caller)."""
    body = str(passage.get("article_text") or "")
    if not body:
        return texts.NO_FULL_ARTICLE
    header = texts.FULL_ARTICLE_HEADER.format(citation=esc(passage.get("article_citation", "")))
    return f"{header}\n<i>{esc(passage.get('validity', ''))}</i>\n{esc(body)}"


def split(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split HTML into messages under `limit`, at paragraph, then line, then word boundaries.

    Tags open at a cut are closed and re-opened in the next part, and a cut never falls
    inside a tag or an entity, so every part is valid HTML for Telegram.
    """
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for piece in _pieces(text, limit):
        joiner = "\n" if current else ""
        if len(current) + len(joiner) + len(piece) <= limit:
            current += joiner + piece
        else:
            if current:
                parts.append(current)
            current = piece
    if current:
        parts.append(current)
    return _balance(parts)


def _pieces(text: str, limit: int) -> list[str]:
    """Lines of the text, each line cut further when it alone exceeds the limit."""
    pieces: list[str] = []
    budget = limit - 100  # room for tags re-opened/closed around a cut
    for line in text.split("\n"):
        while len(line) > budget:
            cut = _safe_cut(line, budget)
            pieces.append(line[:cut])
            line = line[cut:].lstrip(" ")
        pieces.append(line)
    return pieces


def _safe_cut(line: str, budget: int) -> int:
    """A cut position at most `budget`, preferring a space, never inside a tag or entity."""
    cut = line.rfind(" ", budget // 2, budget)
    cut = cut if cut > 0 else budget
    lt, gt = line.rfind("<", 0, cut), line.rfind(">", 0, cut)
    if lt > gt:
        cut = lt
    amp, semi = line.rfind("&", 0, cut), line.rfind(";", 0, cut)
    if amp > semi and cut - amp < 10:
        cut = amp
    return max(cut, 1)


def _balance(parts: list[str]) -> list[str]:
    """Close tags left open at the end of a part and re-open them at the start of the next."""
    balanced: list[str] = []
    carried: list[str] = []
    for part in parts:
        body = "".join(carried) + part
        stack: list[tuple[str, str]] = []
        for match in _TAG.finditer(body):
            closing, name = match.group(1), match.group(2)
            if closing:
                for i in range(len(stack) - 1, -1, -1):
                    if stack[i][0] == name:
                        del stack[i]
                        break
            else:
                stack.append((name, match.group(0)))
        body += "".join(f"</{name}>" for name, _ in reversed(stack))
        carried = [opening for _, opening in stack]
        balanced.append(body)
    return balanced


def buttons_to_rows(markup: Any) -> list[list[dict[str, Any]]]:
    """An aiogram inline keyboard as plain rows for the outbox (text + callback_data)."""
    if markup is None:
        return []
    return [
        [{"text": b.text, "callback_data": b.callback_data} for b in row]
        for row in markup.inline_keyboard
    ]
