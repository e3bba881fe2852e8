"""Pinpoint accuracy and honest confidence on the starter knowledge base, as officials ask.

    .venv/bin/python benchmarks/eval_pinpoint.py [--verbose]

Four hand-written sets against the bundled starter knowledge base (our own sample text), all
in benchmarks/ (STARTER_SETS; `benchmarks/calibrate.py` also fits on them):
- pinpoint_questions.jsonl: 34 well-formed questions, each labelled with the document number,
  Điều, khoản and điểm that answer it. They paraphrase the clause rather than copy it. Each is
  also asked without diacritics and in phone shorthand.
- phone_questions.jsonl: 65 questions typed as officials type on a phone (no diacritics,
  shorthand the dictionary does not all know, dropped words), labelled with document and Điều.
- starter_uncovered_questions.jsonl (20, well-formed, also asked in the two other forms) and
  phone_uncovered_questions.jsonl (20, phone-typed): questions a commune official plausibly
  asks that the starter knowledge base does not answer (leave days, fees, land procedures...).
  Several share words with a general clause ("tiếp công dân", "hòa giải tranh chấp đất đai").

Per set and form: how often the right article comes first, how often the answer leads with the
labelled clause, how many right answers are flagged "not covered", and how many uncovered
questions are not: the two sides of the threshold, on short questions unlike the development
set's. Every question goes through `Retriever.search`, as the bot's does.
Run with TROLY_PINPOINT_DENSE=true to measure the clause choice by meaning as well.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from core.config import Settings
from retrieval.evaluation import VARIANTS, StarterIndex, as_variant, open_starter_index, read_jsonl
from retrieval.models import SearchRequest

HERE = Path(__file__).resolve().parent
# (file, forms each question is asked in): phone sets are already typed as on a phone.
STARTER_SETS = (
    ("pinpoint_questions.jsonl", VARIANTS),
    ("phone_questions.jsonl", ("accented",)),
    ("starter_uncovered_questions.jsonl", VARIANTS),
    ("phone_uncovered_questions.jsonl", ("accented",)),
)


def set_name(file: str) -> str:
    """A set's name in reports and calibration example ids ("phone" for phone_questions.jsonl)."""
    return file.removesuffix("_questions.jsonl")


def want(q: dict[str, Any]) -> str | None:
    """The citation tail the answer should lead with, when the clause is labelled."""
    if "clause" not in q:
        return None
    parts = [f"Điều {q['article']}"]
    parts += [f"khoản {q['clause']}"] if q["clause"] else []
    parts += [f"điểm {q['point']}"] if q.get("point") else []
    return ", ".join(parts)


async def covered(
    starter: StarterIndex, name: str, rows: list[dict[str, Any]], variant: str, verbose: bool
) -> str:
    art = pin = labelled = flagged = 0
    for q in rows:
        text = as_variant(q["text"], variant)
        resp = await starter.retriever.search(SearchRequest(query=text, k=3))
        top = resp.hits[0] if resp.hits else None
        if top is None or not starter.answers(top.document_id, top.article, q):
            if verbose:
                got = top.lead_citation if top is not None else "-"
                print(f"  article miss: {text} -> {got}")
            continue
        art += 1
        flagged += resp.novel
        if verbose and resp.novel:
            print(f"  right but flagged ({resp.confidence:.2f}): {text}")
        tail = want(q)
        if tail is not None:
            labelled += 1
            pin += top.lead_citation.endswith(tail)
            if verbose and not top.lead_citation.endswith(tail):
                print(f"  clause miss: {text} -> {top.lead_citation}, want {tail}")
    clause = f"; clause right {pin}/{labelled}" if labelled else ""
    return (
        f"{name:18} {variant:10}: article right {art}/{len(rows)}{clause}; "
        f"right answers flagged {flagged}/{art}"
    )


async def uncovered(
    starter: StarterIndex, name: str, rows: list[dict[str, Any]], variant: str, verbose: bool
) -> str:
    confs: list[float] = []
    for q in rows:
        resp = await starter.retriever.search(
            SearchRequest(query=as_variant(q["text"], variant), k=3)
        )
        confs.append(resp.confidence)
        if verbose and not resp.novel:
            print(f"  uncovered but answered ({resp.confidence:.2f}): {q['text']}")
    limit = starter.retriever.settings.novel_threshold
    return (
        f"{name:18} {variant:10}: flagged {sum(c < limit for c in confs)}/{len(confs)}, "
        f"highest confidence {max(confs, default=0.0):.2f}"
    )


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        starter = await open_starter_index(Settings(), Path(tmp))
        try:
            for file, variants in STARTER_SETS:
                rows = list(read_jsonl(HERE / file))
                name = set_name(file)
                run = covered if any("doc" in q for q in rows) else uncovered
                for variant in variants:
                    print(await run(starter, name, rows, variant, args.verbose))
        finally:
            await starter.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--verbose", action="store_true")
    asyncio.run(main(parser.parse_args()))
