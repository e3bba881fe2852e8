"""The one home for cells leaving the product in CSV or XLSX files.

Titles, names and questions are typed by users, and a spreadsheet program runs a cell that
starts with a formula character (OWASP "CSV injection"): such cells get a leading apostrophe.
Control characters that XML cannot hold are dropped, or openpyxl refuses the whole file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value` as it may be written to a CSV or XLSX cell (numbers and dates pass unchanged)."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def safe_row(row: Iterable[Any]) -> list[Any]:
    """Every cell of `row` made safe."""
    return [safe_cell(v) for v in row]


def csv_bytes(rows: Iterable[Sequence[Any]]) -> bytes:
    """Rows as UTF-8 CSV with a byte-order mark (so Excel shows Vietnamese); None is empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(safe_row("" if v is None else v for v in row) for row in rows)
    return buffer.getvalue().encode("utf-8-sig")
