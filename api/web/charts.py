"""Small server-rendered SVG charts (no JavaScript, no inline styles: fine under a strict CSP).

SVG text scales with the drawing, so each chart is drawn twice: a wide drawing for screens
and a narrow one that a phone shows instead (CSS picks one), each with text that stays at
least 12 px on the screen it is meant for (`.chart text` sizes in app.css).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from math import ceil

from markupsafe import Markup

BAR = "#0b5cad"
GOOD = "#1e7d32"
BAD = "#b3261e"
GRID = "#d8dee6"

# Drawing widths (SVG units) and the text size used in each, kept in step with app.css:
# the wide drawing is shown about 510 px or wider (16 units -> 12.8 px), the narrow one 346 px
# wide on a 390 px phone (13 units -> 12.6 px).
WIDE, NARROW = 640, 360
FONT = {WIDE: 16, NARROW: 13}
NO_DATA = Markup('<p class="hint">Chưa có dữ liệu.</p>')


def _num(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _chars(units: float, width: int) -> int:
    """How many characters of label text fit in `units` of the drawing."""
    return max(4, int(units / (FONT[width] * 0.56)))


def _open(width: int, height: int, title: str) -> str:
    size = "wide" if width == WIDE else "narrow"
    return (
        f'<svg class="chart chart-{size}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    )


def _both(wide: str, narrow: str) -> Markup:
    return Markup(wide + narrow)


def _columns(points: Sequence[tuple[str, float]], title: str, width: int) -> str:
    font = FONT[width]
    height = 200 if width == WIDE else 190
    top = max(v for _, v in points) or 1.0
    left, bottom, pad = int(font * 2.6), font * 2 + 8, font
    inner_w, inner_h = width - left - 6, height - bottom - pad
    step = inner_w / len(points)
    bar_w = max(2.0, step * 0.7)
    label_units = font * 0.56 * 6  # "23/11" and a gap
    every = max(1, ceil(len(points) * label_units / inner_w))  # labels never overlap
    parts = [
        _open(width, height, title),
        f'<line x1="{left}" y1="{pad + inner_h}" x2="{width - 6}" y2="{pad + inner_h}" '
        f'stroke="{GRID}"/>',
        f'<text x="{left - 4}" y="{pad + 4}" text-anchor="end">{_num(top)}</text>',
        f'<text x="{left - 4}" y="{pad + inner_h}" text-anchor="end">0</text>',
    ]
    for i, (label, value) in enumerate(points):
        h = inner_h * value / top
        x = left + i * step + (step - bar_w) / 2
        y = pad + inner_h - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{BAR}">'
            f"<title>{escape(label)}: {_num(value)}</title></rect>"
        )
        if i % every == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - 8}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def column_chart(points: Sequence[tuple[str, float]], *, title: str) -> Markup:
    """Vertical bars, one per label (e.g. questions per day)."""
    if not points:
        return NO_DATA
    return _both(_columns(points, title, WIDE), _columns(points, title, NARROW))


def _bars(
    rows: Sequence[tuple[str, float, str]], title: str, top: float, percent: bool, width: int
) -> str:
    font = FONT[width]
    label_w = 230 if width == WIDE else 150
    value_w = font * 4
    row_h = font + 12
    bar_space = width - label_w - value_w
    parts = [_open(width, row_h * len(rows) + 6, title)]
    fit = _chars(label_w - 6, width)
    for i, (label, value, colour) in enumerate(rows):
        y = i * row_h + 4
        w = bar_space * (value / top if top else 0)
        shown = f"{value * 100:.0f}%" if percent else _num(value)
        short = label if len(label) <= fit else label[: fit - 1] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + font}" text-anchor="end">{escape(short)}'
            f"<title>{escape(label)}</title></text>"
            f'<rect x="{label_w}" y="{y}" width="{bar_space}" height="{font + 2}" fill="{GRID}"/>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{font + 2}" fill="{colour}"/>'
            f'<text x="{label_w + bar_space + 6}" y="{y + font}">{shown}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_list(
    rows: Sequence[tuple[str, float, str]],
    *,
    title: str,
    maximum: float | None = None,
    percent: bool = False,
) -> Markup:
    """Horizontal bars with a label and a value text (e.g. SLA rate per unit, top topics)."""
    if not rows:
        return NO_DATA
    top = maximum if maximum is not None else (max(v for _, v, _ in rows) or 1.0)
    return _both(_bars(rows, title, top, percent, WIDE), _bars(rows, title, top, percent, NARROW))


def _split(parts: Sequence[tuple[str, float, str]], title: str, total: float, width: int) -> str:
    font = FONT[width]
    line = font + 8
    out = [_open(width, 30 + line * len(parts), title)]
    x = 0.0
    for _label, value, colour in parts:
        w = width * value / total
        out.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="22" fill="{colour}"/>')
        x += w
    # A legend line per part, so no label is cut by a thin segment.
    for i, (label, value, colour) in enumerate(parts):
        y = 30 + i * line
        out.append(
            f'<rect x="0" y="{y + 2}" width="{font}" height="{font}" fill="{colour}"/>'
            f'<text x="{font + 6}" y="{y + font}">{escape(label)}: {_num(value)} '
            f"({value * 100 / total:.0f}%)</text>"
        )
    out.append("</svg>")
    return "".join(out)


def split_bar(parts: Sequence[tuple[str, float, str]], *, title: str) -> Markup:
    """One stacked bar showing shares of a whole, with a legend line per share."""
    total = sum(v for _, v, _ in parts)
    if total <= 0:
        return NO_DATA
    return _both(_split(parts, title, total, WIDE), _split(parts, title, total, NARROW))
