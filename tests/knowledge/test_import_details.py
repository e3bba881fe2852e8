"""Import details (issue 11 #9): the effective date read from the text, titles and article
headings the layout broke over two lines, saved .html pages, one list of accepted types, and the
preview's "becomes version N"."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import unit_of_work
from knowledge import service as kb
from knowledge.importers import ACCEPTED_TYPES, accepts, parse_file
from knowledge.importers.pdf import unwrap_lines
from tests.knowledge.test_importers import pdf_with_lines

BODY = """QUY ĐỊNH VỀ VIỆC SỬ DỤNG
CHỮ KÝ TẠI CẤP XÃ

Điều 1. Phạm vi
Quy định này áp dụng cho Ủy ban nhân dân xã.

Điều 2. Hiệu lực
Quy định này có hiệu lực thi hành kể từ ngày 15 tháng 3 năm 2026.
"""


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Luật này có hiệu lực thi hành kể từ ngày 01 tháng 7 năm 2025.", "2025-07-01"),
        ("Nghị định này có hiệu lực kể từ ngày 15/02/2026.", "2026-02-15"),
        ("Thông tư này có hiệu lực từ ngày 1-9-2025.", "2025-09-01"),
        ("Quyết định này có hiệu lực kể từ ngày ký.", None),
        ("Có hiệu lực kể từ ngày 31 tháng 2 năm 2026.", None),  # no such day
    ],
)
def test_effective_date_is_read_from_the_text(sentence: str, expected: str | None) -> None:
    parsed = parse_file(f"# Văn bản thử\n\nĐiều 1. Hiệu lực\n{sentence}\n".encode(), "a.md")
    assert (str(parsed.meta.effective_from) if parsed.meta.effective_from else None) == expected


def test_front_matter_wins_over_the_guessed_effective_date() -> None:
    text = "---\neffective_from: 2026-05-01\n---\n" + BODY
    assert str(parse_file(text.encode(), "a.md").meta.effective_from) == "2026-05-01"


def test_a_title_broken_over_two_capitalised_lines_is_whole() -> None:
    parsed = parse_file(BODY.encode(), "chu-ky.txt")
    assert parsed.title == "Quy định Về việc sử dụng chữ ký tại cấp xã"
    assert str(parsed.meta.effective_from) == "2026-03-15"


def test_an_article_heading_on_two_pdf_lines_is_one_heading() -> None:
    assert unwrap_lines("Điều 5.\nThẩm quyền ký\n1. Chủ tịch ký.") == (
        "Điều 5. Thẩm quyền ký\n1. Chủ tịch ký."
    )
    # A clause right after a bare heading is not taken for its title.
    assert unwrap_lines("Điều 6.\n1. Phó Chủ tịch ký thay.") == "Điều 6.\n1. Phó Chủ tịch ký thay."


def test_pdf_with_two_line_title_and_headings() -> None:
    lines = [
        "QUY ĐỊNH VỀ VIỆC SỬ DỤNG",
        "CHỮ KÝ TẠI CẤP XÃ",
        "Điều 5.",
        "Thẩm quyền ký văn bản",
        "1. Chủ tịch ký các văn bản của Ủy ban.",
    ]
    parsed = parse_file(pdf_with_lines(lines), "chu-ky.pdf")
    assert parsed.title == "Quy định Về việc sử dụng chữ ký tại cấp xã"
    assert parsed.chunks[0].heading == "Thẩm quyền ký văn bản"


HTML = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Nghị định 99/2026/NĐ-CP</title>
<style>p { color: red }</style><script>var tracking = "Điều 99. giả";</script></head>
<body><nav><a href="/">Trang chủ</a> | <a href="/vb">Văn bản</a></nav>
<form id="aspnetForm"><div class="content">
<p align="center"><b>NGHỊ ĐỊNH</b></p>
<p align="center"><b>QUY ĐỊNH VỀ CHỨNG THỰC ĐIỆN TỬ</b></p>
<p>Căn cứ Luật Tổ chức Chính phủ;</p>
<p><b>Điều 1. Phạm vi điều chỉnh</b></p>
<p>1. Nghị định này quy định về chứng thực bản sao điện tử&nbsp;từ bản chính.</p>
<p>2. Áp dụng với Ủy ban nhân dân cấp xã.</p>
<p><b>Điều 2.</b> <b>Hiệu lực thi hành</b></p>
<p>Nghị định này có hiệu lực thi hành kể từ ngày 01 tháng 7 năm 2026.</p>
<table><tr><td>Nơi nhận:</td><td>Như Điều 2</td></tr></table>
</div></form><footer>Bản quyền cổng thông tin</footer></body></html>"""


def test_saved_html_page_keeps_its_structure_without_page_furniture() -> None:
    parsed = parse_file(HTML.encode(), "nghi-dinh-99.html")
    assert parsed.title == "Nghị định Quy định về chứng thực điện tử"
    assert parsed.articles == 2
    assert str(parsed.meta.effective_from) == "2026-07-01"
    first, second = parsed.chunks[0], parsed.chunks[-1]
    assert first.heading == "Phạm vi điều chỉnh" and "bản sao điện tử từ bản chính" in first.text
    assert second.heading == "Hiệu lực thi hành"
    everything = parsed.text
    assert "tracking" not in everything and "Trang chủ" not in everything
    assert "color" not in everything and "Điều 99" not in everything


def test_one_list_of_accepted_types() -> None:
    for name in ("a.md", "b.TXT", "c.docx", "d.pdf", "e.html", "f.htm", "g.jsonl"):
        assert accepts(name), name
        assert name.rsplit(".", 1)[1].lower() in ACCEPTED_TYPES
    assert not accepts("h.exe") and not accepts("noext")


async def test_plan_says_which_version_an_import_becomes(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    first = parse_file(BODY.encode(), "chu-ky.md")
    async with unit_of_work(sessionmaker) as s:
        planned = await kb.plan_import(s, first)
        assert (planned.version_number, planned.current, planned.note) == (1, None, None)
        await kb.import_parsed(s, first)
    async with unit_of_work(sessionmaker) as s:
        same = await kb.plan_import(s, first)
        changed = await kb.plan_import(s, parse_file((BODY + "Thêm.\n").encode(), "chu-ky.md"))
    assert same.version_number == 1 and same.note and "trùng phiên bản 1" in same.note
    assert changed.version_number == 2 and changed.note
    assert "sẽ thành phiên bản 2" in changed.note
