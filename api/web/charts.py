"""Small server-rendered SVG charts (no JavaScript, no inline styles: fine under a strict CSP)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

BAR = "#0b5cad"
GOOD = "#1e7d32"
BAD = "#b3261e"
GRID = "#d8dee6"


def _num(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def column_chart(
    points: Sequence[tuple[str, float]], *, title: str, height: int = 180, width: int = 640
) -> Markup:
    """Vertical bars, one per label (e.g. questions per day)."""
    if not points:
        return Markup('<p class="hint">Chưa có dữ liệu.</p>')
    top = max(v for _, v in points) or 1.0
    left, bottom, pad = 30, 36, 14
    inner_w, inner_h = width - left - 6, height - bottom - pad
    step = inner_w / len(points)
    bar_w = max(2.0, step * 0.7)
    every = max(1, len(points) // 12)  # keep x labels readable
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
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
                f'<text x="{x + bar_w / 2:.1f}" y="{height - 20}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_list(
    rows: Sequence[tuple[str, float, str]],
    *,
    title: str,
    maximum: float | None = None,
    percent: bool = False,
    width: int = 640,
) -> Markup:
    """Horizontal bars with a label and a value text (e.g. SLA rate per unit, top topics)."""
    if not rows:
        return Markup('<p class="hint">Chưa có dữ liệu.</p>')
    top = maximum if maximum is not None else (max(v for _, v, _ in rows) or 1.0)
    label_w, row_h = 230, 24
    bar_space = width - label_w - 70
    height = row_h * len(rows) + 6
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for i, (label, value, colour) in enumerate(rows):
        y = i * row_h + 4
        w = bar_space * (value / top if top else 0)
        shown = f"{value * 100:.0f}%" if percent else _num(value)
        short = label if len(label) <= 34 else label[:33] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{escape(short)}'
            f"<title>{escape(label)}</title></text>"
            f'<rect x="{label_w}" y="{y}" width="{bar_space}" height="16" fill="{GRID}"/>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="16" fill="{colour}"/>'
            f'<text x="{label_w + bar_space + 6}" y="{y + 13}">{shown}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def split_bar(parts: Sequence[tuple[str, float, str]], *, title: str, width: int = 640) -> Markup:
    """One stacked bar showing shares of a whole (e.g. answered from the KB vs escalated)."""
    total = sum(v for _, v, _ in parts)
    if total <= 0:
        return Markup('<p class="hint">Chưa có dữ liệu.</p>')
    out = [
        f'<svg class="chart" viewBox="0 0 {width} 56" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
    ]
    x = 0.0
    for label, value, colour in parts:
        w = width * value / total
        out.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="26" fill="{colour}"/>')
        if w > 60:
            out.append(
                f'<text x="{x + 6:.1f}" y="44">{escape(label)}: {_num(value)} '
                f"({value * 100 / total:.0f}%)</text>"
            )
        x += w
    out.append("</svg>")
    return Markup("".join(out))
