"""PDF importer: the text layer only (scanned PDFs without one are refused with a clear message)."""

from __future__ import annotations

import io
import re

from core.errors import DomainError, ErrorCode
from knowledge.chunking import ARTICLE_RE, CLAUSE_RE, DIVISION_RE, POINT_RE
from knowledge.importers.limits import DEFAULT_LIMITS, CharBudget, ImportLimits, check_pages

_SENTENCE_END = re.compile(r"[.:;!?…)\]”\"]$")


def pdf_text(data: bytes, filename: str, limits: ImportLimits = DEFAULT_LIMITS) -> str:
    """The text layer of every page, with lines wrapped by the layout joined back together;
    the page count is checked first and characters are counted page by page."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DomainError(ErrorCode.UNSUPPORTED_FILE, f"Tệp PDF “{filename}” có mật khẩu.")
        check_pages(len(reader.pages), limits, filename)
        budget = CharBudget(limits, filename)
        pages = [budget.take(page.extract_text() or "") for page in reader.pages]
    except (DomainError, MemoryError):  # a cap, not a damaged file
        raise
    except Exception as exc:  # pypdf raises many types on damaged files
        raise DomainError(
            ErrorCode.UNSUPPORTED_FILE,
            f"Không đọc được tệp PDF “{filename}”: tệp hỏng hoặc không đúng định dạng.",
        ) from exc
    text = "\n".join(pages)
    if len(text.split()) < 5:
        raise DomainError(
            ErrorCode.UNSUPPORTED_FILE,
            f"Tệp PDF “{filename}” không có lớp chữ (có thể là bản scan). "
            "Hãy gửi bản .docx hoặc PDF có thể chọn được chữ.",
        )
    return unwrap_lines(text)


def unwrap_lines(text: str) -> str:
    """Join a line to the previous one when the layout, not the author, broke it: the previous
    line does not end a sentence and this one starts neither a heading, clause nor point."""
    out: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        structural = (
            not line
            or ARTICLE_RE.match(line)
            or DIVISION_RE.match(line)
            or CLAUSE_RE.match(line)
            or POINT_RE.match(line)
            or line.startswith(("-", "+", "•"))
        )
        prev = out[-1] if out else ""
        bare = ARTICLE_RE.match(prev)
        if bare and not bare.group(2) and line and not structural:
            # "Điều 5." alone on a line, its title on the next: one heading.
            out[-1] = f"{prev} {line}"
        elif prev and not structural and not _SENTENCE_END.search(prev) and line[:1].islower():
            out[-1] = f"{prev} {line}"
        else:
            out.append(line)
    return "\n".join(out)
