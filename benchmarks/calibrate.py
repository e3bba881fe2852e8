"""Fit the confidence calibration (retrieval/calibration.py) and report its quality.

    .venv/bin/python benchmarks/calibrate.py --corpus ../shared/data/alqac25/corpus.jsonl \
        --questions ../shared/data/alqac25/questions.jsonl \
        --offtopic benchmarks/offtopic_questions.jsonl --workdir /tmp/troly-eval-alqac

Positives/negatives: each labelled legal question is 1 when the top article is relevant, else 0;
each off-topic question (the knowledge base cannot answer it) is 0. Questions are split in two
halves by a hash of their id: the model is fitted on one half and Brier score, expected
calibration error and the novel flag's precision/recall are reported on the other. The printed
coefficients are pasted into retrieval/calibration.py.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import itertools

from core.config import Settings
from core.text import normalize
from retrieval.calibration import FEATURE_NAMES
from retrieval.evaluation import open_eval_index, read_jsonl
from retrieval.text import query_tokens

# Hybrid mode uses only the cosine signals, whose scale does not depend on the size of the
# knowledge base (see retrieval/calibration.py for why the others were dropped).
HYBRID_COLS = [0, 1]
LEXICAL_COLS = [2, 3, 4]


def held_out(qid: str) -> bool:
    return int(hashlib.sha256(qid.encode()).hexdigest(), 16) % 2 == 1


def ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        sel = (p >= lo) & (p < hi if hi < 1 else p <= hi)
        if sel.any():
            total += sel.mean() * abs(p[sel].mean() - y[sel].mean())
    return float(total)


async def collect(args: argparse.Namespace) -> dict[str, list[tuple[str, list[float], int, bool]]]:
    settings = Settings()
    retriever, dispose = await open_eval_index(
        settings, Path(args.corpus), Path(args.workdir), print
    )
    state = retriever._state
    assert state is not None
    out: dict[str, list[tuple[str, list[float], int, bool]]] = {"hybrid": [], "lexical": []}
    rows = [(q, 1) for q in read_jsonl(Path(args.questions))]
    rows += [(q, 0) for q in read_jsonl(Path(args.offtopic))]
    id_of = {}
    for q, in_domain in rows:
        text = normalize(q["text"])
        ranking = await asyncio.to_thread(retriever._rank, state, text, None, 10)
        ids = ranking.chunk_ids
        if ids and not id_of.keys() >= set(ids):
            resp_ids = await retriever._hits(state, ranking)
            id_of.update({h.chunk_id: h.external_id for h in resp_ids})
        top = id_of.get(ids[0]) if ids else None
        label = int(bool(in_domain) and top in set(q.get("relevant") or []))
        out["hybrid"].append((q["id"], ranking.features.vector(True), label, bool(in_domain)))
        lex = state.rank(
            query_tokens(text),
            None,
            mask=None,
            candidates=settings.candidates,
            dense_weight=settings.dense_weight,
            k=10,
        )
        ltop = id_of.get(lex.chunk_ids[0]) if lex.chunk_ids else None
        if lex.chunk_ids and lex.chunk_ids[0] not in id_of:
            hits = await retriever._hits(state, lex)
            id_of.update({h.chunk_id: h.external_id for h in hits})
            ltop = id_of.get(lex.chunk_ids[0])
        llabel = int(bool(in_domain) and ltop in set(q.get("relevant") or []))
        out["lexical"].append((q["id"], lex.features.vector(False), llabel, bool(in_domain)))
    await dispose()
    return out


def fit(name: str, data: list[tuple[str, list[float], int, bool]], threshold: float) -> None:
    from sklearn.linear_model import LogisticRegression

    x = np.array([d[1] for d in data])
    y = np.array([d[2] for d in data])
    ood = np.array([not d[3] for d in data])
    test = np.array([held_out(d[0]) for d in data])
    cols = HYBRID_COLS if name == "hybrid" else LEXICAL_COLS
    # Standardise so the L2 penalty treats features alike (cosines vary over ~0.1, margins
    # over ~1), then map the coefficients back to raw feature units.
    train = x[~test][:, cols]
    mean, std = train.mean(axis=0), train.std(axis=0) + 1e-9
    model = LogisticRegression(C=1.0, max_iter=1000).fit((train - mean) / std, y[~test])
    raw = model.coef_[0] / std
    intercept = float(model.intercept_[0] - np.sum(model.coef_[0] * mean / std))
    coef = np.zeros(len(FEATURE_NAMES))
    coef[cols] = raw
    p = 1 / (1 + np.exp(-(intercept + x[test][:, cols] @ raw)))
    yt, oodt = y[test], ood[test]
    brier = float(np.mean((p - yt) ** 2))
    base = float(np.mean((yt.mean() - yt) ** 2))
    flagged = p < threshold
    prec = float(oodt[flagged].mean()) if flagged.any() else 0.0
    rec = float(flagged[oodt].mean()) if oodt.any() else 0.0
    wrong_flag = float(flagged[~oodt & (yt == 0)].mean()) if (~oodt & (yt == 0)).any() else 0.0
    right_flag = float(flagged[~oodt & (yt == 1)].mean()) if (~oodt & (yt == 1)).any() else 0.0
    print(f"\n== {name}: fitted on {int((~test).sum())}, held out {int(test.sum())}")
    print(f"   Brier {brier:.4f} (base rate predictor {base:.4f}); ECE {ece(p, yt):.4f}")
    print(
        f"   novel flag (p < {threshold}): precision for off-topic {prec:.3f}, "
        f"recall {rec:.3f}; flags {wrong_flag:.3f} of wrong in-domain answers and "
        f"{right_flag:.3f} of right ones"
    )
    print(f"   ood mean p {p[oodt].mean():.3f}; in-domain mean p {p[~oodt].mean():.3f}")
    values = ", ".join(f"{v:.4f}" for v in [intercept, *coef])
    print(f"   COEF = ({values})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--questions", required=True)
    parser.add_argument("--offtopic", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--threshold", type=float, default=0.5)
    args = parser.parse_args()
    data = asyncio.run(collect(args))
    for name, rows in data.items():
        fit(name, rows, args.threshold)


if __name__ == "__main__":
    main()
