"""Fit the confidence calibration (retrieval/calibration.py) and report its quality.

    .venv/bin/python benchmarks/calibrate.py --corpus ../shared/data/alqac25/corpus.jsonl \
        --questions ../shared/data/alqac25/questions.jsonl \
        --offtopic benchmarks/offtopic_questions.jsonl --workdir /tmp/troly-eval-alqac

Each example is one question in one form against one index, labelled 1 when the top article is
a relevant one and 0 otherwise:
- the development questions as typed, without diacritics, and in phone shorthand, against the
  full index;
- the same questions (as typed and without diacritics) against the index with a third of the
  documents held out (retrieval/novelty.py): those whose answer was held out are 0;
- self-written off-topic questions (as typed and without diacritics): 0;
- `--phone` sets: phone-typed questions over the same corpus, as typed, against the full index
  (benchmarks/phone_alqac_fit*.jsonl: written to be fitted on; phone_alqac_questions.jsonl and
  phone_alqac_uncovered.jsonl stay out, to test on), weighted to `--phone-share` of the rest;
- the starter knowledge base's hand-written sets (`eval_pinpoint.STARTER_SETS`), weighted to
  `--starter-share` of the rest.
Questions are split in two halves by a hash of their id; the model is fitted on one half and
everything printed as "held-out" comes from the other. The printed coefficients are pasted into
retrieval/calibration.py.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eval_pinpoint import HERE, STARTER_SETS, set_name

from core.config import Settings
from retrieval.calibration import DENSE_ONLY, FEATURE_NAMES
from retrieval.engine import IndexState
from retrieval.evaluation import (
    StarterIndex,
    as_variant,
    open_eval_index,
    open_starter_index,
    read_jsonl,
)
from retrieval.evaluation_math import auroc
from retrieval.novelty import held_out_documents, without
from retrieval.service import Retriever

Example = tuple[str, str, list[float], int, bool]  # qid, set name, features, label, hybrid
PHONE = "phone_alqac"  # set name of the --phone examples


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


def examples(
    retriever: Retriever, state: IndexState, rows: list[dict[str, Any]], name: str, variant: str
) -> list[Example]:
    out = []
    for q in rows:
        plan = retriever.plan(as_variant(q["text"], variant), state)
        ranking = retriever.rank(state, plan, None, 1)
        relevant = {f"x:{r}" for r in q.get("relevant") or []}
        label = 0
        if ranking.chunk_ids and relevant:
            row = int(np.searchsorted(state.chunk_ids, ranking.chunk_ids[0]))
            label = int(state.rows[row].group in relevant)
        hybrid = plan.vector is not None
        out.append((str(q["id"]), f"{name}/{variant}", ranking.features.vector(), label, hybrid))
    return out


STARTER_NAMES = frozenset(set_name(f) for f, _ in STARTER_SETS)


def starter_examples(starter: StarterIndex) -> list[Example]:
    """Each starter question in each of its forms, labelled 1 when the top article is the
    labelled one (never, for the uncovered sets)."""
    retriever = starter.retriever
    state = retriever._state
    assert state is not None
    out: list[Example] = []
    for file, variants in STARTER_SETS:
        name = set_name(file)
        for q in read_jsonl(HERE / file):
            for variant in variants:
                plan = retriever.plan(as_variant(q["text"], variant), state)
                ranking = retriever.rank(state, plan, None, 1)
                label = 0
                if ranking.chunk_ids:
                    row = state.rows[int(np.searchsorted(state.chunk_ids, ranking.chunk_ids[0]))]
                    label = int(starter.answers(row.document_id, row.article, q))
                qid = f"{name}:{q.get('id') or q['text']}"
                hybrid = plan.vector is not None
                out.append((qid, f"{name}/{variant}", ranking.features.vector(), label, hybrid))
    return out


def collect(
    retriever: Retriever, questions: list[Any], offtopic: list[Any], phone: list[Any]
) -> list[Example]:
    state = retriever._state
    assert state is not None
    subset = without(state, held_out_documents(state))
    data = examples(retriever, state, phone, PHONE, "accented")
    for variant in ("accented", "unaccented", "shorthand"):
        data += examples(retriever, state, questions, "full", variant)
    for variant in ("accented", "unaccented"):
        data += examples(retriever, subset, questions, "novelty", variant)
        data += examples(retriever, state, offtopic, "offtopic", variant)
    return data


def fit(
    data: list[Example], threshold: float, cols: list[int], name: str, shares: dict[str, float]
) -> None:
    """Fit on `cols` of the features (the others get weight 0) and report held-out quality.
    The starter examples together weigh `shares["starter"]` of the development ones, and the
    phone-typed ones `shares["phone"]`: there are few of them, and they are the short questions
    officials actually type."""
    from sklearn.linear_model import LogisticRegression

    x = np.array([d[2] for d in data])[:, cols]
    y = np.array([d[3] for d in data])
    test = np.array([held_out(d[0]) for d in data])
    sets = np.array([d[1] for d in data])
    groups = {
        "starter": np.array([d[0].split(":")[0] in STARTER_NAMES for d in data]),
        "phone": np.char.startswith(sets.astype(str), f"{PHONE}/"),
    }
    rest = ~(groups["starter"] | groups["phone"])
    weight = np.ones(len(data))
    for group, members in groups.items():
        share = shares[group]
        weight[members] = share * rest.sum() / members.sum() if members.any() and share else 0.0
    # Standardise so the L2 penalty treats features alike, then map back to raw units. Every
    # signal is evidence FOR a match, so a weight that comes out negative (collinear signals
    # trading off) drops its feature and the rest are refitted: the confidence stays monotonic.
    keep = list(range(x.shape[1]))
    while True:
        train = x[~test][:, keep]
        mean, std = train.mean(axis=0), train.std(axis=0) + 1e-9
        model = LogisticRegression(C=1.0, max_iter=2000).fit(
            (train - mean) / std, y[~test], sample_weight=weight[~test]
        )
        if (model.coef_[0] >= 0).all():
            break
        keep.pop(int(np.argmin(model.coef_[0])))
    raw = np.zeros(x.shape[1])
    raw[keep] = model.coef_[0] / std
    intercept = float(model.intercept_[0] - np.sum(model.coef_[0] * mean / std))
    p = 1 / (1 + np.exp(-(intercept + x @ raw)))
    pt, yt = p[test], y[test]
    weights = np.zeros(len(FEATURE_NAMES))
    weights[cols] = raw
    print(f"\n== {name}; features: {', '.join(FEATURE_NAMES)}")
    print(f"COEF = ({', '.join(f'{v:.4f}' for v in [intercept, *weights])})")
    base = float(np.mean((yt.mean() - yt) ** 2))
    print(
        f"held-out: Brier {np.mean((pt - yt) ** 2):.4f} (base rate {base:.4f}), "
        f"ECE {ece(pt, yt):.4f}, AUROC right-vs-not {auroc(pt, yt == 1):.4f}"
    )
    for name in sorted(set(sets)):
        sel = test & (sets == name)
        right = sel & (y == 1)
        wrong = sel & (y == 0)
        right_flagged = (p[right] < threshold).mean() if right.any() else 0.0
        wrong_flagged = (p[wrong] < threshold).mean() if wrong.any() else 0.0
        print(
            f"  {name:22} n={int(sel.sum()):4}  right {int(right.sum()):4} flagged "
            f"{right_flagged:.3f}  |  not right {int(wrong.sum()):4} flagged {wrong_flagged:.3f}"
        )
    nov = test & np.char.startswith(sets.astype(str), "novelty/")
    print(f"  novelty AUROC (held-out half): {auroc(p[nov], y[nov] == 1):.4f}")
    print("  threshold trade-off (held-out half): threshold, novelty not-covered flagged, "
          "novelty right flagged, full right flagged")  # fmt: skip
    full = test & np.char.startswith(sets.astype(str), "full/")
    for t in (0.3, 0.4, 0.5, 0.6, 0.7):
        print(
            f"    {t:.1f}  {(p[nov & (y == 0)] < t).mean():.3f}  "
            f"{(p[nov & (y == 1)] < t).mean():.3f}  {(p[full & (y == 1)] < t).mean():.3f}"
        )
    acc = {d[0]: p[i] for i, d in enumerate(data) if d[1] == "full/accented" and test[i]}
    for variant in ("unaccented", "shorthand"):
        other = {d[0]: p[i] for i, d in enumerate(data) if d[1] == f"full/{variant}" and test[i]}
        close = np.mean([abs(acc[q] - other[q]) <= 0.10 for q in acc if q in other])
        print(f"  confidence of {variant} within 0.10 of accented: {close:.3f}")


async def main(args: argparse.Namespace) -> None:
    settings = Settings()
    retriever, dispose = await open_eval_index(
        settings, Path(args.corpus), Path(args.workdir), print
    )
    questions = list(read_jsonl(Path(args.questions)))
    offtopic = list(read_jsonl(Path(args.offtopic)))
    phone = [q for f in args.phone for q in read_jsonl(Path(f))]
    cache = Path(args.workdir) / "calibration-examples.json"
    try:
        if args.reuse and cache.exists():
            data = [tuple(d) for d in json.loads(cache.read_text())]
        else:
            data = await asyncio.to_thread(collect, retriever, questions, offtopic, phone)
            cache.write_text(json.dumps(data))
    finally:
        await dispose()
    starter_cache = Path(args.workdir) / "calibration-starter-examples.json"
    if args.reuse and starter_cache.exists():
        data += [tuple(d) for d in json.loads(starter_cache.read_text())]
    else:
        with tempfile.TemporaryDirectory() as tmp:
            starter = await open_starter_index(settings, Path(tmp))
            try:
                more = await asyncio.to_thread(starter_examples, starter)
            finally:
                await starter.dispose()
        starter_cache.write_text(json.dumps(more))
        data += more
    every = [i for i, n in enumerate(FEATURE_NAMES) if n not in args.without.split(",")]
    shares = {"starter": args.starter_share, "phone": args.phone_share}
    fit(data, settings.novel_threshold, every, "hybrid", shares)
    # Lexical-only mode has no cosines: the same examples without the dense signals (an
    # approximation: without a model the first stage itself ranks by BM25 alone).
    lexical = [i for i in every if FEATURE_NAMES[i] not in DENSE_ONLY]
    fit(data, settings.novel_threshold, lexical, "lexical-only", shares)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--questions", required=True)
    parser.add_argument("--offtopic", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--without", default="", help="Features left out (comma-separated)")
    parser.add_argument("--phone", nargs="*", default=[], help="Phone-typed sets to fit on")
    parser.add_argument(
        "--phone-share", type=float, default=0.25, help="Their weight, as a share of the others'"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="Refit on the examples of the last run (same code)"
    )
    parser.add_argument(
        "--starter-share",
        type=float,
        default=0.25,
        help="Weight of the starter knowledge base's questions, as a share of the others'",
    )
    asyncio.run(main(parser.parse_args()))
