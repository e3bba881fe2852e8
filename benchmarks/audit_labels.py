"""Audit a retrieval set's answer key, then score `troly eval` results on it strictly and audited.

    .venv/bin/python benchmarks/audit_labels.py --corpus ../shared/data/alqac25/corpus.jsonl \
        --questions ../shared/data/alqac25/questions.jsonl --results /tmp/run.accented.jsonl

A question is flagged when a run of at least `--long` consecutive syllables of its text appears
verbatim in an article it is not labelled with, while no labelled article shares even a run of
`--short` syllables with it. A run found in more than `--boilerplate` articles is stock wording
("theo quy định của pháp luật") and does not count. Such a question restates a sentence of
another article, so that article answers it: a statement "X có thời hạn là 10 năm, đúng hay
sai?" copied from one article but labelled with another. The rule reads only the question and
the corpus, never a ranking, and it only adds answers; no label is removed. Both scores are
printed, and the strict one stays the number of record.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from retrieval.evaluation import RankMetrics, first_relevant, read_jsonl

_WORD = re.compile(r"\w+")


def syllables(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def runs(words: list[str], n: int) -> Iterator[tuple[str, ...]]:
    return (tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def audit(
    corpus: list[dict[str, Any]],
    questions: list[dict[str, Any]],
    long: int,
    short: int,
    boilerplate: int,
) -> dict[str, set[str]]:
    """Question id -> articles that restate it verbatim although it is labelled elsewhere."""
    index: dict[int, defaultdict[tuple[str, ...], set[str]]] = {
        n: defaultdict(set) for n in (long, short)
    }
    for art in corpus:
        words = syllables(f"{art['title']} {art['text']}")
        for n in (long, short):
            for run in runs(words, n):
                index[n][run].add(art["id"])
    extra: dict[str, set[str]] = {}
    for q in questions:
        words, labelled = syllables(q["text"]), set(q["relevant"])
        near = {a for run in runs(words, short) for a in index[short].get(run, ())}
        if near & labelled:
            continue
        restating = {
            a
            for run in runs(words, long)
            if len(found := index[long].get(run, ())) <= boilerplate
            for a in found
        }
        if restating:
            extra[q["id"]] = restating
    return extra


def score(results: list[dict[str, Any]], key: dict[str, set[str]]) -> str:
    m = RankMetrics.of((first_relevant(r["results"], key[r["id"]]) for r in results), len(results))
    return (
        f"Hit@1 {m.share(1):.4f} ({m.hits[1]}) Hit@5 {m.share(5):.4f} ({m.hits[5]}) "
        f"Hit@10 {m.share(10):.4f} MRR@10 {m.mrr10:.4f}"
    )


def main(args: argparse.Namespace) -> None:
    corpus, questions = list(read_jsonl(Path(args.corpus))), list(read_jsonl(Path(args.questions)))
    extra = audit(corpus, questions, args.long, args.short, args.boilerplate)
    labels = {q["id"]: q["relevant"] for q in questions}
    print(f"{len(extra)} of {len(questions)} questions restate an article not among their labels")
    for qid, arts in extra.items():
        print(f"  {qid}: labelled {', '.join(labels[qid])}; restates {', '.join(sorted(arts))}")
    strict = {qid: set(rel) for qid, rel in labels.items()}
    audited = {qid: rel | extra.get(qid, set()) for qid, rel in strict.items()}
    for path in args.results:
        results = list(read_jsonl(Path(path)))
        print(f"{path}\n  strict : {score(results, strict)}\n  audited: {score(results, audited)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--questions", required=True)
    parser.add_argument("--results", nargs="+", required=True, help="troly eval --out files")
    parser.add_argument("--long", type=int, default=14, help="syllables restated verbatim")
    parser.add_argument("--short", type=int, default=10, help="run the labels must lack")
    parser.add_argument(
        "--boilerplate", type=int, default=3, help="a run in more articles is stock wording"
    )
    main(parser.parse_args())
