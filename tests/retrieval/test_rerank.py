"""The reranker's features and ordering, the confidence's monotonicity, AUROC."""

from __future__ import annotations

import numpy as np
import pytest

from core.text import fold
from retrieval import rerank
from retrieval.calibration import (
    DENSE_ONLY,
    FEATURE_NAMES,
    HYBRID_COEF,
    LEXICAL_COEF,
    Features,
    confidence,
)
from retrieval.evaluation_math import auroc


def _article(text: str, heading: str, document: str = "luat mau") -> rerank.ArticleText:
    return rerank.article_text([fold(text.lower()).split()], fold(heading), document)


# Question lengths as brevity: a long question, a phone-length one, the shortest.
LENGTHS = (0.0, 0.5, 1.0)


def _second_wins_at_every_length(matrix: np.ndarray) -> None:
    for brevity in LENGTHS:
        scores = rerank.scores(matrix, brevity)
        assert scores[1] > scores[0], brevity


QUESTION = "người xử lý có được điều chỉnh mức khẩn không"
# The first stage put a broadly similar article first; the second one holds the question's
# own phrases ("điều chỉnh mức khẩn") and should win.
SIMILAR = _article(
    "mức khẩn là bốn giờ làm việc, mức thường là hai ngày làm việc cho người hỏi", "Thời hạn"
)
ANSWER = _article(
    "người xử lý có thể điều chỉnh mức khẩn nếu thấy không phù hợp và ghi rõ lý do",
    "Mức độ khẩn",
)
IDF = {t: 1.0 for t in fold(QUESTION + " thời hạn giờ ngày lý do").split()}


def _query(named: frozenset[str] = frozenset()) -> rerank.QueryText:
    return rerank.QueryText(tuple(fold(QUESTION).split()), named)


def test_reranker_prefers_the_article_holding_the_question_phrases() -> None:
    matrix = rerank.features(
        _query(), IDF, [SIMILAR, ANSWER],
        fused=np.array([1.0, 0.8]), lexical=np.array([5.0, 4.5]), dense=np.array([0.86, 0.85]),
    )  # fmt: skip
    col = {name: i for i, name in enumerate(rerank.FEATURE_NAMES)}
    assert matrix[1, col["phrases"]] > matrix[0, col["phrases"]]
    assert matrix[0, col["first_rank"]] == 1.0 and matrix[1, col["first_rank"]] == 0.5
    _second_wins_at_every_length(matrix)


def test_a_named_document_wins_over_another_document() -> None:
    other = _article(ANSWER_TEXT := "người xử lý điều chỉnh mức khẩn", "Mức", document="luat khac")
    same = _article(ANSWER_TEXT, "Mức", document="luat mau")
    matrix = rerank.features(
        _query(frozenset({"luat mau"})), IDF, [other, same],
        fused=np.array([1.0, 1.0]), lexical=np.array([1.0, 1.0]), dense=None,
    )  # fmt: skip
    named = rerank.FEATURE_NAMES.index("named")
    assert list(matrix[:, named]) == [-1.0, 1.0]
    _second_wins_at_every_length(matrix)


def test_the_cited_article_wins_over_a_neighbour() -> None:
    """ "Điều 6 ... đề cập gì": the question names the article; its neighbour shares more of
    the question's words and phrases, and comes first from the first stage."""
    shared = fold("người xử lý có được gửi lại mức khẩn không").split()
    neighbour = rerank.article_text([shared], "muc", "luat mau", number="5")
    cited = rerank.article_text(
        [fold("người xử lý điều chỉnh mức khẩn").split()], "muc", "luat mau", number="6"
    )
    query = rerank.QueryText(tuple(fold(QUESTION).split()), frozenset(), frozenset({"6"}))
    matrix = rerank.features(
        query, IDF, [neighbour, cited],
        fused=np.array([1.0, 0.9]), lexical=np.array([5.0, 4.0]), dense=np.array([0.86, 0.85]),
    )  # fmt: skip
    col = rerank.FEATURE_NAMES.index("cited")
    assert list(matrix[:, col]) == [-1.0, 1.0]
    cover = rerank.FEATURE_NAMES.index("cover")
    assert matrix[0, cover] > matrix[1, cover]  # the neighbour holds more of the question
    _second_wins_at_every_length(matrix)
    uncited = rerank.features(
        _query(), IDF, [neighbour, cited],
        fused=np.array([1.0, 0.9]), lexical=np.array([5.0, 4.0]), dense=np.array([0.86, 0.85]),
    )  # fmt: skip
    assert list(uncited[:, col]) == [0.0, 0.0]


@pytest.mark.parametrize("brevity", LENGTHS)
@pytest.mark.parametrize("name", rerank.FEATURE_NAMES)
def test_more_evidence_never_lowers_an_article(name: str, brevity: float) -> None:
    """The shipped weights are all >= 0, at every question length: an article that covers
    more of the question, or that the engines score higher, never ranks lower for it."""
    row = np.full((1, len(rerank.FEATURE_NAMES)), 0.3, dtype=np.float32)
    more = row.copy()
    more[0, rerank.FEATURE_NAMES.index(name)] += 0.5
    assert rerank.scores(more, brevity)[0] >= rerank.scores(row, brevity)[0]


def test_brevity_runs_from_one_to_zero() -> None:
    assert rerank.brevity(0) == 1.0
    assert rerank.brevity(rerank.BREVITY_SPAN // 2) == 0.5
    assert rerank.brevity(rerank.BREVITY_SPAN + 5) == 0.0


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("ho kinh doanh la gi", {"definition"}),
        ("dinh nghia tiep can thong tin theo luat tiep can thong tin", {"definition"}),
        ("luat nay ap dung cho ai", {"scope"}),
        ("bien phap nay ap dung cho nguoi duoi 18 tuoi", set()),
        ("to quoc viet nam xa hoi chu nghia la su nghiep cua ai", set()),
        ("trach nhiem cua nguoi su dung trai phep chat ma tuy la gi", set()),  # not a term
        ("can bo xa nghi phep may ngay", set()),
    ],
)
def test_question_kinds(question: str, kinds: set[str]) -> None:
    assert rerank.question_kinds(question) == kinds


def test_a_definition_question_meets_the_definitions_article() -> None:
    assert rerank.heading_kind("giai thich tu ngu") == "definition"
    assert rerank.heading_kind("Pham vi dieu chinh") == "scope"
    assert rerank.heading_kind("Quyen cua ben cam co") == ""
    terms = rerank.article_text([fold("hộ kinh doanh").split()], "giai thich tu ngu", "l")
    other = rerank.article_text([fold("hộ kinh doanh đăng ký").split()], "dang ky ho", "l")
    question = tuple(fold("hộ kinh doanh là gì").split())
    query = rerank.QueryText(question, frozenset(), frozenset(), frozenset({"definition"}))
    matrix = rerank.features(
        query, IDF, [other, terms],
        fused=np.array([1.0, 1.0]), lexical=np.array([1.0, 1.0]), dense=None,
    )  # fmt: skip
    assert list(matrix[:, rerank.FEATURE_NAMES.index("intent")]) == [0.0, 1.0]


@pytest.mark.parametrize("hybrid", [True, False])
@pytest.mark.parametrize("name", FEATURE_NAMES)
def test_confidence_never_falls_with_more_evidence(name: str, hybrid: bool) -> None:
    """Monotonic: every signal is evidence for a match (fitted weights are all >= 0), and it
    rises strictly with each signal that carries weight."""
    base = [0.85, 0.02, 0.5, 0.3, 0.2, 0.3, 0.0, 0.5, 0.9, 0.4]
    assert len(base) == len(FEATURE_NAMES)
    i = FEATURE_NAMES.index(name)
    weight = (HYBRID_COEF if hybrid else LEXICAL_COEF)[i + 1]
    assert weight >= 0
    hi = list(base)
    hi[i] += 0.1
    lo_conf = confidence(Features(tuple(base)), hybrid=hybrid)
    hi_conf = confidence(Features(tuple(hi)), hybrid=hybrid)
    assert hi_conf > lo_conf if weight > 0 else hi_conf == lo_conf


def test_confidence_is_a_probability_and_zero_without_candidates() -> None:
    assert confidence(Features.empty(), hybrid=True) == 0.0
    n = len(FEATURE_NAMES)
    for values in ([1.0] * n, [-1.0] * n, [0.0] * n):
        for coef_hybrid in (True, False):
            assert 0.0 <= confidence(Features(tuple(values)), hybrid=coef_hybrid) <= 1.0
    # No cosines without a model.
    assert all(LEXICAL_COEF[FEATURE_NAMES.index(name) + 1] == 0.0 for name in DENSE_ONLY)


def test_auroc() -> None:
    scores = np.array([0.9, 0.8, 0.3, 0.2])
    assert auroc(scores, np.array([True, True, False, False])) == 1.0
    assert auroc(scores, np.array([False, False, True, True])) == 0.0
    assert auroc(np.array([0.5, 0.5]), np.array([True, False])) == 0.5


@pytest.mark.parametrize(("content", "brevity"), [(3, 0.75), (6, 0.5), (12, 0.0), (30, 0.0)])
def test_brevity_is_how_far_a_question_falls_short_of_a_long_one(
    content: int, brevity: float
) -> None:
    features = Features.of(
        dense=[0.9, 0.85],
        top_row=np.zeros(len(rerank.FEATURE_NAMES), dtype=np.float32),
        rerank_scores=[3.0, 1.0],
        known=1.0,
        brevity=rerank.brevity(content),
    )
    assert features.values[FEATURE_NAMES.index("brevity")] == pytest.approx(brevity)
