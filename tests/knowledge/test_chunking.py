"""Legal-structure parsing and windowing with citations."""

from __future__ import annotations

import itertools

from core.text import normalize
from knowledge.chunking import Article, chunk_article, chunk_text, parse_articles

LEGAL = """LUẬT MẪU VỀ CÔNG VỤ XÃ

Chương I
QUY ĐỊNH CHUNG

Điều 1. Phạm vi áp dụng
Luật này áp dụng cho công chức cấp xã trong tỉnh mẫu.

Điều 2. Nghĩa vụ của công chức
1. Chấp hành quyết định của cấp trên.
2. Giữ gìn kỷ luật công vụ, cụ thể:
a) Đến làm việc đúng giờ;
b) Không tự ý bỏ vị trí;
đ) Báo cáo khi vắng mặt.

Chương II. KHEN THƯỞNG
Mục 1
HÌNH THỨC

Điều 3: Hình thức khen thưởng
Giấy khen của Chủ tịch Ủy ban nhân dân xã.
"""


def test_articles_are_parsed_and_divisions_are_not_body_text() -> None:
    articles = parse_articles(normalize(LEGAL))
    assert [(a.number, a.title) for a in articles] == [
        ("1", "Phạm vi áp dụng"),
        ("2", "Nghĩa vụ của công chức"),
        ("3", "Hình thức khen thưởng"),
    ]
    assert "Chương" not in articles[1].body and "HÌNH THỨC" not in articles[2].body
    assert articles[1].body.startswith("1. Chấp hành")


def test_short_articles_are_one_chunk_cited_by_article() -> None:
    chunks, articles = chunk_text(
        normalize(LEGAL), title="Luật Mẫu", chunk_words=150, chunk_step=110
    )
    assert articles == 3
    assert [c.citation for c in chunks] == [
        "Luật Mẫu, Điều 1",
        "Luật Mẫu, Điều 2",
        "Luật Mẫu, Điều 3",
    ]
    assert chunks[1].heading == "Nghĩa vụ của công chức"
    assert chunks[1].article == "2" and chunks[1].clause is None
    assert "đ) Báo cáo khi vắng mặt." in chunks[1].text


def _long_article() -> Article:
    lead = "Công chức xã có các quyền sau đây:"
    clause1 = "1. Được bảo đảm điều kiện làm việc " + " ".join(["đầy đủ"] * 60) + "."
    points = "\n".join(
        f"{p}) Nội dung điểm {p} " + " ".join(["chi tiết"] * 30) + ";" for p in "abcdđ"
    )
    clause2 = "2. Được nghỉ theo quy định, gồm:\n" + points
    clause3 = "3. Được đào tạo " + " ".join(["kỹ năng"] * 40) + "."
    body = "\n".join([lead, clause1, clause2, clause3])
    return Article("7", "Quyền của công chức", normalize(body), external_id="mau#7")


def test_long_article_is_split_into_overlapping_windows() -> None:
    article = _long_article()
    words = article.body.split()
    chunks = chunk_article(article, title="Luật Mẫu", chunk_words=100, chunk_step=70)
    assert len(chunks) > 2
    sizes = [len(c.text.split()) for c in chunks]
    assert all(size <= 100 for size in sizes)
    # Windows start 70 words apart, so neighbours share 30 words; together they cover the body.
    for previous, following in itertools.pairwise(chunks):
        assert (
            previous.text.split()[70:] == following.text.split()[: len(previous.text.split()) - 70]
        )
    assert chunks[0].text.split()[0] == words[0] and chunks[-1].text.split()[-1] == words[-1]
    assert all(c.external_id == "mau#7" and c.article == "7" for c in chunks)
    assert all(c.heading == "Quyền của công chức" for c in chunks)


def test_window_citations_follow_clauses_and_points() -> None:
    chunks = chunk_article(_long_article(), title="Luật Mẫu", chunk_words=40, chunk_step=30)
    citations = [c.citation for c in chunks]
    # The first window starts in the lead-in: cited by article only.
    assert citations[0] == "Luật Mẫu, Điều 7"
    # Windows wholly inside clause 1, then inside the points of clause 2.
    assert "Luật Mẫu, Điều 7, khoản 1" in citations
    assert any(c.startswith("Luật Mẫu, Điều 7, khoản 2, điểm ") for c in citations)
    assert "Luật Mẫu, Điều 7, khoản 2, điểm đ" in citations or any(
        c.endswith("–đ") for c in citations
    )
    spanning = [c for c in chunks if "khoản 2–3" in c.citation]
    assert spanning and all(c.clause == "2" for c in spanning)
    within_point = [c for c in chunks if c.citation.endswith("điểm b")]
    assert within_point and within_point[0].point == "b" and within_point[0].clause == "2"
    assert chunks[-1].clause == "3"


def test_window_text_keeps_line_breaks() -> None:
    chunks = chunk_article(_long_article(), title="L", chunk_words=1000, chunk_step=800)
    assert len(chunks) == 1 and "\n2. Được nghỉ" in chunks[0].text


def test_non_legal_text_is_chunked_by_heading() -> None:
    text = normalize(
        "# Cẩm nang mẫu\n\nLời nói đầu ngắn.\n\n## Khi nào cần xin ý kiến\n"
        + " ".join(["tình huống"] * 100)  # 200 words: two windows
        + "\n\n## Mức khẩn\nKhẩn là việc cần trả lời trong ngày."
    )
    chunks, articles = chunk_text(text, title="Cẩm nang mẫu", chunk_words=150, chunk_step=110)
    assert articles == 0
    assert chunks[0].citation == "Cẩm nang mẫu"
    escalate = [c for c in chunks if c.heading == "Khi nào cần xin ý kiến"]
    assert len(escalate) == 2 and escalate[0].citation == "Cẩm nang mẫu, Khi nào cần xin ý kiến"
    assert chunks[-1].citation == "Cẩm nang mẫu, Mức khẩn"


def test_article_heading_variants() -> None:
    text = normalize(
        "**Điều 4.** Tên điều in đậm\nNội dung bốn.\n### Điều 5a: Tên điều bổ sung\nNội dung năm."
        "\nĐiều 6 của Luật này không phải tiêu đề."
    )
    articles = parse_articles(text)
    assert [(a.number, a.title) for a in articles] == [
        ("4", "Tên điều in đậm"),
        ("5a", "Tên điều bổ sung"),
    ]
    assert "Điều 6 của Luật này" in articles[1].body


def test_annex_under_a_plain_heading_after_the_articles_is_kept() -> None:
    text = normalize(
        "# Quy chế mẫu\nCăn cứ quy định hiện hành.\n\nĐiều 1. Áp dụng\nÁp dụng cho xã mẫu.\n\n"
        "## Phụ lục: Mẫu sổ theo dõi\nSổ gồm các cột: ngày, người đến, nội dung, kết quả."
    )
    chunks, articles = chunk_text(text, title="Quy chế mẫu", chunk_words=150, chunk_step=110)
    assert articles == 1
    assert [c.citation for c in chunks] == [
        "Quy chế mẫu, Điều 1",
        "Quy chế mẫu, Phụ lục: Mẫu sổ theo dõi",
    ]
    # The preamble before the first article is not a chunk.
    assert all("Căn cứ" not in c.text for c in chunks)
