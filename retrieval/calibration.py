"""Calibrated confidence that the top result answers the question, and the novel flag.

The confidence is a logistic regression over a few scale-free signals of one ranking. It was
fitted by `benchmarks/calibrate.py` on two kinds of questions: development legal questions
(label 1 when the top article is a relevant one, 0 otherwise) and self-written questions the
knowledge base cannot answer (off-topic or about matters no document covers; label 0). Half of
each set was held out to report quality; the numbers are in benchmarks/README.md. Refit when the
encoder, tokenisation or fusion changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Order of FEATURE_NAMES matches Features.vector().
FEATURE_NAMES = (
    "dense_top",  # cosine of the top article's best chunk
    "dense_margin",  # its cosine minus the second article's
    "lex_per_token",  # BM25 of the top article per query token the corpus knows
    "coverage",  # share of query tokens (syllables + pairs) the corpus knows
    "fused_margin",  # fused score gap between first and second article
)

# Fitted by benchmarks/calibrate.py (see module docstring): intercept first, then one weight
# per FEATURE_NAMES entry, in raw feature units (fitted on standardised features, L2, C=1).
# alqac25 (729 questions) + benchmarks/offtopic_questions.jsonl (48), fitted on one half.
# Hybrid mode uses only the cosine signals, whose scale does not depend on the size of the
# knowledge base: BM25 magnitudes, token coverage and the fused margin all change with it (with
# them, every question to a three-document starter KB looked "not covered", and an off-topic
# question to a five-document KB looked covered). Held-out half: Brier 0.120 (base-rate
# predictor 0.162), ECE 0.025; at threshold 0.5 it flags every off-topic question, 10 % of
# wrong and 3 % of right in-domain answers. (All five features: Brier 0.098 but not robust.)
HYBRID_COEF = (-24.2329, 27.4249, 44.7063, 0.0, 0.0, 0.0)
# Lexical-only mode (no model) and questions typed without diacritics: BM25 signals are all
# there is. Held out: Brier 0.119 (base 0.185), ECE 0.021; flags 88 % of off-topic questions,
# 42 % of wrong and 7 % of right in-domain answers. Refit on the deployment's own questions.
LEXICAL_COEF = (-10.9758, 0.0, 0.0, 1.0161, 13.8026, 8.4534)


@dataclass(frozen=True)
class Features:
    """Signals of one ranking that say how likely its top result is right."""

    dense_top: float | None
    dense_margin: float | None
    lex_per_token: float
    coverage: float
    fused_margin: float
    is_empty: bool = False

    @classmethod
    def empty(cls, query_tokens: int, known_tokens: int) -> Features:
        """Features of a ranking with no candidates at all."""
        cov = known_tokens / query_tokens if query_tokens else 0.0
        return cls(None, None, 0.0, cov, 0.0, is_empty=True)

    @classmethod
    def of(
        cls,
        *,
        lexical: list[float],
        dense: list[float] | None,
        fused: list[float],
        max_dense: float | None,
        query_tokens: int,
        known_tokens: int,
    ) -> Features:
        """Features from per-article scores (best first) of one ranking."""
        del max_dense  # kept in the signature for experiments; not a feature today
        second = 1 if len(fused) > 1 else 0
        dense_top = dense_margin = None
        if dense:
            dense_top = dense[0]
            dense_margin = dense[0] - dense[second] if second else 0.0
        return cls(
            dense_top=dense_top,
            dense_margin=dense_margin,
            lex_per_token=lexical[0] / max(known_tokens, 1) if lexical else 0.0,
            coverage=known_tokens / query_tokens if query_tokens else 0.0,
            fused_margin=fused[0] - fused[second] if second else 1.0,
        )

    def vector(self, hybrid: bool) -> list[float]:
        """Feature values in FEATURE_NAMES order (dense ones are 0 in lexical mode)."""
        return [
            (self.dense_top or 0.0) if hybrid else 0.0,
            (self.dense_margin or 0.0) if hybrid else 0.0,
            self.lex_per_token,
            self.coverage,
            self.fused_margin,
        ]


def confidence(features: Features, *, hybrid: bool) -> float:
    """Probability in [0, 1] that the top result answers the question."""
    if features.is_empty:
        return 0.0
    coef = HYBRID_COEF if hybrid else LEXICAL_COEF
    z = coef[0] + sum(w * x for w, x in zip(coef[1:], features.vector(hybrid), strict=True))
    z = max(min(z, 40.0), -40.0)
    return 1.0 / (1.0 + math.exp(-z))
