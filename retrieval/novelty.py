"""The novelty protocol: does the confidence know when the knowledge base cannot answer?

A third of the documents (every third, by title) is held out of a copy of the index, built
exactly as the product builds one (its own BM25 statistics and diacritic model, the same
vectors minus the held-out ones). Questions whose answer was in a held-out document cannot be
answered: a good confidence flags them. Reported: the AUROC of the confidence between correctly
answered and not-covered questions, the share of not-covered questions flagged, and the share
of correctly answered questions flagged (the cost: officials sent to a supervisor needlessly).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import faiss
import numpy as np

from retrieval.dense import DenseIndex
from retrieval.engine import IndexState
from retrieval.evaluation_math import auroc
from retrieval.service import Retriever, calibrated

HOLD_OUT_EVERY = 3


@dataclass(frozen=True)
class NoveltyReport:
    documents: int
    held_out: int
    not_covered: int  # questions whose answer was held out
    correct: int  # questions answered right from what is left
    auroc: float
    not_covered_flagged: float
    correct_flagged: float


def held_out_documents(state: IndexState) -> set[int]:
    """Every HOLD_OUT_EVERY-th document by title (deterministic, spread over the corpus)."""
    ordered = sorted(state.docs.values(), key=lambda d: (d.title, d.id))
    return {d.id for i, d in enumerate(ordered) if i % HOLD_OUT_EVERY == HOLD_OUT_EVERY - 1}


def without(state: IndexState, documents: set[int]) -> IndexState:
    """A copy of the index as if `documents` had never been imported."""
    keep = [i for i, r in enumerate(state.rows) if r.document_id not in documents]
    dense = None
    if state.dense is not None:
        dense = DenseIndex(state.dense.dim, faiss.clone_index(state.dense.index))
        gone = np.array([r.id for r in state.rows if r.document_id in documents], dtype=np.int64)
        dense.remove(gone)
    return IndexState.build(
        revision=state.revision,
        rows=[state.rows[i] for i in keep],
        tokens=[state.tokens[i] for i in keep],
        dense=dense,
        model=state.model,
        docs={d: m for d, m in state.docs.items() if d not in documents},
    )


def novelty_report(
    retriever: Retriever, questions: list[dict[str, Any]], threshold: float | None = None
) -> NoveltyReport:
    """Run the protocol (blocking: call it in a worker thread)."""
    state = retriever._state
    assert state is not None
    gone = held_out_documents(state)
    subset = without(state, gone)
    gone_groups = {r.group for r in state.rows if r.document_id in gone}
    limit = retriever.settings.novel_threshold if threshold is None else threshold
    scores: list[float] = []
    labels: list[bool] = []  # True: answered right; False: not covered
    for q in questions:
        relevant = {f"x:{r}" for r in q.get("relevant") or []}
        if not relevant:
            continue
        plan = retriever.plan(q["text"], subset)
        ranking = retriever.rank(subset, plan, None, 1)
        conf = calibrated(plan, ranking)
        if relevant <= gone_groups:
            scores.append(conf)
            labels.append(False)
        elif ranking.chunk_ids:
            row = int(np.searchsorted(subset.chunk_ids, ranking.chunk_ids[0]))
            if subset.rows[row].group in relevant:
                scores.append(conf)
                labels.append(True)
    s, y = np.asarray(scores), np.asarray(labels, dtype=bool)
    return NoveltyReport(
        documents=len(state.docs),
        held_out=len(gone),
        not_covered=int((~y).sum()),
        correct=int(y.sum()),
        auroc=auroc(s, y),
        not_covered_flagged=float((s[~y] < limit).mean()) if (~y).any() else 0.0,
        correct_flagged=float((s[y] < limit).mean()) if y.any() else 0.0,
    )
