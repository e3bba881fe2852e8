"""Pinpoint accuracy: does the answer lead with the clause (khoản/điểm) that answers?

    .venv/bin/python benchmarks/eval_pinpoint.py [--questions benchmarks/pinpoint_questions.jsonl]

The labelled set (benchmarks/pinpoint_questions.jsonl) was written by hand for this product:
34 questions against the bundled starter knowledge base (our own sample text), each labelled
with the document number, Điều, khoản and điểm that answer it. The questions paraphrase the
clause rather than copy it. Each is also run folded (no diacritics), as typed on a phone.
The starter knowledge base is seeded into a throwaway database; every question goes through
`Retriever.search`, as the bot's does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from core.config import Settings
from core.db import create_engine, create_sessionmaker, unit_of_work
from core.migrate import upgrade
from core.text import fold
from knowledge import service as kb
from knowledge.models import Document
from retrieval.models import SearchRequest
from retrieval.service import Retriever


async def main(args: argparse.Namespace, questions: list[dict[str, Any]]) -> None:
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
            for variant in ("accented", "folded"):
                art = pin = 0
                for q in questions:
                    text = fold(q["text"]) if variant == "folded" else q["text"]
                    resp = await retriever.search(SearchRequest(query=text, k=3))
                    if not resp.hits:
                        continue
                    top = resp.hits[0]
                    if numbers.get(top.document_id) != q["doc"] or top.article != q["article"]:
                        if args.verbose:
                            print("  article miss:", text, "->", top.lead_citation)
                        continue
                    art += 1
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
                    f"pinpoint_dense={dense!s:5} {variant:8}: article right {art}/{n} "
                    f"({art / n:.2f}); clause right {pin}/{n} ({pin / n:.2f}), "
                    f"{pin}/{art} of the right articles"
                )
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--questions",
        default=str(Path(__file__).resolve().parent / "pinpoint_questions.jsonl"),
    )
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    rows = [json.loads(line) for line in Path(args.questions).read_text().splitlines()]
    asyncio.run(main(args, rows))
