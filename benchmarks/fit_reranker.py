"""Fit the reranker's linear weights (retrieval/rerank.py) and report held-out quality.

    .venv/bin/python benchmarks/fit_reranker.py --corpus ../shared/data/alqac25/corpus.jsonl \
        --questions ../shared/data/alqac25/questions.jsonl --workdir /tmp/troly-eval-alqac

Weights are fitted by pairwise logistic regression (relevant article versus each other
candidate of the same question, i.e. a linear RankNet). Questions are split in two by a hash of
their id, and the quality reported as "cross-fitted" is honest: each half is ranked with the
weights fitted on the other half only. The weights that ship are then fitted on all questions
(the same recipe on twice the data). Each question is used as typed (with diacritics) and folded
(as typed on a phone), both through query understanding, exactly as the product runs it.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.config import Settings
from core.text import fold
from retrieval import rerank
from retrieval.evaluation import open_eval_index, read_jsonl
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
        matrix = state.rerank_features(plan.tokens, ranked, pool)
        relevant = {f"x:{r}" for r in q["relevant"]}
        labels = np.array(
            [state.rows[int(pool.cand[r.index])].group in relevant for r in ranked], dtype=bool
        )
        out.append((q["id"], matrix, labels))
    return out


def metrics(rows: list[Any], weights: np.ndarray | None, total: int) -> str:
    hits = {1: 0, 5: 0, 10: 0}
    mrr = 0.0
    for _, matrix, labels in rows:
        order = np.arange(len(labels)) if weights is None else np.argsort(-(matrix @ weights))
        ranked = labels[order]
        pos = np.flatnonzero(ranked)
        if len(pos):
            r = int(pos[0])
            for cut in hits:
                hits[cut] += r < cut
            mrr += 1 / (r + 1) if r < 10 else 0
    n = max(total, 1)
    return (
        f"H@1 {hits[1] / n:.4f} H@5 {hits[5] / n:.4f} H@10 {hits[10] / n:.4f} MRR@10 {mrr / n:.4f}"
    )


def pairs(rows: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for _, matrix, labels in rows:
        pos = np.flatnonzero(labels)
        neg = np.flatnonzero(~labels)
        for p in pos:
            for n in neg:
                d = matrix[p] - matrix[n]
                xs.extend([d, -d])
                ys.extend([1, 0])
    return np.asarray(xs), np.asarray(ys)


def fit(rows: list[Any], c: float) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    x, y = pairs(rows)
    model = LogisticRegression(C=c, fit_intercept=False, max_iter=2000).fit(x, y)
    return np.asarray(model.coef_[0])


def cross_fitted(rows: list[Any], halves: tuple[np.ndarray, np.ndarray], total: int) -> str:
    """Metrics with each half's questions ranked by the weights fitted on the other half."""
    by_half = [[r for r in rows if held_out(r[0]) == bool(h)] for h in (0, 1)]
    scored = [(q, m @ halves[1 - h], lab) for h in (0, 1) for q, m, lab in by_half[h]]
    # metrics() multiplies by weights; feed it one-column matrices of the final scores.
    return metrics([(q, s[:, None], lab) for q, s, lab in scored], np.ones(1), total)


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
    halves = (
        fit([r for r in every if not held_out(r[0])], args.c),
        fit([r for r in every if held_out(r[0])], args.c),
    )
    weights = fit(every, args.c)
    print("features:", ", ".join(rerank.FEATURE_NAMES))
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
    asyncio.run(main(parser.parse_args()))
