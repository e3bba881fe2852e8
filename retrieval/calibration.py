"""Calibrated confidence that the top result answers the question, and the novel flag.

The confidence is a logistic regression over scale-free signals of one ranking: the cosine of
the best passage and its margin over the next article, how much of the question (by rarity, as
word pairs and triples) the top article holds, whether the question names its document, how
clearly the reranker preferred it, and how short the question is. None of them grows with the
size of the knowledge base (raw BM25 scores would, and made small knowledge bases look
uncovered).

Fitted by `benchmarks/calibrate.py` on a mix, each question labelled 1 when the top article is
a relevant one and 0 otherwise: the development questions as typed, without diacritics and in
phone shorthand, against the full index and against an index with a third of the documents held
out (their questions cannot be answered: the novelty protocol), plus self-written off-topic
questions, plus hand-written short questions against the starter knowledge base (as officials
type them on a phone, some it answers and some it does not; weighted to a quarter of the rest).
Fitted on a hash-chosen half of the questions; the other half's numbers are in
benchmarks/README.md. Refit when the encoder, tokenisation, fusion or reranker changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from retrieval import rerank

FEATURE_NAMES = (
    "dense_top",  # cosine of the top article's best passage
    "dense_margin",  # its cosine minus the next article's
    "cover",  # reranker: IDF-weighted share of the question's syllables in the top article
    "phrases",  # reranker: share of the question's syllable pairs found there
    "triples",  # reranker: share of its syllable triples found there
    "best_passage",  # reranker: the best single passage's share of the pairs
    "named",  # reranker: +1 the question names its document, -1 another one
    "rerank_margin",  # reranker score of the top article minus the second's, at most MARGIN_CAP
    "known",  # share of the question's content syllables found anywhere in the knowledge base
    "brevity",  # rerank.brevity: 1 - content syllables / BREVITY_SPAN, floored at 0
)
_FROM_RERANK = ("cover", "phrases", "triples", "best_passage", "named")
# Signals that only exist with the model: lexical-only mode gives them weight 0.
DENSE_ONLY = ("dense_top", "dense_margin")
# A rerank margin beyond about the development questions' median (4.5) says nothing more about
# the answer: on a knowledge base of a few documents the runner-up is often unrelated, so a wide
# margin only says the knowledge base is small ("phat xay nha ko phep" against three short
# documents had 13.3, the 99th percentile of the development questions).
MARGIN_CAP = 5.0

# Fitted by benchmarks/calibrate.py: intercept, then one weight per FEATURE_NAMES entry. Every
# weight is >= 0 (a signal whose fitted weight came out negative, being collinear with another,
# was dropped and the rest refitted), so more evidence never lowers the confidence. Held-out
# half: Brier 0.082 (base rate 0.171), ECE 0.020, AUROC 0.936; novelty protocol AUROC 0.943.
HYBRID_COEF = (
    -39.2951, 33.6966, 0.0, 0.0, 0.0, 0.0, 1.9712, 0.9526, 0.7900, 6.8155, 1.5465,
)  # fmt: skip
# Lexical-only mode (no model installed): the same examples without the two cosines.
LEXICAL_COEF = (
    -14.1926, 0.0, 0.0, 0.1332, 0.0, 0.0, 4.5642, 1.3548, 0.7080, 10.9389, 0.9088,
)  # fmt: skip


@dataclass(frozen=True)
class Features:
    """Signals of one ranking that say how likely its top result is right."""

    values: tuple[float, ...]
    is_empty: bool = False

    def __post_init__(self) -> None:
        if len(self.values) != len(FEATURE_NAMES):
            raise ValueError(f"expected {len(FEATURE_NAMES)} features, got {len(self.values)}")

    @classmethod
    def empty(cls) -> Features:
        """Features of a ranking with no candidates at all."""
        return cls(tuple(0.0 for _ in FEATURE_NAMES), is_empty=True)

    @classmethod
    def of(
        cls,
        *,
        dense: list[float] | None,
        top_row: np.ndarray,
        rerank_scores: list[float],
        known: float,
        brevity: float,
    ) -> Features:
        """From the articles' cosines (final order), the top article's reranker features, the
        reranker scores (final order), the share of the question the knowledge base knows and
        how short the question is (`rerank.brevity`, as the reranker weighed it)."""
        values = {name: float(top_row[rerank.FEATURE_NAMES.index(name)]) for name in _FROM_RERANK}
        values["dense_top"] = dense[0] if dense else 0.0
        values["dense_margin"] = dense[0] - dense[1] if dense and len(dense) > 1 else 0.0
        margin = rerank_scores[0] - rerank_scores[1] if len(rerank_scores) > 1 else 1.0
        values["rerank_margin"] = min(margin, MARGIN_CAP)
        values["known"] = known
        values["brevity"] = brevity
        return cls(tuple(values[name] for name in FEATURE_NAMES))

    def vector(self) -> list[float]:
        return list(self.values)


def confidence(features: Features, *, hybrid: bool) -> float:
    """Probability in [0, 1] that the top result answers the question."""
    if features.is_empty:
        return 0.0
    coef = HYBRID_COEF if hybrid else LEXICAL_COEF
    z = coef[0] + sum(w * x for w, x in zip(coef[1:], features.values, strict=True))
    z = max(min(z, 40.0), -40.0)
    return 1.0 / (1.0 + math.exp(-z))
