"""Split normalised text along Vietnamese legal structure into windows that keep their citation.

Legal documents are parsed into articles (Phần/Chương/Mục only delimit them; citations name the
document, then Điều, khoản, điểm). Each article becomes one chunk when it fits the encoder window,
otherwise overlapping word windows (`chunk_words` long, `chunk_step` apart), each cited by the
clause/point it covers. Texts without articles (handbooks) are cut by markdown heading instead,
with the same window rule, and cited by section heading. Input must already be `normalize`d.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

# Article heading: "Điều 12. Tên điều", "ĐIỀU 12:", "**Điều 12.** Tên", "### Điều 12a. Tên".
ARTICLE_RE = re.compile(
    r"^(?:#{1,6}\s*)?\**\s*(?:Điều|ĐIỀU)\s+(\d+[a-zđ]?)\s*(?:[.:]|\**\s*$)\**\s*(.*?)\s*\**$"
)
# Higher divisions: they end the running article and are not cited.
DIVISION_RE = re.compile(
    r"^(?:#{1,6}\s*)?\**\s*(?:Phần|PHẦN|Chương|CHƯƠNG|Mục|MỤC)\s+"
    r"(?:thứ\s+\S+|THỨ\s+\S+|[IVXLCDM]+|\d+)\b\s*[.:\-–]?\s*(.*?)\s*\**$"
)
MD_HEADING_RE = re.compile(r"^#{1,6}\s+(.*?)\s*#*$")
CLAUSE_RE = re.compile(r"^(\d{1,3})\.\s")
POINT_RE = re.compile(r"^([a-zđ])\)\s")
PAGE_NUMBER_RE = re.compile(r"^(?:-\s*)?\d{1,4}(?:\s*-)?$")
_TOKEN = re.compile(r"\S+")


@dataclass(frozen=True)
class ChunkDraft:
    """A chunk before it is stored: display text plus everything needed to cite it."""

    citation: str
    text: str
    heading: str = ""
    article: str | None = None
    clause: str | None = None
    point: str | None = None
    external_id: str | None = None


@dataclass(frozen=True)
class Article:
    """One Điều: its number, title and body text (without the heading line)."""

    number: str
    title: str
    body: str
    external_id: str | None = None


@dataclass(frozen=True)
class Section:
    """A part of a non-legal text under one heading (empty heading: text before any heading)."""

    heading: str
    body: str


class _Line(NamedTuple):
    """A non-empty line of an article body: where it is, its words, its clause and point.

    Words are located per line, not per word, because the corpus has ~10^6 words and only the
    first and last word of each window need their exact position."""

    offset: int  # character offset of the line in the body
    text: str
    first: int  # index (in the article) of the line's first word
    words: int  # words on the line
    clause: str | None
    point: str | None


def parse_blocks(text: str) -> list[Article | Section]:
    """A legal text's articles in order, plus the text under plain markdown headings that
    follow the first article (annexes, notes), so nothing after it is silently dropped.

    Text before the first article (issuing body, "Căn cứ ..." preamble) is not included.
    """
    blocks: list[Article | Section] = []
    # The open block: ("article", number, title) or ("section", heading, "") or None.
    current: tuple[str, str, str] | None = None
    body: list[str] = []
    skip_title = False

    def close() -> None:
        content = "\n".join(body).strip()
        if current is None:
            return
        if current[0] == "article":
            blocks.append(Article(current[1], current[2], content))
        elif content:
            blocks.append(Section(current[1], content))

    for raw in text.split("\n"):
        line = raw.strip()
        if skip_title and line:
            skip_title = False
            if not ARTICLE_RE.match(line):
                continue  # the title line of a "Chương II" heading written on two lines
        if match := ARTICLE_RE.match(line):
            close()
            current, body = ("article", match.group(1), _strip_md(match.group(2))), []
        elif division := DIVISION_RE.match(line):
            close()
            current, body = None, []
            skip_title = not division.group(1)
        elif heading := MD_HEADING_RE.match(line):
            close()
            seen_article = any(isinstance(b, Article) for b in blocks)
            current = ("section", _strip_md(heading.group(1)), "") if seen_article else None
            body = []
        elif current is not None and not PAGE_NUMBER_RE.match(line):
            body.append(line)
    close()
    return blocks


def parse_articles(text: str) -> list[Article]:
    """The articles of a legal text in order."""
    return [b for b in parse_blocks(text) if isinstance(b, Article)]


def parse_sections(text: str) -> list[Section]:
    """A non-legal text cut at markdown headings; empty sections are dropped."""
    sections: list[Section] = []
    heading = ""
    body: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if match := MD_HEADING_RE.match(line):
            sections.append(Section(heading, "\n".join(body).strip()))
            heading, body = _strip_md(match.group(1)), []
        elif not PAGE_NUMBER_RE.match(line):
            body.append(line)
    sections.append(Section(heading, "\n".join(body).strip()))
    return [s for s in sections if s.body]


def chunk_text(
    text: str, *, title: str, chunk_words: int, chunk_step: int
) -> tuple[list[ChunkDraft], int]:
    """Chunks of a whole document and its number of articles (0 for a non-legal text)."""
    blocks = parse_blocks(text)
    articles = sum(isinstance(b, Article) for b in blocks)
    if articles:
        chunks: list[ChunkDraft] = []
        for block in blocks:
            if isinstance(block, Article):
                chunks += chunk_article(
                    block, title=title, chunk_words=chunk_words, chunk_step=chunk_step
                )
            else:
                chunks += chunk_section(
                    block, title=title, chunk_words=chunk_words, chunk_step=chunk_step
                )
        return chunks, articles
    chunks = [
        c
        for s in parse_sections(text)
        for c in chunk_section(s, title=title, chunk_words=chunk_words, chunk_step=chunk_step)
    ]
    return chunks, 0


def chunk_article(
    article: Article, *, title: str, chunk_words: int, chunk_step: int
) -> list[ChunkDraft]:
    """One chunk for a short article; overlapping windows cited by clause/point for a long one."""
    base = f"{title}, Điều {article.number}"
    body = article.body or article.title
    lines = _lines(body)
    total = lines[-1].first + lines[-1].words if lines else 0
    chunks = []
    for first, last in _windows(total, chunk_words, chunk_step):
        whole = first == 0 and last == total - 1
        citation, clause, point = (base, None, None) if whole else _cite(base, lines, first, last)
        chunks.append(
            ChunkDraft(
                citation=citation,
                text=body[_word_span(lines, first)[0] : _word_span(lines, last)[1]],
                heading=article.title,
                article=article.number,
                clause=clause,
                point=point,
                external_id=article.external_id,
            )
        )
    return chunks


def chunk_section(
    section: Section, *, title: str, chunk_words: int, chunk_step: int
) -> list[ChunkDraft]:
    """Windows of a non-legal section, cited by document title and section heading."""
    named = section.heading and section.heading != title
    citation = f"{title}, {section.heading}" if named else title
    spans = [(m.start(), m.end()) for m in _TOKEN.finditer(section.body)]
    return [
        ChunkDraft(
            citation=citation,
            text=section.body[spans[first][0] : spans[last][1]],
            heading=section.heading,
        )
        for first, last in _windows(len(spans), chunk_words, chunk_step)
    ]


def _windows(n: int, size: int, step: int) -> Iterable[tuple[int, int]]:
    """Inclusive token ranges covering 0..n-1: windows of `size`, `step` apart, the last one
    ending exactly at the end."""
    if n == 0:
        return
    size, step = max(size, 1), max(min(step, size), 1)
    start = 0
    while True:
        end = min(start + size, n)
        yield start, end - 1
        if end >= n:
            return
        start += step


def _lines(body: str) -> list[_Line]:
    """The body's non-empty lines, each labelled with the clause and point it is in."""
    lines: list[_Line] = []
    clause: str | None = None
    point: str | None = None
    offset = total = 0
    for line in body.split("\n"):
        if match := CLAUSE_RE.match(line):
            clause, point = match.group(1), None
        elif match := POINT_RE.match(line):
            point = match.group(1)
        count = len(line.split())
        if count:
            lines.append(_Line(offset, line, total, count, clause, point))
            total += count
        offset += len(line) + 1
    return lines


def _line_of(lines: list[_Line], word: int) -> int:
    return bisect_right([line.first for line in lines], word) - 1


def _word_span(lines: list[_Line], word: int) -> tuple[int, int]:
    """Character span of the `word`-th word of the body."""
    line = lines[_line_of(lines, word)]
    for i, match in enumerate(_TOKEN.finditer(line.text)):
        if i == word - line.first:
            return line.offset + match.start(), line.offset + match.end()
    raise IndexError(word)


def _cite(
    base: str, lines: list[_Line], first: int, last: int
) -> tuple[str, str | None, str | None]:
    """Citation of a window: the clause (or clause range) and point (or point range) it covers."""
    window = lines[_line_of(lines, first) : _line_of(lines, last) + 1]
    start_clause, end_clause = window[0].clause, window[-1].clause
    if start_clause != end_clause:
        if start_clause is None:
            return base, None, None  # starts in the article's lead-in
        return f"{base}, khoản {start_clause}–{end_clause}", start_clause, None
    citation = base if start_clause is None else f"{base}, khoản {start_clause}"
    # Within one clause: cite the point(s) only when the window holds nothing but point text.
    if any(line.point is None for line in window):
        return citation, start_clause, None
    start_point, end_point = window[0].point, window[-1].point
    if start_point == end_point:
        return f"{citation}, điểm {start_point}", start_clause, start_point
    return f"{citation}, điểm {start_point}–{end_point}", start_clause, start_point


def _strip_md(value: str) -> str:
    return value.replace("**", "").replace("__", "").strip(" .:*#")
