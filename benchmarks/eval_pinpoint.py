"""Pinpoint accuracy and honest confidence on the starter knowledge base, as officials ask.

    .venv/bin/python benchmarks/eval_pinpoint.py [--questions benchmarks/pinpoint_questions.jsonl]
        [--uncovered benchmarks/starter_uncovered_questions.jsonl]

The labelled set (benchmarks/pinpoint_questions.jsonl) was written by hand for this product:
34 questions against the bundled starter knowledge base (our own sample text), each labelled
with the document number, Điều, khoản and điểm that answer it. The questions paraphrase the
clause rather than copy it. Each is also run without diacritics and in phone shorthand.

The uncovered set (benchmarks/starter_uncovered_questions.jsonl), also written by hand, holds
20 questions a commune official plausibly asks that the starter knowledge base does not answer
(leave days, fees, land procedures...). Several share words with a general clause ("tiếp công
dân", "hòa giải tranh chấp đất đai"), which is what makes them hard. Per variant the script
reports how many right answers are flagged "not covered" and how many uncovered questions are
not: the two sides of the threshold, on short questions unlike the development set's.

The starter knowledge base is seeded into a throwaway database; every question goes through
`Retriever.search`, as the bot's does.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from core.config import Settings
from core.db import create_engine, create_sessionmaker, unit_of_work
from core.migrate import upgrade
from knowledge import service as kb
from knowledge.models import Document
from retrieval.evaluation import as_variant, read_jsonl
from retrieval.models import SearchRequest
from retrieval.service import Retriever

VARIANTS = ("accented", "unaccented", "shorthand")


async def main(
    args: argparse.Namespace, questions: list[dict[str, Any]], uncovered: list[dict[str, Any]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Settings()
        settings = base.model_copy(
            update={
                "data_dir": Path(tmp),
                "database_url": "",
                "models_dir": base.resolved_models_dir.resolve(),
            }
        )
        settings.ensure_dirs()
        engine = create_engine(settings.resolved_database_url)
        await upgrade(engine)
        sm = create_sessionmaker(engine)
        async with unit_of_work(sm) as session:
            await kb.seed_starter(
                session, chunk_words=settings.chunk_words, chunk_step=settings.chunk_step
            )
            numbers = {d.id: d.number for d in await session.scalars(select(Document))}
        retriever = await Retriever.create(settings, sm)
        for dense in (False, True)[: 1 if args.verbose else 2]:
            retriever.settings = settings.model_copy(update={"pinpoint_dense": dense})
            for variant in VARIANTS:
                art = pin = right_flagged = 0
                for q in questions:
                    text = as_variant(q["text"], variant)
                    resp = await retriever.search(SearchRequest(query=text, k=3))
                    if not resp.hits:
                        continue
                    top = resp.hits[0]
                    if numbers.get(top.document_id) != q["doc"] or top.article != q["article"]:
                        if args.verbose:
                            print("  article miss:", text, "->", top.lead_citation)
                        continue
                    art += 1
                    right_flagged += resp.novel
                    if args.verbose and resp.novel:
                        print(f"  right but flagged ({resp.confidence:.2f}):", text)
                    want = ", ".join(
                        [f"Điều {q['article']}"]
                        + ([f"khoản {q['clause']}"] if q["clause"] else [])
                        + ([f"điểm {q['point']}"] if q["point"] else [])
                    )
                    pin += top.lead_citation.endswith(want)
                    if args.verbose and not top.lead_citation.endswith(want):
                        print("  clause miss:", text, "->", top.lead_citation, "want", want)
                n = len(questions)
                print(
                    f"pinpoint_dense={dense!s:5} {variant:10}: article right {art}/{n} "
                    f"({art / n:.2f}); clause right {pin}/{n} ({pin / n:.2f}), "
                    f"{pin}/{art} of the right articles; flagged {right_flagged}/{art} of them"
                )
        retriever.settings = settings
        for variant in VARIANTS:
            confs: list[float] = []
            for q in uncovered:
                text = as_variant(q["text"], variant)
                resp = await retriever.search(SearchRequest(query=text, k=3))
                confs.append(resp.confidence)
                if args.verbose and not resp.novel:
                    print(f"  uncovered but answered ({resp.confidence:.2f}):", q["text"])
            flagged = sum(c < settings.novel_threshold for c in confs)
            print(
                f"uncovered {variant:10}: flagged {flagged}/{len(confs)}, "
                f"highest confidence {max(confs, default=0.0):.2f}"
            )
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--questions",
        default=str(Path(__file__).resolve().parent / "pinpoint_questions.jsonl"),
    )
    parser.add_argument(
        "--uncovered",
        default=str(Path(__file__).resolve().parent / "starter_uncovered_questions.jsonl"),
    )
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    rows = list(read_jsonl(Path(args.questions)))
    asyncio.run(main(args, rows, list(read_jsonl(Path(args.uncovered)))))
