"""Importers: markdown with front matter, .docx, .pdf text layer, JSONL, and clear errors."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest

from core.errors import DomainError, ErrorCode
from knowledge.importers import parse_documents, parse_file

REPO = Path(__file__).resolve().parents[2]
ALQAC = REPO.parent / "shared" / "data" / "alqac25" / "corpus.jsonl"

MARKDOWN = """---
kind: regulation
number: 12/2025/QĐ-MẪU
title: Quy định mẫu về tiếp công dân
issuer: UBND tỉnh Mẫu
issued_on: 15/06/2025
effective_from: 2025-07-01
scope: national
positions: [Văn phòng - Thống kê, Tư pháp - Hộ tịch]
sample: có
---

QUY ĐỊNH MẪU

Chương I. QUY ĐỊNH CHUNG

Điều 1. Thời gian tiếp công dân
1. Tiếp công dân vào sáng thứ Hai hằng tuần.
2. Trường hợp khẩn cấp thì tiếp ngay, gồm:
a) Việc liên quan đến tính mạng;
b) Việc có nguy cơ mất an ninh trật tự.

Điều 2. Sổ theo dõi
Mọi lượt tiếp được ghi vào sổ theo dõi và nhập vào phần mềm.
"""


def test_markdown_with_front_matter() -> None:
    parsed = parse_file(MARKDOWN.encode(), "tiep-dan.md")
    meta = parsed.meta
    assert meta.title == "Quy định mẫu về tiếp công dân"
    assert (meta.kind, meta.number, meta.issuer) == (
        "regulation",
        "12/2025/QĐ-MẪU",
        "UBND tỉnh Mẫu",
    )
    assert (meta.issued_on, meta.effective_from) == (date(2025, 6, 15), date(2025, 7, 1))
    assert meta.positions == ["Văn phòng - Thống kê", "Tư pháp - Hộ tịch"]
    assert meta.extra == {"sample": "có"}
    assert parsed.articles == 2 and len(parsed.chunks) == 2
    assert parsed.chunks[0].citation == "Quy định mẫu về tiếp công dân, Điều 1"
    assert "---" not in parsed.text and parsed.text.startswith("QUY ĐỊNH MẪU")


def test_title_and_number_are_guessed_without_front_matter() -> None:
    text = (
        "ỦY BAN NHÂN DÂN TỈNH MẪU\nSố: 07/2025/QĐ-UBND\n\nQUYẾT ĐỊNH\nVỀ VIỆC GIAO NHIỆM VỤ\n\n"
        "Điều 1. Giao nhiệm vụ\nGiao công chức tư pháp theo dõi việc này.\n"
    )
    parsed = parse_file(text.encode("utf-8-sig"), "qd.txt")
    assert parsed.title == "Quyết định Về việc giao nhiệm vụ"
    assert parsed.meta.number == "07/2025/QĐ-UBND"
    assert parsed.chunks[0].citation == "Quyết định Về việc giao nhiệm vụ, Điều 1"


def test_same_content_hashes_equal_whatever_the_tone_mark_style() -> None:
    one = parse_file("# Hướng dẫn\nHòa giải ở cơ sở.".encode(), "a.md")
    two = parse_file("# Hướng dẫn\nHoà giải ở cơ sở.".encode(), "a.md")
    assert one.content_hash == two.content_hash


def test_docx_paragraphs_headings_and_tables() -> None:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_heading("Cẩm nang mẫu cho công chức xã", level=1)
    document.add_paragraph("Tài liệu mẫu, tỉnh thay bằng nội dung của mình.")
    document.add_heading("Chương I. Nguyên tắc", level=2)
    document.add_paragraph("Điều 1. Nguyên tắc xin ý kiến")
    document.add_paragraph("1. Hỏi sớm khi chưa rõ quy định.")
    document.add_paragraph("2. Ghi rõ mức khẩn:")
    document.add_paragraph("a) Thường: trả lời trong hai ngày làm việc;")
    document.add_paragraph("b) Khẩn: trả lời trong bốn giờ làm việc.")
    document.add_paragraph("Điều 2. Bảng phân công")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Việc", "Người làm"
    table.cell(1, 0).text, table.cell(1, 1).text = "Hộ tịch", "Công chức tư pháp"
    buffer = io.BytesIO()
    document.save(buffer)
    parsed = parse_file(buffer.getvalue(), "cam-nang.docx")
    assert parsed.title == "Cẩm nang mẫu cho công chức xã"
    assert parsed.articles == 2
    assert [c.citation for c in parsed.chunks] == [
        "Cẩm nang mẫu cho công chức xã, Điều 1",
        "Cẩm nang mẫu cho công chức xã, Điều 2",
    ]
    assert "b) Khẩn: trả lời trong bốn giờ làm việc." in parsed.chunks[0].text
    assert "Hộ tịch | Công chức tư pháp" in parsed.chunks[1].text


def _vietnamese_font() -> str:
    for path in (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    ):
        if Path(path).exists():
            return path
    pytest.skip("no TrueType font with Vietnamese glyphs to draw the test PDF")


def pdf_with_lines(lines: list[str]) -> bytes:
    """A one-page PDF with a text layer holding `lines`, one per line, in a Vietnamese font."""
    pytest.importorskip("reportlab")
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("VietSans", _vietnamese_font()))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.setFont("VietSans", 11)
    for i, line in enumerate(lines):
        pdf.drawString(50, 800 - 16 * i, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_pdf_text_layer() -> None:
    lines = [
        "QUY CHẾ MẪU VỀ LÀM VIỆC NGOÀI GIỜ",
        "Điều 1. Đăng ký làm thêm giờ",
        "1. Công chức đăng ký trước với Chủ tịch Ủy ban",
        "nhân dân xã trước khi làm thêm giờ.",
        "2. Thời gian làm thêm được nghỉ bù.",
        "Điều 2. Hoà giải mâu thuẫn",
        "Tổ hoà giải báo cáo kết quả cho công chức tư pháp.",
    ]
    parsed = parse_file(pdf_with_lines(lines), "quy-che.pdf")
    assert parsed.title == "Quy chế Mẫu về làm việc ngoài giờ"
    assert parsed.articles == 2
    first, second = parsed.chunks
    # The line broken by the page layout is joined back.
    assert "Chủ tịch Ủy ban nhân dân xã trước khi" in first.text
    assert second.heading == "Hòa giải mâu thuẫn" and "Tổ hòa giải" in second.text


def test_jsonl_rows_are_validated() -> None:
    good = {"id": "A#1", "document": "A", "article": "1", "title": "T", "text": "Nội dung."}
    with pytest.raises(DomainError) as err:
        parse_documents(b'{"id": "x"}\n', "bad.jsonl")
    assert err.value.code is ErrorCode.INVALID and "Dòng 1" in err.value.message
    with pytest.raises(DomainError) as err:
        parse_documents(json.dumps(good).encode() + b"\n{not json\n", "bad.jsonl")
    assert "Dòng 2" in err.value.message


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"anything", "bang.xlsx", ErrorCode.UNSUPPORTED_FILE),
        (b"PK\x03\x04 broken zip", "hong.docx", ErrorCode.UNSUPPORTED_FILE),
        (b"%PDF-1.4 truncated", "hong.pdf", ErrorCode.UNSUPPORTED_FILE),
        ("Điều 1. Tên".encode("utf-16-le"), "utf16.txt", ErrorCode.UNSUPPORTED_FILE),
        (b"\xd0i\xeau 1", "cp1258.txt", ErrorCode.UNSUPPORTED_FILE),
        (b"   \n\n ", "rong.md", ErrorCode.INVALID),
        (b"---\nkind: luat\n---\nN\xe1\xbb\x99i dung", "kind.md", ErrorCode.INVALID),
        (b"---\nissued_on: 31/02/2025\n---\nx y z", "ngay.md", ErrorCode.INVALID),
        (b"---\ntitle: x\nN\xe1\xbb\x99i dung", "open.md", ErrorCode.INVALID),
    ],
)
def test_bad_files_raise_clear_domain_errors(data: bytes, name: str, code: ErrorCode) -> None:
    with pytest.raises(DomainError) as err:
        parse_documents(data, name)
    assert err.value.code is code
    assert err.value.message  # a Vietnamese sentence the fronts show as is


def test_pdf_without_text_layer_is_refused() -> None:
    pytest.importorskip("reportlab")
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.rect(50, 50, 200, 200, fill=1)  # an image-like page with no text
    pdf.save()
    with pytest.raises(DomainError) as err:
        parse_file(buffer.getvalue(), "scan.pdf")
    assert err.value.code is ErrorCode.UNSUPPORTED_FILE and "scan" in err.value.message


@pytest.mark.skipif(not ALQAC.exists(), reason="shared evaluation corpus not present")
def test_alqac_corpus_parses_into_documents_with_every_article_id() -> None:
    rows = [json.loads(line) for line in ALQAC.read_text(encoding="utf-8").splitlines()]
    documents = parse_documents(ALQAC)
    assert len(documents) == len({r["document"] for r in rows})
    assert sum(d.articles for d in documents) == len(rows)
    ids = {c.external_id for d in documents for c in d.chunks}
    assert ids == {r["id"] for r in rows}
    assert all(len(c.text.split()) <= 150 for d in documents for c in d.chunks)
