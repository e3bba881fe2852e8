"""Fit the reranker's linear weights (retrieval/rerank.py) and report held-out quality.

    .venv/bin/python benchmarks/fit_reranker.py --corpus ../shared/data/alqac25/corpus.jsonl \
        --questions ../shared/data/alqac25/questions.jsonl --workdir /tmp/troly-eval-alqac

Questions are split in two by a hash of their id. Weights are fitted on the first half only
(pairwise logistic regression: relevant article versus each other candidate of the same
question, i.e. a linear RankNet) and every number printed for "held-out" comes from the
other half. Each question is used as typed (with diacritics) and folded (as typed on a
phone), both through query understanding, exactly as the product runs it.
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


async def main(args: argparse.Namespace) -> None:
    from sklearn.linear_model import LogisticRegression

    settings = Settings()
    retriever, dispose = await open_eval_index(
        settings, Path(args.corpus), Path(args.workdir), print
    )
    questions = list(read_jsonl(Path(args.questions)))
    try:
        data = {v: collect(retriever, questions, v, args.depth) for v in ("accented", "folded")}
    finally:
        await dispose()
    train = [r for v in data.values() for r in v if not held_out(r[0])]
    x, y = pairs(train)
    model = LogisticRegression(C=args.c, fit_intercept=False, max_iter=1000).fit(x, y)
    weights = model.coef_[0]
    print("features:", ", ".join(rerank.FEATURE_NAMES))
    print("weights: (" + ", ".join(f"{w:.4f}" for w in weights) + ")")
    shipped = np.asarray(rerank.WEIGHTS, dtype=np.float32)
    for variant, rows in data.items():
        for part, keep in (("train", False), ("held-out", True)):
            sub = [r for r in rows if held_out(r[0]) == keep]
            total = sum(1 for q in questions if held_out(q["id"]) == keep)
            print(f"{variant:8} {part:8} first stage: {metrics(sub, None, total)}")
            print(f"{variant:8} {part:8} fitted     : {metrics(sub, weights, total)}")
            print(f"{variant:8} {part:8} shipped    : {metrics(sub, shipped, total)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--questions", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--c", type=float, default=1.0)
    parser.add_argument("--depth", type=int, default=rerank.DEPTH, help="articles reranked")
    asyncio.run(main(parser.parse_args()))
