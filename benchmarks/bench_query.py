"""End-to-end query latency with its per-stage breakdown (run it alone on the machine).

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_query.py \
        --corpus ../shared/data/alqac25/corpus.jsonl \
        --questions ../shared/data/alqac25/questions.jsonl --workdir /tmp/troly-eval-alqac

Every question goes through `Retriever.search` (revision check, filters, understanding and
query encoding, first stage + reranking, reading the hits, pinpointing) exactly as the bot
calls it, one at a time, with torch on one thread. Each configuration is run in the same
process, one after the other, so their ratios are comparable.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

from bot import render
from core.answers.service import snapshot
from core.config import Settings
from core.text import fold
from retrieval.evaluation import open_eval_index, percentile, read_jsonl
from retrieval.models import SearchRequest

CONFIGS = {
    "shipped (rerank 30, lexical pinpoint)": {},
    "dense pinpoint on": {"pinpoint_dense": True},
    "no reranking": {"rerank_depth": 0},
}


async def main(args: argparse.Namespace) -> None:
    torch.set_num_threads(1)
    settings = Settings()
    retriever, dispose = await open_eval_index(
        settings, Path(args.corpus), Path(args.workdir), print
    )
    questions = [q["text"] for q in read_jsonl(Path(args.questions))][: args.limit]
    questions += [fold(q) for q in questions]  # phone-typed half
    try:
        for name, change in CONFIGS.items():
            retriever.settings = settings.model_copy(update=change)
            await retriever.search(SearchRequest(query=questions[0]))  # warm-up
            totals: list[float] = []
            stages: dict[str, list[float]] = {}
            lengths: list[float] = []
            with_clauses = cited_clause = 0
            for q in questions:
                start = time.perf_counter()
                resp = await retriever.search(SearchRequest(query=q, k=5))
                totals.append((time.perf_counter() - start) * 1000)
                for stage, ms in resp.timings.items():
                    stages.setdefault(stage, []).append(ms)
                if not resp.hits:
                    continue
                # The Telegram message the bot would send for this answer.
                passages = [snapshot(h, lead=i == 0) for i, h in enumerate(resp.hits)]
                understood = resp.understood
                text = render.answer(
                    passages, confidence=resp.confidence, novel=resp.novel,
                    understood=understood.text if understood and understood.changed else None,
                )  # fmt: skip
                lengths.append(float(len(text)))
                if "\n1. " in "\n" + resp.hits[0].article_text:  # the article has khoản
                    with_clauses += 1
                    cited_clause += ", khoản " in resp.hits[0].lead_citation
            print(
                f"{name}: {len(totals)} questions, end to end p50 {percentile(totals, 50):.1f} "
                f"ms, p95 {percentile(totals, 95):.1f} ms"
            )
            print(
                f"    answer message: p50 {percentile(lengths, 50):.0f} chars, p95 "
                f"{percentile(lengths, 95):.0f}, max {max(lengths):.0f}; cites the khoản in "
                f"{cited_clause}/{with_clauses} answers whose article has khoản"
            )
            for stage, values in stages.items():
                print(
                    f"    {stage:18} p50 {percentile(values, 50):6.1f} ms  "
                    f"p95 {percentile(values, 95):6.1f} ms"
                )
    finally:
        await dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--questions", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--limit", type=int, default=300)
    asyncio.run(main(parser.parse_args()))
