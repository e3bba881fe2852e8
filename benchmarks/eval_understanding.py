"""How well query understanding reads phone-typed questions: restored text against what the
official meant.

    .venv/bin/python benchmarks/eval_understanding.py --corpus ../shared/data/alqac25/corpus.jsonl \
        --workdir /tmp/troly-eval-alqac [--verbose]

Every phone set in benchmarks/ carries, per question, an "intended" form written by hand: the
same words with their diacritics and the shorthand spelled out ("ly hon r van o chung nha" ->
"ly hôn rồi vẫn ở chung nhà"). Questions over the starter knowledge base are understood with the
starter index's diacritic model, the others with the development corpus's (as the bot would).

Reported per set:
- questions read exactly as meant (every word, marks included);
- syllable accuracy over the questions whose words line up (same folded spelling and count);
- questions whose words do not line up: a shorthand read differently, or left as typed.

`--questions` adds the development questions themselves, folded (diacritics removed) and read
back: long, well-formed legal questions, the opposite end from the phone sets.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.config import Settings
from core.text import fold, normalize
from retrieval.evaluation import as_variant, open_eval_index, open_starter_index, read_jsonl
from retrieval.restore import DiacriticModel
from retrieval.understand import understand

HERE = Path(__file__).resolve().parent
STARTER = ("phone_questions.jsonl", "phone_uncovered_questions.jsonl")
DEVELOPMENT = (
    "phone_alqac_questions.jsonl",
    "phone_alqac_uncovered.jsonl",
    "phone_alqac_fit.jsonl",
    "phone_alqac_fit_uncovered.jsonl",
)
_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    return _WORD.findall(normalize(text).lower())


def score_set(
    model: DiacriticModel, rows: list[dict[str, Any]], verbose: bool
) -> tuple[int, int, int, int, int]:
    """(exact, aligned syllables right, aligned syllables, misaligned questions, questions)."""
    exact = right = total = misaligned = 0
    for q in rows:
        got, want = words(understand(q["text"], model).text), words(q["intended"])
        if got == want:
            exact += 1
        if [fold(w) for w in got] != [fold(w) for w in want]:
            misaligned += 1
            if verbose:
                read, meant = " ".join(got), " ".join(want)
                print(f"  words differ: {q['text']!r} -> {read!r}, meant {meant!r}")
            continue
        total += len(want)
        right += sum(g == w for g, w in zip(got, want, strict=True))
        if verbose and got != want:
            wrong = [f"{g}≠{w}" for g, w in zip(got, want, strict=True) if g != w]
            print(f"  marks: {' '.join(got)!r}: {', '.join(wrong)}")
    return exact, right, total, misaligned, len(rows)


def report(name: str, counts: tuple[int, int, int, int, int]) -> str:
    exact, right, total, misaligned, n = counts
    return (
        f"{name:32} exact {exact}/{n} ({exact / n:.2f}); syllables {right}/{total} "
        f"({right / max(total, 1):.3f}); words differ {misaligned}/{n}"
    )


async def main(args: argparse.Namespace) -> None:
    settings = Settings()
    sums = [0, 0, 0, 0, 0]
    with tempfile.TemporaryDirectory() as tmp:
        starter = await open_starter_index(settings, Path(tmp))
        dev, dispose = await open_eval_index(settings, Path(args.corpus), Path(args.workdir))
        try:
            for files, retriever in ((STARTER, starter.retriever), (DEVELOPMENT, dev)):
                state = retriever._state
                assert state is not None
                for file in files:
                    if args.verbose:
                        print(file)
                    rows = list(read_jsonl(HERE / file))
                    counts = score_set(state.diacritics, rows, args.verbose)
                    sums = [a + b for a, b in zip(sums, counts, strict=True)]
                    print(report(file, counts))
            print(report("all", (sums[0], sums[1], sums[2], sums[3], sums[4])))
            if args.questions:
                state = dev._state
                assert state is not None
                rows = [
                    {"text": as_variant(q["text"], "unaccented"), "intended": q["text"]}
                    for q in read_jsonl(Path(args.questions))
                ]
                print(report("development, folded", score_set(state.diacritics, rows, False)))
        finally:
            await starter.dispose()
            await dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--questions", help="Development questions, read back folded")
    parser.add_argument("--verbose", action="store_true")
    asyncio.run(main(parser.parse_args()))
