"""File importers: turn .md/.txt/.docx/.doc/.pdf/.html/.jsonl into `ParsedDocument`s without
touching the database (for previews); `knowledge.service.import_parsed` stores them."""

from __future__ import annotations

from pathlib import Path

from core.errors import DomainError, ErrorCode
from knowledge.importers.base import (
    DEFAULT_CHUNK_STEP,
    DEFAULT_CHUNK_WORDS,
    DocumentMeta,
    ParsedDocument,
)
from knowledge.importers.doc import to_docx
from knowledge.importers.docx import docx_text
from knowledge.importers.html import html_text
from knowledge.importers.jsonl import parse_jsonl
from knowledge.importers.limits import DEFAULT_LIMITS, ImportLimits
from knowledge.importers.pdf import pdf_text
from knowledge.importers.text import parse_body, parse_text

__all__ = [
    "ACCEPTED_TYPES",
    "SUPPORTED_SUFFIXES",
    "DocumentMeta",
    "ImportLimits",
    "ParsedDocument",
    "accepts",
    "one_document",
    "parse_documents",
    "parse_file",
    "unsupported",
]

# The one list of accepted file types: the console, bot, API and CLI all read it.
SUPPORTED_SUFFIXES = (
    ".md", ".markdown", ".txt", ".docx", ".doc", ".pdf", ".html", ".htm", ".jsonl",
)  # fmt: skip
ACCEPTED_TYPES = ", ".join(SUPPORTED_SUFFIXES)


def accepts(filename: str) -> bool:
    """True when `filename` has a type the importers read."""
    return Path(filename).suffix.lower() in SUPPORTED_SUFFIXES


def unsupported(filename: str) -> DomainError:
    """The error for a file of a type no importer reads."""
    return DomainError(
        ErrorCode.UNSUPPORTED_FILE, f"Không hỗ trợ tệp “{filename}”. Chấp nhận: {ACCEPTED_TYPES}."
    )


def parse_documents(
    source: Path | str | bytes,
    filename: str | None = None,
    *,
    chunk_words: int = DEFAULT_CHUNK_WORDS,
    chunk_step: int = DEFAULT_CHUNK_STEP,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> list[ParsedDocument]:
    """Every document in a file (a JSONL file may hold many; other formats hold one).

    `source` is a path or the file's bytes; `filename` (required with bytes) picks the format.
    Untrusted uploads go through `knowledge.importers.isolated`, which calls this in a child
    process with time and memory limits.
    """
    if isinstance(source, bytes):
        if not filename:
            raise ValueError("filename is required when parsing bytes")
        data, name = source, filename
    else:
        path = Path(source)
        name = filename or path.name
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DomainError(ErrorCode.NOT_FOUND, f"Không đọc được tệp “{path}”.") from exc
    suffix = Path(name).suffix.lower()
    if suffix in SUPPORTED_SUFFIXES and not data.strip():
        # Said plainly: an empty file is not a damaged one.
        raise DomainError(ErrorCode.INVALID, f"Tệp “{name}” rỗng, không có nội dung để nhập.")
    opts = {"chunk_words": chunk_words, "chunk_step": chunk_step}
    if suffix in (".md", ".markdown", ".txt"):
        return [parse_text(data, name, limits=limits, **opts)]
    if suffix == ".jsonl":
        return parse_jsonl(data, name, limits=limits, **opts)
    # Word, PDF and HTML differ only in how their text is read; the text is parsed as one.
    title: str | None = None
    if suffix == ".docx":
        body = docx_text(data, name, limits)
    elif suffix == ".doc":  # Word 97, through LibreOffice when it is installed
        body = docx_text(to_docx(data, name, limits), name, limits)
    elif suffix == ".pdf":
        body = pdf_text(data, name, limits)
    elif suffix in (".html", ".htm"):
        body, title = html_text(data, name, limits)
    else:
        raise unsupported(name)
    return [
        parse_body(
            body,
            name,
            fallback_title=title or None,
            chunk_words=chunk_words,
            chunk_step=chunk_step,
            limits=limits,
        )
    ]


def parse_file(
    source: Path | str | bytes,
    filename: str | None = None,
    *,
    chunk_words: int = DEFAULT_CHUNK_WORDS,
    chunk_step: int = DEFAULT_CHUNK_STEP,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> ParsedDocument:
    """The one document in a file, for a preview before import (title, articles, chunks)."""
    return one_document(
        parse_documents(
            source, filename, chunk_words=chunk_words, chunk_step=chunk_step, limits=limits
        )
    )


def one_document(documents: list[ParsedDocument]) -> ParsedDocument:
    """The only document of a file; the bot's preview shows one document at a time."""
    if len(documents) != 1:
        raise DomainError(
            ErrorCode.INVALID,
            f"Tệp chứa {len(documents)} văn bản; hãy nhập trên trang Kho tri thức của "
            "bảng điều khiển web hoặc bằng lệnh “troly kb import”.",
        )
    return documents[0]
