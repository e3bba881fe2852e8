"""JSONL importer: one article a line, `{id, document, article, title, text}`; rows are grouped
into one document per `document` value, and each row's `id` becomes its chunks' external id.

Optional per-row metadata (`kind`, `number`, `issuer`, `issued_on`, `effective_from`,
`expires_on`, `scope`, `scope_unit`, `positions`) is read from a document's first row.
"""

from __future__ import annotations

import json
from typing import Any

from core.errors import DomainError, ErrorCode
from knowledge.chunking import Article
from knowledge.importers.base import (
    DEFAULT_CHUNK_STEP,
    DEFAULT_CHUNK_WORDS,
    DocumentMeta,
    ParsedDocument,
    apply_fields,
    build_from_articles,
)
from knowledge.importers.limits import DEFAULT_LIMITS, ImportLimits
from knowledge.importers.text import decode_text

_REQUIRED = ("id", "document", "article", "text")
_META_KEYS = (
    "kind",
    "number",
    "issuer",
    "issued_on",
    "effective_from",
    "expires_on",
    "scope",
    "scope_unit",
    "positions",
)


def read_rows(data: bytes | str, filename: str) -> list[dict[str, Any]]:
    """Decode and validate the rows; a bad line is reported with its number."""
    text = decode_text(data, filename) if isinstance(data, bytes) else data
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            raise DomainError(
                ErrorCode.INVALID, f"Dòng {number} của “{filename}” không phải JSON hợp lệ."
            ) from None
        if not isinstance(row, dict):
            raise DomainError(ErrorCode.INVALID, f"Dòng {number} của “{filename}” phải là object.")
        missing = [k for k in _REQUIRED if row.get(k) in (None, "")]
        if missing:
            raise DomainError(
                ErrorCode.INVALID,
                f"Dòng {number} của “{filename}” thiếu trường: {', '.join(missing)}.",
            )
        rows.append(row)
    if not rows:
        raise DomainError(ErrorCode.INVALID, f"Tệp “{filename}” không có dòng dữ liệu nào.")
    return rows


def parse_jsonl(
    data: bytes | str,
    filename: str,
    *,
    chunk_words: int = DEFAULT_CHUNK_WORDS,
    chunk_step: int = DEFAULT_CHUNK_STEP,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> list[ParsedDocument]:
    """One parsed document per distinct `document` value, in order of first appearance."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in read_rows(data, filename):
        groups.setdefault(str(row["document"]), []).append(row)
    documents = []
    for title, rows in groups.items():
        fields = {k: _field(rows[0][k]) for k in _META_KEYS if rows[0].get(k) not in (None, "")}
        meta = apply_fields(DocumentMeta(title=title), fields)
        articles = [
            Article(
                number=str(r["article"]),
                title=str(r.get("title") or ""),
                body=str(r["text"]),
                external_id=str(r["id"]),
            )
            for r in rows
        ]
        documents.append(
            build_from_articles(
                articles,
                meta,
                source_name=filename,
                chunk_words=chunk_words,
                chunk_step=chunk_step,
                limits=limits,
            )
        )
    return documents


def _field(value: Any) -> str | list[str]:
    return [str(v) for v in value] if isinstance(value, list) else str(value)
