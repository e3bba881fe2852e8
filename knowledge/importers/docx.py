"""Word (.docx) importer: paragraphs and tables in document order; heading styles become
markdown headings so the shared structure parser sees them."""

from __future__ import annotations

import io
import re

from core.errors import DomainError, ErrorCode
from knowledge.importers.limits import DEFAULT_LIMITS, CharBudget, ImportLimits, check_zip

_HEADING_STYLE = re.compile(r"^(?:Heading|Tiêu đề|Title)\s*(\d*)$", re.IGNORECASE)


def docx_text(data: bytes, filename: str, limits: ImportLimits = DEFAULT_LIMITS) -> str:
    """The text of a .docx file, one paragraph (or table row) a line; the zip is checked
    against the unpacked-size cap before python-docx reads it, and characters are counted as
    paragraphs come out."""
    # Imported lazily: python-docx pulls in lxml, which only admins' imports need.
    from docx import Document as open_docx
    from docx.table import Table

    stream = io.BytesIO(data)
    check_zip(stream, limits, filename)
    budget = CharBudget(limits, filename)
    try:
        document = open_docx(stream)
    except MemoryError:  # the worker's memory cap, not a damaged file
        raise
    except Exception as exc:  # python-docx raises several unrelated types on bad input
        raise DomainError(
            ErrorCode.UNSUPPORTED_FILE,
            f"Không đọc được tệp Word “{filename}”: tệp hỏng hoặc không phải định dạng .docx.",
        ) from exc
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells = [c.text.strip() for c in row.cells]
                # Merged cells repeat their text in every grid cell; keep it once.
                unique = [c for i, c in enumerate(cells) if c and c not in cells[:i]]
                if unique:
                    lines.append(budget.take(" | ".join(unique)))
            lines.append("")
            continue
        text = budget.take(block.text.strip())
        if not text:
            lines.append("")
            continue
        style = block.style.name if block.style is not None else ""
        match = _HEADING_STYLE.match(style or "")
        if match:
            level = int(match.group(1) or 1)
            lines.append(f"{'#' * min(max(level, 1), 6)} {text}")
        else:
            lines.append(text)
    return "\n".join(lines)
