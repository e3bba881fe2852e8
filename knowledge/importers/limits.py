"""Caps on what one imported file may expand to, checked while it is read.

A 300 KB .docx can unpack to gigabytes of XML (a zip bomb), so the caps bound the work an
importer does before anything reaches the database: bytes unpacked from a zip, characters of
text produced, pages of a PDF and chunks per document. Every cap raises a 413 DomainError with
a Vietnamese message; the isolated worker (`knowledge.importers.isolated`) adds time and memory.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from typing import IO

from core.config import Settings
from core.errors import DomainError, ErrorCode

_READ_STEP = 1 << 20


@dataclass(frozen=True)
class ImportLimits:
    """The caps for one file; defaults match `Settings`."""

    max_unpacked_bytes: int = 64 * 1024 * 1024
    max_chars: int = 3_000_000
    max_chunks: int = 10_000
    max_pages: int = 2_000
    # LibreOffice's share of the isolated child's time limit (.doc files).
    convert_timeout_seconds: float = 45.0

    @classmethod
    def of(cls, settings: Settings) -> ImportLimits:
        return cls(
            max_unpacked_bytes=settings.import_max_unpacked_bytes,
            max_chars=settings.import_max_chars,
            max_chunks=settings.import_max_chunks,
            max_pages=settings.import_max_pages,
            # Leaves the child time to read the .docx and answer before it is killed.
            convert_timeout_seconds=settings.import_timeout_seconds * 0.75,
        )


DEFAULT_LIMITS = ImportLimits()


def too_large(filename: str, what: str) -> DomainError:
    """The one error every cap raises (HTTP 413)."""
    return DomainError(
        ErrorCode.TOO_LARGE,
        f"Tệp “{filename}” vượt giới hạn cho phép ({what}). "
        "Hãy tách thành các tệp nhỏ hơn rồi gửi lại.",
    )


class CharBudget:
    """Counts characters as an importer produces text; raises once the cap is passed."""

    def __init__(self, limits: ImportLimits, filename: str) -> None:
        self.left = limits.max_chars
        self.limit = limits.max_chars
        self.filename = filename

    def take(self, text: str) -> str:
        self.left -= len(text)
        if self.left < 0:
            raise too_large(self.filename, f"quá {self.limit:,} ký tự".replace(",", "."))
        return text


def check_chunks(count: int, limits: ImportLimits, filename: str) -> None:
    if count > limits.max_chunks:
        raise too_large(filename, f"quá {limits.max_chunks:,} đoạn".replace(",", "."))


def check_pages(count: int, limits: ImportLimits, filename: str) -> None:
    if count > limits.max_pages:
        raise too_large(filename, f"quá {limits.max_pages:,} trang".replace(",", "."))


def check_zip(file: IO[bytes], limits: ImportLimits, filename: str) -> None:
    """Refuse a zip whose members unpack past the cap: first by the sizes the directory
    declares, then by actually inflating each member in steps (headers can lie), stopping
    as soon as the running total passes the cap. Memory stays at one step."""
    cap = limits.max_unpacked_bytes
    what = f"giải nén quá {cap // (1024 * 1024)} MB"
    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
            if sum(m.file_size for m in members) > cap:
                raise too_large(filename, what)
            total = 0
            for member in members:
                with archive.open(member) as stream:
                    while step := stream.read(_READ_STEP):
                        total += len(step)
                        if total > cap:
                            raise too_large(filename, what)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise DomainError(
            ErrorCode.UNSUPPORTED_FILE,
            f"Không đọc được tệp “{filename}”: tệp nén hỏng hoặc không đúng định dạng.",
        ) from exc
    finally:
        file.seek(0)
