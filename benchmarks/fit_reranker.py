"""Fit the reranker's linear weights (retrieval/rerank.py) and report held-out quality.

    .venv/bin/python benchmarks/fit_reranker.py --corpus ../shared/data/alqac25/corpus.jsonl \
        --questions ../shared/data/alqac25/questions.jsonl --workdir /tmp/troly-eval-alqac

Weights are fitted by pairwise logistic regression (relevant article versus each other
candidate of the same question, i.e. a linear RankNet), constrained to be >= 0 so that more
evidence never lowers an article (unconstrained, collinear features took negative weights that
sent short phone-typed questions to articles covering less of them). Each feature enters twice:
as is, and times the question's brevity (`rerank.expanded`). Questions are split in two by a hash of
their id, and the quality reported as "cross-fitted" is honest: each half is ranked with the
weights fitted on the other half only. The weights that ship are then fitted on all questions
(the same recipe on twice the data). Each question is used as typed (with diacritics) and folded
(as typed on a phone), both through query understanding, exactly as the product runs it.

`--focus-top N` (off by default) weights the pairs towards the top of the ranking, as
LambdaRank does for a linear model: a pair counts fully when its wrong article is ranked within
the top N or above the right one (by the previous round's weights; the first round by the
first-stage order), and `--focus-low` otherwise; `--focus-rounds` refits that many times.
`--select` chooses N and the low weight on one half of the questions and reports the other.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.config import Settings
from core.text import fold
from retrieval import rerank
from retrieval.engine import content_syllables
from retrieval.evaluation import RankMetrics, open_eval_index, read_jsonl
from retrieval.service import Retriever


def held_out(qid: str) -> bool:
    return hashlib.sha256(qid.encode()).digest()[0] % 2 == 1


def collect(
    retriever: Retriever, questions: list[dict[str, Any]], variant: str, depth: int = rerank.DEPTH
) -> list[Any]:
    """Per question: (qid, feature matrix of the top `depth` articles, relevance labels)."""
    state = retriever._state
    assert state is not None
    out = []
    for q in questions:
        text = fold(q["text"]) if variant == "folded" else q["text"]
        plan = retriever.plan(text)
        pool = retriever.pool(state, plan, None, depth)
        ranked = pool.ranked[:depth]
        if not ranked:
            continue
        brevity = rerank.brevity(len(content_syllables(plan.tokens)))
        matrix = rerank.expanded(state.rerank_features(plan.tokens, ranked, pool), brevity)
        relevant = {f"x:{r}" for r in q["relevant"]}
        labels = np.array(
            [state.rows[int(pool.cand[r.index])].group in relevant for r in ranked], dtype=bool
        )
        out.append((q["id"], matrix, labels))
    return out


def metrics(rows: list[Any], weights: np.ndarray | None, total: int) -> str:
    ranks = []
    for _, matrix, labels in rows:
        order = np.arange(len(labels)) if weights is None else np.argsort(-(matrix @ weights))
        pos = np.flatnonzero(labels[order])
        ranks.append(int(pos[0]) if len(pos) else None)
    m = RankMetrics.of(ranks, total)
    return f"H@1 {m.share(1):.4f} H@5 {m.share(5):.4f} H@10 {m.share(10):.4f} MRR@10 {m.mrr10:.4f}"


@dataclass(frozen=True)
class Focus:
    """Pair weighting towards the top of the ranking (top 0: every pair counts the same)."""

    top: int = 0
    low: float = 1.0
    rounds: int = 1


def pairs(
    rows: list[Any], focus: Focus = Focus(), weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feature differences (right - wrong and its mirror), labels and sample weights."""
    xs, ys, ws = [], [], []
    for _, matrix, labels in rows:
        pos = np.flatnonzero(labels)
        neg = np.flatnonzero(~labels)
        order = np.argsort(-(matrix @ weights), kind="stable") if weights is not None else None
        rank = np.arange(len(labels)) if order is None else np.argsort(order)
        for p in pos:
            for n in neg:
                d = matrix[p] - matrix[n]
                near = rank[n] < focus.top or rank[n] < rank[p]
                w = 1.0 if not focus.top or near else focus.low
                xs.extend([d, -d])
                ys.extend([1, 0])
                ws.extend([w, w])
    return np.asarray(xs), np.asarray(ys), np.asarray(ws)


def fit(rows: list[Any], c: float, focus: Focus = Focus()) -> np.ndarray:
    weights = None
    for _ in range(focus.rounds if focus.top else 1):
        x, y, w = pairs(rows, focus, weights)
        weights = nonnegative_logistic(x, y, w, c)
    assert weights is not None
    return weights


def nonnegative_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, c: float) -> np.ndarray:
    """Weighted logistic regression without intercept, L2 penalty 1 / (2c), weights >= 0."""
    from scipy.optimize import minimize

    sign = 2.0 * y - 1.0

    def loss(beta: np.ndarray) -> tuple[float, np.ndarray]:
        z = sign * (x @ beta)
        grad = -(w * sign / (1.0 + np.exp(z))) @ x + beta / c
        return float((w * np.logaddexp(0.0, -z)).sum() + beta @ beta / (2 * c)), grad

    start = np.full(x.shape[1], 0.1)
    bounds = [(0.0, None)] * x.shape[1]
    return np.asarray(minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds).x)


def cross_fitted(rows: list[Any], halves: tuple[np.ndarray, np.ndarray], total: int) -> str:
    """Metrics with each half's questions ranked by the weights fitted on the other half."""
    by_half = [[r for r in rows if held_out(r[0]) == bool(h)] for h in (0, 1)]
    scored = [(q, m @ halves[1 - h], lab) for h in (0, 1) for q, m, lab in by_half[h]]
    # metrics() multiplies by weights; feed it one-column matrices of the final scores.
    return metrics([(q, s[:, None], lab) for q, s, lab in scored], np.ones(1), total)


def select(data: dict[str, list[Any]], every: list[Any], c: float, total: int) -> None:
    """Each focus setting fitted on each half; the setting with the best MRR@10 (both
    variants) on the first half, ranked by the second half's weights, is then reported on
    the second half ranked by the first half's weights: a choice the reported half never saw."""
    first = [r for r in every if not held_out(r[0])]
    second = [r for r in every if held_out(r[0])]
    n_first = sum(not held_out(r[0]) for r in data["accented"])
    n_second = total - n_first
    grid = [Focus()] + [Focus(t, lo, 2) for t in (5, 10, 20) for lo in (0.05, 0.2, 0.5)]
    results = []
    for focus in grid:
        w_first, w_second = fit(first, c, focus), fit(second, c, focus)
        choose = sum(
            _mrr([r for r in rows if not held_out(r[0])], w_second, n_first)
            for rows in data.values()
        )
        report = {
            v: metrics([r for r in rows if held_out(r[0])], w_first, n_second)
            for v, rows in data.items()
        }
        results.append((choose, focus, report))
        print(f"{focus}: choice score {choose:.4f}; reported half {report}")
    best = max(results, key=lambda r: r[0])
    print(f"chosen on the first half: {best[1]}; second half: {best[2]}")


def _mrr(rows: list[Any], weights: np.ndarray, total: int) -> float:
    return float(metrics(rows, weights, total).rsplit(" ", 1)[1])


async def main(args: argparse.Namespace) -> None:
    settings = Settings()
    retriever, dispose = await open_eval_index(
        settings, Path(args.corpus), Path(args.workdir), print
    )
    questions = list(read_jsonl(Path(args.questions)))
    try:
        data = {v: collect(retriever, questions, v, args.depth) for v in ("accented", "folded")}
    finally:
        await dispose()
    every = [r for v in data.values() for r in v]
    if args.select:
        select(data, every, args.c, len(questions))
        return
    focus = Focus(args.focus_top, args.focus_low, args.focus_rounds)
    halves = (
        fit([r for r in every if not held_out(r[0])], args.c, focus),
        fit([r for r in every if held_out(r[0])], args.c, focus),
    )
    weights = fit(every, args.c, focus)
    names = [*rerank.FEATURE_NAMES, *(f"{n} x brevity" for n in rerank.FEATURE_NAMES)]
    print("features:", ", ".join(names))
    print("weights: (" + ", ".join(f"{w:.4f}" for w in weights) + ")")
    shipped = np.asarray(rerank.WEIGHTS, dtype=np.float32)
    total = len(questions)
    for variant, rows in data.items():
        print(f"{variant:8} first stage  : {metrics(rows, None, total)}")
        print(f"{variant:8} cross-fitted : {cross_fitted(rows, halves, total)}")
        print(f"{variant:8} fitted on all: {metrics(rows, weights, total)}")
        print(f"{variant:8} shipped      : {metrics(rows, shipped, total)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--questions", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--c", type=float, default=10.0, help="inverse L2 strength")
    parser.add_argument("--depth", type=int, default=rerank.DEPTH, help="articles reranked")
    parser.add_argument("--focus-top", type=int, default=0, help="pairs near the top count fully")
    parser.add_argument("--focus-low", type=float, default=1.0, help="weight of the other pairs")
    parser.add_argument("--focus-rounds", type=int, default=2, help="refits by the last ranking")
    parser.add_argument("--select", action="store_true", help="choose the focus on one half")
    asyncio.run(main(parser.parse_args()))
