"""Issue 11 #9: Word 97 (.doc) files are read through LibreOffice when it is installed (inside
the isolated child, under the same caps and a time limit), and otherwise refused with a clear
Vietnamese message. The converter path runs against the real LibreOffice when the machine has
it; a stand-in `soffice` on PATH covers the plumbing (arguments, output, timeout) everywhere."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import Settings
from core.errors import DomainError, ErrorCode
from knowledge.importers import accepts, parse_documents
from knowledge.importers.doc import NO_LIBREOFFICE, converter
from knowledge.importers.isolated import parse_isolated
from knowledge.importers.limits import ImportLimits

# The signature of an OLE2 compound file, which is what a Word 97 document is.
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def handbook_docx() -> bytes:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_heading("Quy chế tiếp công dân của UBND xã", level=1)
    document.add_paragraph("Điều 1. Lịch tiếp công dân")
    document.add_paragraph("Chủ tịch UBND xã tiếp công dân vào sáng thứ Năm hằng tuần.")
    document.add_paragraph("Điều 2. Sổ tiếp công dân")
    document.add_paragraph("Công chức Văn phòng ghi sổ tiếp công dân và theo dõi kết quả.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _only_on_path(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    # The isolated child inherits os.environ, so this PATH is the child's too.
    python_dir = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", os.pathsep.join([str(folder), python_dir]))


def _fake_soffice(folder: Path, body: str) -> None:
    script = folder / "soffice"
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_doc_is_an_accepted_type() -> None:
    assert accepts("cong-van.doc") and accepts("CONG-VAN.DOC")


def test_without_libreoffice_a_doc_gets_a_clear_message(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _only_on_path(monkeypatch, tmp_path)
    assert converter() is None
    with pytest.raises(DomainError) as raised:
        parse_documents(OLE2, "quy-che.doc")
    assert raised.value.code is ErrorCode.UNSUPPORTED_FILE
    assert raised.value.message == NO_LIBREOFFICE
    # The same answer through the isolated child every upload uses.
    with pytest.raises(DomainError) as raised:
        parse_isolated(OLE2, "quy-che.doc", settings)
    assert raised.value.message == NO_LIBREOFFICE
    assert "LibreOffice" in NO_LIBREOFFICE and ".docx" in NO_LIBREOFFICE


def test_converter_output_is_read_as_docx(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stand-in soffice that 'converts' by copying a .docx where LibreOffice would write it:
    the arguments (--headless --convert-to docx --outdir) and the reading are ours."""
    made = tmp_path / "made.docx"
    made.write_bytes(handbook_docx())
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_soffice(
        bin_dir,
        'for a; do [ "$prev" = "--outdir" ] && out="$a"; prev="$a"; done\n'
        'case " $* " in *" --headless "*"--convert-to docx"*) ;; *) exit 2;; esac\n'
        f'/bin/mkdir -p "$out" && /bin/cp "{made}" "$out/input.docx"',
    )
    _only_on_path(monkeypatch, bin_dir)
    (parsed,) = parse_isolated(OLE2, "quy-che.doc", settings)
    assert parsed.title == "Quy chế tiếp công dân của UBND xã"
    assert parsed.articles == 2 and parsed.source_name == "quy-che.doc"


def test_a_converter_that_hangs_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_soffice(tmp_path, "/bin/sleep 30")
    _only_on_path(monkeypatch, tmp_path)
    with pytest.raises(DomainError) as raised:
        parse_documents(OLE2, "cham.doc", limits=ImportLimits(convert_timeout_seconds=0.5))
    assert raised.value.code is ErrorCode.TOO_LARGE
    assert "chuyển đổi .doc quá 0 giây" in raised.value.message


def test_a_converter_that_fails_means_a_damaged_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_soffice(tmp_path, "exit 1")
    _only_on_path(monkeypatch, tmp_path)
    with pytest.raises(DomainError) as raised:
        parse_documents(OLE2, "hong.doc")
    assert raised.value.code is ErrorCode.UNSUPPORTED_FILE and "tệp hỏng" in raised.value.message


@pytest.mark.skipif(
    converter() is None,
    reason="LibreOffice (soffice/libreoffice) is not installed on this machine; "
    "the stand-in converter tests above cover the plumbing",
)
def test_real_libreoffice_reads_a_word_97_file(settings: Settings, tmp_path: Path) -> None:
    source = tmp_path / "quy-che.docx"
    source.write_bytes(handbook_docx())
    program = converter()
    assert program is not None
    subprocess.run(
        [program, "--headless", "--convert-to", "doc", "--outdir", str(tmp_path), str(source)],
        check=True,
        timeout=120,
        capture_output=True,
    )
    data = (tmp_path / "quy-che.doc").read_bytes()
    assert data.startswith(OLE2[:8])
    (parsed,) = parse_isolated(data, "quy-che.doc", settings)
    assert parsed.articles == 2 and "sáng thứ Năm" in parsed.text
