"""Second-stage reranking of the top articles by a small learned linear model over features.

No pretrained multilingual reranker can be had from the package registries, and a cross-encoder
cannot be trained on two CPU cores, so the reranker scores each of the first stage's top
articles with a logistic model over signals the first stage throws away: how much of the
question (weighted by rarity, and as phrases) the whole article covers, whether the question
names this document or another one, how well the article's own title matches, and the two
engines' scores. Every feature is relative to the question's candidates, so the model does not
depend on the size of the knowledge base. Fitted by `benchmarks/fit_reranker.py` (weights
below, with the held-out numbers in benchmarks/README.md).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

FEATURE_NAMES = (
    "fused",  # first-stage article score (min-max fused, 0..1)
    "lexical",  # article BM25 / best candidate's BM25
    "dense",  # article cosine minus the best candidate's (<= 0)
    "cover",  # IDF-weighted share of the question's syllables found in the article
    "phrases",  # share of the question's syllable pairs found as pairs in the article
    "triples",  # share of the question's syllable triples found in the article
    "best_passage",  # the best single passage's share of the question's pairs
    "heading",  # IDF-weighted share of the article title's syllables found in the question
    "named",  # +1 the question names this document, -1 it names another one, 0 neither
    "first_rank",  # 1 / (first-stage rank + 1)
    "cited",  # +1 the question cites this article's number ("Điều 6"), -1 another one, 0 none
    "intent",  # 1: a "what is X" / "who does it apply to" question meets the article answering it
)

_WORD = re.compile(r"\w+")

# Every Vietnamese law opens with the same kinds of article: its scope ("Phạm vi điều chỉnh",
# "Đối tượng áp dụng") and its definitions ("Giải thích từ ngữ"). A question asking what a
# term means, or whom the law covers, is answered there even when it shares few words with it.
# Folded phrases: (question cues, heading cues) per kind.
_KINDS = {
    "definition": (
        ("dinh nghia", "duoc hieu", "hieu la", "hieu nhu the nao", "khai niem", "co nghia la"),
        ("giai thich tu ngu", "dinh nghia", "khai niem"),
    ),
    "scope": (
        (
            "ap dung cho ai", "ap dung doi voi ai", "ap dung voi ai", "ap dung cho nhung ai",
            "doi tuong ap dung", "pham vi dieu chinh", "thuoc doi tuong", "dieu chinh nhung gi",
        ),
        ("pham vi dieu chinh", "doi tuong ap dung"),
    ),
}  # fmt: skip
# "X là gì?" with a short X asks for a definition ("hộ kinh doanh là gì").
_WHAT_IS = re.compile(r"^(?:\w+ ){1,5}la gi$")


def question_kinds(folded: str) -> frozenset[str]:
    """Which standard articles a folded, punctuation-free question asks for."""
    padded = f" {folded} "
    kinds = {k for k, (cues, _) in _KINDS.items() if any(f" {c} " in padded for c in cues)}
    if _WHAT_IS.match(folded):
        kinds.add("definition")
    return frozenset(kinds)


def heading_kind(folded_heading: str) -> str:
    """The standard kind of an article from its folded title ("" for any other article)."""
    padded = f" {' '.join(_WORD.findall(folded_heading.lower()))} "
    for kind, (_, cues) in _KINDS.items():
        if any(f" {c} " in padded for c in cues):
            return kind
    return ""


# A question of this many content syllables or more counts as not short at all. Officials type
# 5-10 on a phone, the development questions have about 18; a short question shares few word
# pairs and triples with even the right article, so its evidence has to be weighed differently.
BREVITY_SPAN = 12
# Fitted by benchmarks/fit_reranker.py, all >= 0 (more evidence never lowers an article): one
# weight per FEATURE_NAMES entry, then one per entry for that feature times the question's
# brevity (what a feature is worth in a short question beyond a long one).
WEIGHTS = (
    # as is:
    5.8387, 0.0000, 15.9126, 0.0000, 0.0000, 9.1266,
    2.7746, 0.9156, 3.8273, 1.2207, 4.0792, 5.6798,
    # times brevity:
    10.3548, 3.8169, 1.8963, 0.0000, 0.0000, 0.0000,
    0.0000, 11.8075, 0.0044, 0.0000, 0.1758, 13.5173,
)  # fmt: skip
# How many first-stage articles are reranked.
DEPTH = 30


@dataclass(frozen=True)
class ArticleText:
    """What the reranker needs to know about one candidate article."""

    syllables: frozenset[str]
    pairs: frozenset[tuple[str, str]]
    triples: frozenset[tuple[str, str, str]]
    passage_pairs: tuple[frozenset[tuple[str, str]], ...]  # per passage (chunk) of the article
    heading: tuple[str, ...]
    document: str  # key of its document title, for "named"
    number: str = ""  # the article's number ("6" for Điều 6), for "cited"
    kind: str = ""  # "definition", "scope" or "" (see heading_kind), for "intent"


@dataclass(frozen=True)
class QueryText:
    """The question's syllables (as typed or restored, same form as the articles')."""

    syllables: tuple[str, ...]
    named_docs: frozenset[str]  # document keys whose title the question contains
    cited: frozenset[str] = frozenset()  # article numbers the question cites ("điều 6")
    kinds: frozenset[str] = frozenset()  # standard articles it asks for (question_kinds)


def syllables_of(tokens: Sequence[str]) -> list[str]:
    """The plain syllables of an indexed token list (compounds carry "_")."""
    return [t for t in tokens if "_" not in t]


def article_text(
    token_lists: Sequence[Sequence[str]], heading: str, document: str, number: str = ""
) -> ArticleText:
    """Token sets of an article from its chunks' indexed tokens (in text order)."""
    syl: set[str] = set()
    triples: set[tuple[str, str, str]] = set()
    passages = []
    for tokens in token_lists:
        seq = syllables_of(tokens)
        syl.update(seq)
        passages.append(frozenset(itertools.pairwise(seq)))
        triples.update(zip(seq, seq[1:], seq[2:], strict=False))
    return ArticleText(
        frozenset(syl),
        frozenset().union(*passages),
        frozenset(triples),
        tuple(passages),
        tuple(_WORD.findall(heading.lower())),
        document,
        number,
        heading_kind(heading),
    )


def features(
    query: QueryText,
    idf: dict[str, float],
    articles: Sequence[ArticleText],
    fused: np.ndarray,
    lexical: np.ndarray,
    dense: np.ndarray | None,
) -> np.ndarray:
    """Feature matrix (articles x FEATURE_NAMES) for one question's candidate articles."""
    q = [t for t in query.syllables if t in idf] or list(query.syllables)
    q_weight = np.array([idf.get(t, 1.0) for t in q], dtype=np.float32)
    q_total = float(q_weight.sum()) or 1.0
    q_pairs = set(itertools.pairwise(query.syllables))
    syl = query.syllables
    q_triples = set(zip(syl, syl[1:], syl[2:], strict=False))
    q_set = set(query.syllables)
    best_lex = float(lexical.max()) if len(lexical) and lexical.max() > 0 else 1.0
    best_dense = float(dense.max()) if dense is not None and len(dense) else 0.0
    rows = []
    for i, art in enumerate(articles):
        cover = sum(w for t, w in zip(q, q_weight, strict=True) if t in art.syllables) / q_total
        phrases = len(q_pairs & art.pairs) / len(q_pairs) if q_pairs else 0.0
        triples = len(q_triples & art.triples) / len(q_triples) if q_triples else 0.0
        best_passage = (
            max(len(q_pairs & p) for p in art.passage_pairs) / len(q_pairs) if q_pairs else 0.0
        )
        h_weight = [idf.get(t, 1.0) for t in art.heading]
        h_total = sum(h_weight) or 1.0
        heading = sum(w for t, w in zip(art.heading, h_weight, strict=True) if t in q_set) / h_total
        named = 0.0
        if query.named_docs:
            named = 1.0 if art.document in query.named_docs else -1.0
        cited = 0.0
        if query.cited:
            cited = 1.0 if art.number in query.cited else -1.0
        rows.append(
            (
                float(fused[i]),
                float(lexical[i]) / best_lex,
                (float(dense[i]) - best_dense) if dense is not None else 0.0,
                cover,
                phrases,
                triples,
                best_passage,
                heading,
                named,
                1.0 / (i + 1),
                cited,
                1.0 if art.kind and art.kind in query.kinds else 0.0,
            )
        )
    return np.asarray(rows, dtype=np.float32).reshape(len(articles), len(FEATURE_NAMES))


def brevity(content_syllables: int) -> float:
    """How short a question is: 1 - content syllables / BREVITY_SPAN, floored at 0."""
    return max(0.0, 1.0 - content_syllables / BREVITY_SPAN)


def expanded(matrix: np.ndarray, brevity: float) -> np.ndarray:
    """The feature matrix, then the same features times the question's brevity (the columns
    WEIGHTS is fitted on)."""
    return np.hstack([matrix, matrix * np.float32(brevity)])


def scores(matrix: np.ndarray, brevity: float, weights: Sequence[float] = WEIGHTS) -> np.ndarray:
    """Linear reranking score per article (higher is better) for a question of that brevity."""
    if not len(matrix):
        return np.empty(0, np.float32)
    w = np.asarray(weights, dtype=np.float32)
    return np.asarray(expanded(matrix, brevity) @ w, dtype=np.float32)
