"""Run several fusion settings over one throwaway eval index (built once, reused).

    .venv/bin/python benchmarks/eval_variants.py --corpus ../shared/data/alqac25/corpus.jsonl \
        --questions ../shared/data/alqac25/questions.jsonl --workdir /tmp/troly-eval-alqac \
        --weights 0.5,0.6,0.7,0.8 --candidates 50

Every variant goes through `retrieval.evaluation.evaluate`, i.e. Retriever.search, exactly as
`troly eval` does; only the settings differ. Used to fill the tables in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.config import Settings
from retrieval import engine
from retrieval.evaluation import evaluate, open_eval_index, read_jsonl


async def main(args: argparse.Namespace) -> None:
    settings = Settings()
    retriever, dispose = await open_eval_index(
        settings, Path(args.corpus), Path(args.workdir), print
    )
    questions = list(read_jsonl(Path(args.questions)))
    try:
        for weight in [float(w) for w in args.weights.split(",")]:
            for cand in [int(c) for c in args.candidates.split(",")]:
                for article in [False, True] if args.article == "both" else [args.article == "on"]:
                    engine.ARTICLE_FUSION = article
                    retriever.settings = settings.model_copy(
                        update={"dense_weight": weight, "candidates": cand}
                    )
                    r = await evaluate(retriever, questions, k=10)
                    print(
                        f"w={weight:.2f} cand={cand} article_fusion={article} | "
                        f"H1 {r.hit1:.4f} H5 {r.hit5:.4f} H10 {r.hit10:.4f} "
                        f"MRR {r.mrr10:.4f} | p50 {r.p50_ms:.1f} ms p95 {r.p95_ms:.1f} ms",
                        flush=True,
                    )
    finally:
        await dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--questions", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--weights", default="0.7")
    parser.add_argument("--candidates", default="50")
    parser.add_argument("--article", choices=["on", "off", "both"], default="on")
    asyncio.run(main(parser.parse_args()))
