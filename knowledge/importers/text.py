"""Markdown / plain-text importer with an optional `---` front-matter block of `key: value` lines.

Front matter (all optional)::

    ---
    kind: guidance            # regulation | competency | guidance | precedent
    number: 01/2025/HD-MAU
    title: Cẩm nang xử lý tình huống mới
    issuer: UBND tỉnh (mẫu)
    issued_on: 2025-07-01     # or 01/07/2025
    effective_from: 2025-07-01
    expires_on:
    scope: national           # national | province | unit
    scope_unit: Tỉnh Mẫu      # unit name, for province/unit scope
    positions: [Tư pháp - Hộ tịch, Văn phòng - Thống kê]
    supersedes: 05/2020/QĐ-UBND; Quy chế cũ   # numbers or titles, separated by ";"
    ---

Values are plain strings (no YAML types); lists are `[a, b]`, `a, b` or `- item` lines
(`supersedes` on one line splits on ";", since titles may contain commas).
Unknown keys are kept in the document's `meta`.
"""

from __future__ import annotations

import re

from core.errors import DomainError, ErrorCode
from knowledge.importers.base import (
    DEFAULT_CHUNK_STEP,
    DEFAULT_CHUNK_WORDS,
    DocumentMeta,
    ParsedDocument,
    apply_fields,
    build_from_text,
    guess_effective,
    guess_number,
    guess_title,
)
from knowledge.importers.limits import DEFAULT_LIMITS, CharBudget, ImportLimits

_FIELD_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.*)$")


def decode_text(data: bytes, filename: str) -> str:
    """UTF-8 (with or without BOM) or BOM-marked UTF-16; binary or legacy encodings are refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data[:4096]:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
    raise DomainError(
        ErrorCode.UNSUPPORTED_FILE,
        f"Tệp “{filename}” không phải văn bản UTF-8. Hãy lưu lại với mã UTF-8 rồi gửi lại.",
    )


def split_front_matter(text: str) -> tuple[dict[str, str | list[str]], str]:
    """Split a leading `---` block into fields and the remaining body."""
    stripped = text.lstrip("\ufeff\n\r\t ")
    if not stripped.startswith("---"):
        return {}, text
    lines = stripped.split("\n")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise DomainError(
            ErrorCode.INVALID, "Khối thông tin đầu tệp (---) chưa có dòng “---” kết thúc."
        ) from None
    fields: dict[str, str | list[str]] = {}
    last: str | None = None
    for raw in lines[1:end]:
        line = raw.split(" #", 1)[0].rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.lstrip().startswith("- ") and last is not None:
            current = fields.get(last)
            items = current if isinstance(current, list) else ([current] if current else [])
            fields[last] = [*items, _unquote(line.lstrip()[2:])]
            continue
        match = _FIELD_RE.match(line.strip())
        if match is None:
            raise DomainError(ErrorCode.INVALID, f"Dòng thông tin đầu tệp không hợp lệ: “{line}”.")
        last, value = match.group(1).lower(), match.group(2).strip()
        if value.startswith("[") and value.endswith("]"):
            fields[last] = [_unquote(v) for v in value[1:-1].split(",") if v.strip()]
        else:
            fields[last] = _unquote(value)
    return fields, "\n".join(lines[end + 1 :])


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def parse_text(
    data: bytes | str,
    filename: str,
    *,
    chunk_words: int = DEFAULT_CHUNK_WORDS,
    chunk_step: int = DEFAULT_CHUNK_STEP,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> ParsedDocument:
    """Parse a .md/.txt file (bytes or already-decoded text)."""
    text = decode_text(data, filename) if isinstance(data, bytes) else data
    fields, body = split_front_matter(CharBudget(limits, filename).take(text))
    return parse_body(
        body,
        filename,
        fields=fields,
        chunk_words=chunk_words,
        chunk_step=chunk_step,
        limits=limits,
    )


def parse_body(
    body: str,
    filename: str,
    *,
    fields: dict[str, str | list[str]] | None = None,
    fallback_title: str | None = None,
    chunk_words: int = DEFAULT_CHUNK_WORDS,
    chunk_step: int = DEFAULT_CHUNK_STEP,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> ParsedDocument:
    """Shared tail of the text, docx, pdf and html importers: metadata guesses (title, number,
    effective date; front matter and uploader fields win), then chunking."""
    stem = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0] or filename
    meta = DocumentMeta(
        title=guess_title(body, fallback_title or stem),
        number=guess_number(body),
        effective_from=guess_effective(body),
    )
    meta = apply_fields(meta, fields or {})
    return build_from_text(
        body,
        meta,
        source_name=filename,
        chunk_words=chunk_words,
        chunk_step=chunk_step,
        limits=limits,
    )
