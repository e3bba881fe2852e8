"""Query understanding: shorthand expansion, diacritic restoration, too-short questions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.text import fold, normalize
from retrieval.restore import DiacriticModel, general_frequencies
from retrieval.shorthand import SHORTHAND, to_shorthand
from retrieval.text import marked_share, passage_tokens
from retrieval.understand import understand

STARTER = Path(__file__).resolve().parents[2] / "knowledge" / "starter"
# Words of a labour regulation, as a province's knowledge base would add to the starter one.
EXTRA = """Người lao động ký hợp đồng lao động với người sử dụng lao động.
Ủy ban nhân dân xã cấp giấy chứng nhận quyền sử dụng đất theo thẩm quyền."""


@pytest.fixture(scope="module")
def model() -> DiacriticModel:
    """The model of the starter knowledge base the product ships, plus two sentences."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(STARTER.glob("*.md")))
    lines = normalize(text + "\n" + EXTRA).lower().splitlines()
    return DiacriticModel.build([re.findall(r"\w+", line) for line in lines])


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("cong chuc tu phap ho tich", "công chức tư pháp hộ tịch"),
        ("chu tich xa tiep cong dan may ngay", "chủ tịch xã tiếp công dân mấy ngày"),
        ("khi nao thi duoc chon muc khan", "khi nào thì được chọn mức khẩn"),
        ("can bo xa nghi phep bao nhieu ngay", "cán bộ xã nghỉ phép bao nhiêu ngày"),
        ("cán bộ xa nghi phep", "cán bộ xã nghỉ phép"),  # partly accented
        ("khi nao thi duoc nghi phep", "khi nào thì được nghỉ phép"),
    ],
)
def test_restores_diacritics_on_known_pairs(model: DiacriticModel, typed: str, meant: str) -> None:
    got = understand(typed, model)
    assert got.unaccented and got.text == meant


def test_accented_question_is_left_as_typed(model: DiacriticModel) -> None:
    question = "Chủ tịch xã có phải tiếp công dân vào thứ năm không?"
    got = understand(question, model)
    assert not got.unaccented and not got.changed
    assert got.text == normalize(question).lower()


@pytest.mark.parametrize(
    ("typed", "expected", "expansion"),
    [
        ("ubnd xa co dc cap gcn ko", "ủy ban nhân dân xã có được cấp giấy chứng nhận không",
         "ubnd → ủy ban nhân dân"),
        ("đk kết hôn cần gì", "đăng ký kết hôn cần gì", "đk → đăng ký / điều kiện"),
        ("ký hđ lao động", "ký hợp đồng lao động", "hđ → hợp đồng / hoạt động / hội đồng"),
        ("lam so do mat bao lau", "làm giấy chứng nhận quyền sử dụng đất mất bao lâu",
         "so do → giấy chứng nhận quyền sử dụng đất"),
        ("phieu khan tl trong bn gio", "phiếu khẩn trả lời trong bao nhiêu giờ", "tl → trả lời"),
        ("cc tu phap ht can nl gi", "công chức tư pháp hộ tịch cần năng lực gì",
         "ht → hộ tịch / hệ thống / hỗ trợ"),
        ("giờ làm việc bắt đầu từ mấy h", "giờ làm việc bắt đầu từ mấy giờ", "h → giờ"),
    ],
)  # fmt: skip
def test_expands_shorthand_and_picks_the_reading_that_fits(
    model: DiacriticModel, typed: str, expected: str, expansion: str
) -> None:
    got = understand(typed, model)
    assert got.text == expected
    assert expansion in got.expansions


def test_a_legal_point_letter_is_not_shorthand(model: DiacriticModel) -> None:
    assert understand("điểm k khoản 2 quy định gì", model).text == "điểm k khoản 2 quy định gì"


@pytest.mark.parametrize("typed", ["a", "?", "alo", "ok", "xin chào", "cảm ơn", "test", "hỏi"])
def test_too_little_content_is_too_short(model: DiacriticModel, typed: str) -> None:
    assert understand(typed, model).too_short


@pytest.mark.parametrize("typed", ["hộ tịch", "nghi phep", "tội phạm", "ubnd xã"])
def test_a_real_subject_is_not_too_short(model: DiacriticModel, typed: str) -> None:
    assert not understand(typed, model).too_short


def test_without_a_model_shorthand_still_expands() -> None:
    got = understand("ubnd xa", None)
    assert got.text == "ủy ban nhân dân xa" and got.unaccented


def test_marked_share_separates_typed_forms() -> None:
    question = "Cán bộ xã được nghỉ phép bao nhiêu ngày?"
    assert marked_share(question) > 0.5
    assert marked_share(fold(question)) == 0


def test_shorthand_round_trip_for_measurement() -> None:
    phone = to_shorthand("Ủy ban nhân dân xã có được cấp giấy chứng nhận không")
    assert phone == "ubnd xã có dc cấp gcn ko"
    for key, expansions in SHORTHAND.items():
        assert key == fold(key).lower() and all(normalize(e) == e for e in expansions)


@pytest.fixture(scope="module")
def index_model() -> DiacriticModel:
    """The starter knowledge base's model built the way an index builds it (its passages'
    tokens, sampled, compounds skipped), which weighs the lexicon more than the raw text does."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(STARTER.glob("*.md")))
    return DiacriticModel.from_passages(
        [passage_tokens(line)[0] for line in text.splitlines() if line.strip()]
    )


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("xa co dc tu choi nhan hs ko", "xã có được từ chối nhận hồ sơ không"),
        ("cong an xa co duoc xu phat khong", "công an xã có được xử phạt không"),
        ("xa co tham quyen cap giay phep khong", "xã có thẩm quyền cấp giấy phép không"),
    ],
)
def test_the_commune_is_read_as_the_commune(
    index_model: DiacriticModel, typed: str, meant: str
) -> None:
    """ "xa" is "xã" in a question officials ask, even where the knowledge base never writes
    "xã có" and the lexicon does hold "phản xạ có điều kiện"."""
    assert understand(typed, index_model).text == meant


def test_numbers_are_one_token_so_units_after_them_are_restored() -> None:
    """The knowledge base writes "05 năm" and "30 ngày", never "1 năm"; as one token, every
    number teaches the unit after it, even where "nam" (Việt Nam) is the commoner syllable."""
    text = [["nước", "việt", "nam"]] * 20 + [["thời", "hạn", "05", "năm"]] * 3
    model = DiacriticModel.build(text + [["trong", "30", "ngày"]] * 3 + [["ngay", "sau"]] * 9)
    assert model.restore(["vay", "1", "nam"])[1:] == ["1", "năm"]
    assert model.restore(["mat", "15", "ngay"])[1:] == ["15", "ngày"]
    assert model.restore(["viet", "nam"]) == ["việt", "nam"]


@pytest.mark.parametrize(
    ("typed", "expected", "expansion"),
    [
        ("con 15t co bi phat ko", "15 tuổi", "15t → 15 tuổi"),
        ("luong 15tr 1 thang", "15 triệu", "15tr → 15 triệu"),
        ("hop luc 8h sang", "8 giờ", "8h → 8 giờ"),
    ],
)
def test_a_unit_typed_after_a_number_is_spelled_out(
    model: DiacriticModel, typed: str, expected: str, expansion: str
) -> None:
    got = understand(typed, model)
    assert expected in got.text and expansion in got.expansions


def test_question_phrases_hold_against_a_large_legal_context() -> None:
    """Legal text continues "có" in thousands of ways and writes "động cơ bị" now and then; a
    question's "co bi" is still "có bị", because question phrases weigh as a share of the
    knowledge base's own counts, not a fixed handful."""
    text = [["cơ", "quan"]] * 500 + [["động", "cơ", "bị"]] * 11 + [["có", "quyền"]] * 2000
    model = DiacriticModel.build(text + [["bị", "phạt"]] * 20)
    assert understand("co bi phat ko", model).text == "có bị phạt không"


def test_general_frequencies_are_vietnamese_syllables() -> None:
    freqs = dict(general_frequencies())
    assert len(freqs) > 5000
    assert all(w.isalpha() and w == normalize(w).lower() for w in freqs)
    # Everyday speech, not legal text: "có" far above "cơ" (cơ quan), "đi" above "di" (di dời).
    assert freqs["có"] > 5 * freqs["cơ"] and freqs["đi"] > freqs["di"]
