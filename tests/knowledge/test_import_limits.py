"""Import caps (unpacked bytes, characters, chunks, pages) are checked while a file is read, and
the isolated worker refuses a file that takes too long or too much memory (issue 10, defect 1)."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from core.config import Settings
from core.errors import DomainError, ErrorCode
from knowledge.importers import ImportLimits, parse_documents
from knowledge.importers.isolated import parse_isolated
from tests.hostile import docx_bomb

ARTICLES = "\n\n".join(f"Điều {i}. Việc số {i}\nNội dung của điều {i}." for i in range(1, 6))


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(data_dir=tmp_path, **overrides)  # type: ignore[arg-type]


def test_docx_zip_bomb_is_refused_while_unpacking() -> None:
    bomb = docx_bomb(99)
    assert len(bomb) < 1024 * 1024  # a small upload…
    started = time.monotonic()
    with pytest.raises(DomainError) as caught:
        parse_documents(bomb, "bom.docx", limits=ImportLimits(max_unpacked_bytes=8 << 20))
    assert caught.value.code is ErrorCode.TOO_LARGE
    assert "giải nén quá 8 MB" in caught.value.message
    assert time.monotonic() - started < 5  # stopped at the cap, not after 99 MB


def test_characters_are_capped_as_text_is_produced() -> None:
    limits = ImportLimits(max_chars=len(ARTICLES) - 1)
    with pytest.raises(DomainError) as caught:
        parse_documents(ARTICLES.encode(), "dai.md", limits=limits)
    assert caught.value.code is ErrorCode.TOO_LARGE and "ký tự" in caught.value.message
    # A docx counts its paragraphs as python-docx yields them.
    docx = pytest.importorskip("docx")
    document = docx.Document()
    for line in ARTICLES.split("\n"):
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    with pytest.raises(DomainError, match="ký tự"):
        parse_documents(buffer.getvalue(), "dai.docx", limits=ImportLimits(max_chars=60))


def test_chunks_per_document_are_capped() -> None:
    assert len(parse_documents(ARTICLES.encode(), "ok.md")[0].chunks) == 5
    with pytest.raises(DomainError, match="quá 4 đoạn") as caught:
        parse_documents(ARTICLES.encode(), "nhieu.md", limits=ImportLimits(max_chunks=4))
    assert caught.value.code is ErrorCode.TOO_LARGE


def test_pdf_pages_are_capped_before_extraction() -> None:
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter()
    for _ in range(3):
        writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    with pytest.raises(DomainError, match="quá 2 trang"):
        parse_documents(buffer.getvalue(), "dai.pdf", limits=ImportLimits(max_pages=2))


def test_worker_parses_like_the_importer(tmp_path: Path) -> None:
    path = tmp_path / "quy-che.md"
    path.write_text(ARTICLES, encoding="utf-8")
    [isolated] = parse_isolated(path, path.name, _settings(tmp_path))
    [direct] = parse_documents(path)
    assert isolated.content_hash == direct.content_hash
    assert [c.citation for c in isolated.chunks] == [c.citation for c in direct.chunks]
    with pytest.raises(DomainError) as caught:  # a domain error crosses the process boundary
        parse_isolated(ARTICLES.encode(), "x.md", _settings(tmp_path, import_max_chunks=1))
    assert caught.value.code is ErrorCode.TOO_LARGE


def test_worker_is_killed_past_its_time_limit(tmp_path: Path) -> None:
    settings = _settings(tmp_path, import_timeout_seconds=0.2)
    started = time.monotonic()
    with pytest.raises(DomainError, match="đọc quá 0 giây") as caught:
        parse_isolated(ARTICLES.encode(), "cham.md", settings)
    assert caught.value.code is ErrorCode.TOO_LARGE
    assert time.monotonic() - started < 3


def test_worker_is_killed_past_its_memory_limit(tmp_path: Path) -> None:
    # Caps lifted: only the address-space limit of the child stops a 60 MB text.
    settings = _settings(tmp_path, import_max_chars=1 << 30, import_memory_mb=300)
    path = tmp_path / "khong-lo.md"
    path.write_text(ARTICLES * 60_000, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(DomainError, match="bộ nhớ") as caught:
        parse_isolated(path, path.name, settings)
    assert caught.value.code is ErrorCode.TOO_LARGE
    assert time.monotonic() - started < 30
