"""HTML importer for pages saved from official legal portals (vbpl.vn, thuvienphapluat.vn,
chinhphu.vn): the text of the page with its structure kept as lines (one per paragraph, heading,
list item or table row), scripts, styles and navigation dropped; the stdlib parser, no network.
"""

from __future__ import annotations

from html.parser import HTMLParser

from knowledge.importers.limits import DEFAULT_LIMITS, CharBudget, ImportLimits
from knowledge.importers.text import decode_text

# Elements whose content is never document text.
_SKIP = {"script", "style", "head", "nav", "noscript", "template", "svg", "button", "select"}
# Elements that start a new line of text.
_BLOCK = {
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section",
    "article", "header", "footer", "blockquote", "pre", "dd", "dt", "ul", "ol", "hr", "center",
}  # fmt: skip
_CELL = {"td", "th"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base", "source"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.skipping = 0
        self.in_title = False
        self.title: list[str] = []

    def _break(self) -> None:
        line = " ".join("".join(self.current).split())
        if line:
            self.lines.append(line)
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self.in_title = True
        if tag in _SKIP and tag not in _VOID:
            self.skipping += 1
        elif tag in _BLOCK:
            self._break()
        elif tag in _CELL:
            self.current.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK:
            self._break()

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        elif not self.skipping:
            self.current.append(data)


def html_text(data: bytes, filename: str, limits: ImportLimits = DEFAULT_LIMITS) -> tuple[str, str]:
    """(the page's text with one line per block, the page's <title>)."""
    raw = CharBudget(limits, filename).take(decode_text(data, filename))
    parser = _Text()
    parser.feed(raw)
    parser.close()
    parser._break()
    return "\n".join(parser.lines), " ".join("".join(parser.title).split())
