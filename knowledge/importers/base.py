"""What every importer produces: document metadata, normalised text and ready-to-store chunks."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from core.errors import DomainError, ErrorCode
from core.inputs import MAX_ID, check_year
from core.text import fold, normalize, normalize_line
from knowledge.chunking import (
    ARTICLE_RE,
    DIVISION_RE,
    MD_HEADING_RE,
    Article,
    ChunkDraft,
    chunk_article,
    chunk_text,
)
from knowledge.importers.limits import DEFAULT_LIMITS, CharBudget, ImportLimits, check_chunks
from knowledge.models import DocumentKind, Scope

DEFAULT_CHUNK_WORDS = 150
DEFAULT_CHUNK_STEP = 110

_TYPE_WORDS = (
    "BỘ LUẬT",
    "LUẬT",
    "HIẾN PHÁP",
    "PHÁP LỆNH",
    "NGHỊ ĐỊNH",
    "NGHỊ QUYẾT",
    "THÔNG TƯ LIÊN TỊCH",
    "THÔNG TƯ",
    "QUYẾT ĐỊNH",
    "CHỈ THỊ",
    "KẾ HOẠCH",
    "QUY CHẾ",
    "QUY ĐỊNH",
    "HƯỚNG DẪN",
    "CẨM NANG",
    "KHUNG NĂNG LỰC",
)
# Continuation lines a capitalised title may be broken over.
_TITLE_LINES = 3
_EFFECTIVE_RE = re.compile(
    r"có\s+hiệu\s+lực(?:\s+thi\s+hành)?\s+(?:kể\s+)?từ\s+ngày\s+(\d{1,2})"
    r"(?:\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})|\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4}))",
    re.IGNORECASE,
)
_NUMBER_RE = re.compile(r"\b[Ss]ố(?:\s+hiệu)?\s*:?\s*(\d+[/\-][0-9A-ZĐa-zđ/\-]+)")


@dataclass
class DocumentMeta:
    """Metadata of a document as read from a file (front matter) or given by a caller."""

    title: str
    kind: str = DocumentKind.REGULATION.value
    number: str | None = None
    issuer: str | None = None
    issued_on: date | None = None
    effective_from: date | None = None
    expires_on: date | None = None
    scope: str = Scope.NATIONAL.value
    # Unit name for province/unit scope; resolved to an id at import time.
    scope_unit: str | None = None
    scope_unit_id: int | None = None
    positions: list[str] = field(default_factory=list)
    # Numbers (or titles) of documents this one replaces; they leave search once it is imported.
    supersedes: list[str] = field(default_factory=list)
    # Explicit re-import key; default: the document number, else the title.
    key: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def resolved_key(self) -> str:
        """The stable key a re-import is recognised by (folded, so case and marks don't matter)."""
        return fold(self.key or self.number or self.title)[:300]


@dataclass(frozen=True)
class ParsedDocument:
    """A parsed file, not yet stored: preview it (title, articles, chunks), then import it."""

    meta: DocumentMeta
    text: str
    chunks: list[ChunkDraft]
    articles: int
    source_name: str
    content_hash: str

    @property
    def title(self) -> str:
        return self.meta.title


def build_from_text(
    text: str,
    meta: DocumentMeta,
    *,
    source_name: str,
    chunk_words: int = DEFAULT_CHUNK_WORDS,
    chunk_step: int = DEFAULT_CHUNK_STEP,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> ParsedDocument:
    """Normalise a whole text, chunk it along its structure and hash it."""
    text = CharBudget(limits, source_name).take(normalize(text))
    meta = replace(meta, title=normalize_line(meta.title))
    chunks, articles = chunk_text(
        text, title=meta.title, chunk_words=chunk_words, chunk_step=chunk_step
    )
    if not chunks:
        raise DomainError(ErrorCode.INVALID, f"Tệp “{source_name}” không có nội dung văn bản.")
    check_chunks(len(chunks), limits, source_name)
    return ParsedDocument(meta, text, chunks, articles, source_name, content_hash(text))


def build_from_articles(
    articles: list[Article],
    meta: DocumentMeta,
    *,
    source_name: str,
    chunk_words: int = DEFAULT_CHUNK_WORDS,
    chunk_step: int = DEFAULT_CHUNK_STEP,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> ParsedDocument:
    """A document given article by article (JSONL): each article keeps its external id.
    The character cap applies per document, as each article is normalised."""
    meta = replace(meta, title=normalize_line(meta.title))
    budget = CharBudget(limits, source_name)
    clean = [
        Article(a.number, normalize_line(a.title), budget.take(normalize(a.body)), a.external_id)
        for a in articles
    ]
    chunks = [
        c
        for a in clean
        for c in chunk_article(a, title=meta.title, chunk_words=chunk_words, chunk_step=chunk_step)
    ]
    check_chunks(len(chunks), limits, source_name)
    text = "\n\n".join(f"Điều {a.number}. {a.title}\n{a.body}".strip() for a in clean)
    ids = "\n".join(a.external_id or "" for a in clean)
    return ParsedDocument(meta, text, chunks, len(clean), source_name, content_hash(text, ids))


def content_hash(*parts: str) -> str:
    """SHA-256 over the normalised content; equal hashes mean a re-import is a no-op."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


def apply_fields(meta: DocumentMeta, fields: dict[str, str | list[str]]) -> DocumentMeta:
    """Validate front-matter style `key: value` fields onto the metadata."""
    extra = dict(meta.extra)
    for name, value in fields.items():
        if name == "positions":
            items = value if isinstance(value, list) else value.split(",")
            meta.positions = [normalize_line(p) for p in items if p.strip()]
            continue
        if name == "supersedes":
            # Titles may hold commas ("Luật Phòng, chống ma túy"): a one-line value splits on ";".
            items = value if isinstance(value, list) else value.split(";")
            meta.supersedes = [normalize_line(p) for p in items if p.strip()]
            continue
        text = value if isinstance(value, str) else ", ".join(value)
        text = normalize_line(text)
        if name in ("issued_on", "effective_from", "expires_on"):
            setattr(meta, name, parse_date(text, name) if text else None)
        elif name == "kind":
            meta.kind = _choice(text, {k.value for k in DocumentKind}, "Loại văn bản (kind)")
        elif name == "scope":
            meta.scope = _choice(text, {s.value for s in Scope}, "Phạm vi (scope)")
        elif name == "title":
            meta.title = text or meta.title
        elif name == "scope_unit":  # a unit by name replaces one given by id
            meta.scope_unit, meta.scope_unit_id = text or None, None
        elif name == "scope_unit_id":
            meta.scope_unit, meta.scope_unit_id = None, _unit_id(text)
        elif name in ("number", "issuer", "key"):
            setattr(meta, name, text or None)
        else:
            extra[name] = text
    meta.extra = extra
    return meta


def parse_date(value: str, name: str = "ngày") -> date:
    """ISO (2025-07-01) or Vietnamese (01/07/2025) date; anything else is an INVALID error."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            parsed = datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
        check_year(parsed)
        return parsed
    raise DomainError(ErrorCode.INVALID, f"Ngày không hợp lệ ở trường “{name}”: {value}.")


def _unit_id(text: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        raise DomainError(ErrorCode.INVALID, f"Mã đơn vị không hợp lệ: {text}.")
    return int(text)


def override(documents: list[ParsedDocument], fields: dict[str, str | list[str]]) -> None:
    """Metadata an uploader gives (scope, unit, issuer, number, dates, positions, kind) over
    what the file says, for every document of the file; the one path for API, console, bot
    and CLI uploads. Empty values are dropped: they mean "as the file says"."""
    given = {k: v for k, v in fields.items() if v not in ("", None, [])}
    for doc in documents:
        apply_fields(doc.meta, dict(given))


def _choice(value: str, allowed: set[str], label: str) -> str:
    if value not in allowed:
        choices = ", ".join(sorted(allowed))
        raise DomainError(ErrorCode.INVALID, f"{label} không hợp lệ: “{value}” (chọn: {choices}).")
    return value


def guess_title(text: str, fallback: str) -> str:
    """Title from a level-1 markdown heading, a document-type line ("LUẬT VIÊN CHỨC") in the
    preamble, else the first line; all-caps titles are turned into sentence case."""
    preamble = []
    for raw in normalize(text).split("\n"):
        line = raw.strip()
        if ARTICLE_RE.match(line) or DIVISION_RE.match(line):
            break
        if line:
            preamble.append(line)
    for line in preamble:
        if line.startswith("# "):
            return line[2:].strip(" #*")
    for i, line in enumerate(preamble):
        plain = line.strip("#* ")
        if plain.isupper() and any(plain.startswith(w) for w in _TYPE_WORDS) and "SỐ" not in plain:
            following = [p.strip("#* ") for p in preamble[i + 1 : i + 1 + _TITLE_LINES]]
            if plain in _TYPE_WORDS and following:
                plain = f"{plain} {following.pop(0)}"
            # A title the layout broke over lines ("QUY ĐỊNH VỀ VIỆC SỬ DỤNG" / "CHỮ KÝ TẠI
            # CẤP XÃ") goes on in capitals; the first line in sentence case ends it.
            for more in following:
                if not plain.isupper() or not more.isupper() or "SỐ" in more:
                    break
                plain = f"{plain} {more}"
            return sentence_case(plain)
    for line in preamble:
        heading = MD_HEADING_RE.match(line)
        plain = (heading.group(1) if heading else line).strip("#* ")
        if 3 <= len(plain) <= 200:
            return sentence_case(plain) if plain.isupper() else plain
    return fallback


def guess_effective(text: str) -> date | None:
    """The date a document takes effect, from "có hiệu lực (thi hành) (kể) từ ngày 01 tháng 7
    năm 2025" or "… từ ngày 01/7/2025"; None when it says none (or "kể từ ngày ký")."""
    for match in _EFFECTIVE_RE.finditer(normalize(text)):
        day, month, year = (int(g) for g in match.groups() if g is not None)
        try:
            found = date(year, month, day)
            check_year(found)
        except (ValueError, DomainError):
            continue
        return found
    return None


def guess_number(text: str) -> str | None:
    """The document number ("Luật số: 58/2010/QH12") from the first lines, if any."""
    match = _NUMBER_RE.search(text[:3000])
    return match.group(1).rstrip(".,;") if match else None


def sentence_case(title: str) -> str:
    """ "LUẬT VIÊN CHỨC" -> "Luật Viên chức": type words kept, the subject capitalised once."""
    for word in _TYPE_WORDS:
        if title.startswith(word + " "):
            rest = title[len(word) + 1 :].lower()
            head = word.capitalize()
            return f"{head} {rest[:1].upper()}{rest[1:]}" if rest else head
    lower = title.lower()
    return lower[:1].upper() + lower[1:]
