"""`troly eval`: measure retrieval on a labelled question set in a throwaway index.

The corpus is imported through the knowledge base's own JSONL importer into a temporary
SQLite database and data dir, and every question (its text only) goes through the same
`Retriever.search` the bot uses. The live knowledge base is never touched.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config import Settings
from core.db import create_engine, create_sessionmaker, unit_of_work
from core.migrate import upgrade
from core.text import fold
from retrieval.models import SearchRequest, SearchResponse
from retrieval.novelty import NoveltyReport, novelty_report
from retrieval.service import Retriever
from retrieval.shorthand import to_shorthand

Progress = Callable[[str], Any]


VARIANTS = ("accented", "unaccented", "shorthand")


@dataclass(frozen=True)
class EvalReport:
    """Aggregate quality and latency of one eval run (one variant of the questions)."""

    questions: int
    chunks: int
    mode: str
    hit1: float
    hit5: float
    hit10: float
    mrr10: float
    p50_ms: float
    p95_ms: float
    variant: str = "accented"
    flagged: float = 0.0  # share of questions flagged "not covered"
    confidences: dict[str, float] = field(default_factory=dict, repr=False)  # by question id

    def consistent_with(self, other: EvalReport, within: float = 0.10) -> float:
        """Share of questions whose confidence is within `within` of the other run's."""
        common = self.confidences.keys() & other.confidences.keys()
        if not common:
            return 0.0
        close = sum(abs(self.confidences[q] - other.confidences[q]) <= within for q in common)
        return close / len(common)


def as_variant(text: str, variant: str) -> str:
    """A question as an official might type it: as is, without diacritics, or in phone
    shorthand (common words abbreviated from the one shorthand dictionary, then folded)."""
    if variant == "accented":
        return text
    if variant == "unaccented":
        return fold(text)
    if variant == "shorthand":
        return fold(to_shorthand(text))
    raise ValueError(f"unknown variant {variant!r}")


@dataclass(frozen=True)
class RankMetrics:
    """Hit@k and MRR@10 over a question set, from each question's first relevant rank."""

    hits: dict[int, int]  # questions with a relevant result within the top k, per k in CUTS
    mrr10: float  # mean reciprocal rank, counting only ranks within the top 10
    total: int

    CUTS = (1, 5, 10)

    @classmethod
    def of(cls, ranks: Iterable[int | None], total: int) -> RankMetrics:
        """`ranks`: 0-based rank of the first relevant result per question (None: not found);
        `total`: questions asked (those with no ranking count as misses)."""
        hits = dict.fromkeys(cls.CUTS, 0)
        mrr = 0.0
        for rank in ranks:
            if rank is None:
                continue
            for cut in hits:
                hits[cut] += rank < cut
            mrr += 1.0 / (rank + 1) if rank < 10 else 0.0
        n = max(total, 1)
        return cls(hits, mrr / n, total)

    def share(self, cut: int) -> float:
        return self.hits[cut] / max(self.total, 1)


def first_relevant(ranked: Iterable[str], relevant: set[str]) -> int | None:
    """0-based position of the first relevant id in a ranking (None: none of them)."""
    return next((i for i, rid in enumerate(ranked) if rid in relevant), None)


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Rows of a JSON-lines file (blank lines skipped)."""
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def result_ids(resp: SearchResponse) -> list[str]:
    """External ids of the hits, best first, deduplicated (citation when there is no id)."""
    out: list[str] = []
    for hit in resp.hits:
        key = hit.external_id or hit.citation
        if key not in out:
            out.append(key)
    return out


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 100])."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, round(q / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


async def import_corpus(settings: Settings, corpus: Path) -> None:
    """Import a JSONL corpus into the database named by settings (a fresh one)."""
    from knowledge import service as kb
    from knowledge.importers import parse_documents

    documents = await asyncio.to_thread(
        parse_documents, corpus, chunk_words=settings.chunk_words, chunk_step=settings.chunk_step
    )
    engine = create_engine(settings.resolved_database_url)
    try:
        await upgrade(engine)
        async with unit_of_work(create_sessionmaker(engine)) as session:
            await kb.import_documents(session, documents)
    finally:
        await engine.dispose()


async def evaluate(
    retriever: Retriever,
    questions: list[dict[str, Any]],
    *,
    k: int,
    out: Path | None = None,
    variant: str = "accented",
) -> EvalReport:
    """Send each question's text through retriever.search and score against `relevant`."""
    ranks: list[int | None] = []
    flagged = 0
    latencies: list[float] = []
    lines: list[str] = []
    confidences: dict[str, float] = {}
    for q in questions:
        start = time.perf_counter()
        resp = await retriever.search(SearchRequest(query=as_variant(q["text"], variant), k=k))
        latencies.append((time.perf_counter() - start) * 1000)
        ranked = result_ids(resp)
        confidences[str(q["id"])] = resp.confidence
        flagged += resp.novel
        ranks.append(first_relevant(ranked, set(q.get("relevant") or [])))
        lines.append(
            json.dumps(
                {
                    "id": q["id"],
                    "variant": variant,
                    "understood": resp.understood.text if resp.understood else None,
                    "results": ranked,
                    "confidence": resp.confidence,
                    "novel": resp.novel,
                },
                ensure_ascii=False,
            )
        )
    if out is not None:
        body = "\n".join(lines) + ("\n" if lines else "")
        await asyncio.to_thread(out.write_text, body, encoding="utf-8")
    n = max(len(questions), 1)
    metrics = RankMetrics.of(ranks, len(questions))
    status = retriever.status()
    return EvalReport(
        questions=len(questions),
        chunks=status.chunks,
        mode=status.mode,
        hit1=metrics.share(1),
        hit5=metrics.share(5),
        hit10=metrics.share(10),
        mrr10=metrics.mrr10,
        p50_ms=percentile(latencies, 50),
        p95_ms=percentile(latencies, 95),
        variant=variant,
        flagged=flagged / n,
        confidences=confidences,
    )


@dataclass(frozen=True)
class EvalRun:
    """Every variant's report, and the novelty protocol's when it was asked for."""

    reports: list[EvalReport]
    novelty: NoveltyReport | None


async def run_eval(
    settings: Settings,
    corpus: Path,
    questions: Path,
    *,
    k: int = 10,
    out: Path | None = None,
    progress: Progress | None = None,
    workdir: Path | None = None,
    variants: tuple[str, ...] = ("accented",),
    novelty: bool = False,
) -> EvalRun:
    """Build a throwaway index from `corpus` and evaluate `questions` against it.

    `workdir` keeps the throwaway database and index between runs (benchmarks re-run many
    questions against one corpus); by default a temporary directory is used and removed.
    """
    rows = list(read_jsonl(questions))

    async def run(retriever: Retriever) -> EvalRun:
        reports = []
        for v in variants:
            path = out.with_suffix(f".{v}{out.suffix}") if out and len(variants) > 1 else out
            reports.append(await evaluate(retriever, rows, k=k, out=path, variant=v))
        report = await asyncio.to_thread(novelty_report, retriever, rows) if novelty else None
        return EvalRun(reports, report)

    if workdir is not None:
        retriever, dispose = await open_eval_index(settings, corpus, workdir, progress)
        try:
            return await run(retriever)
        finally:
            await dispose()
    with tempfile.TemporaryDirectory(prefix="troly-eval-") as tmp:
        retriever, dispose = await open_eval_index(settings, corpus, Path(tmp), progress)
        try:
            return await run(retriever)
        finally:
            await dispose()


def _imported_stamp(corpus: Path, workdir: Path) -> str | None:
    """None when workdir already holds this exact corpus; else its stamp (old DB removed)."""
    stat = corpus.stat()
    stamp = f"{corpus.resolve()} {stat.st_size} {stat.st_mtime_ns}"
    marker = workdir / "corpus.txt"
    if marker.exists() and marker.read_text() == stamp:
        return None
    (workdir / "troly.db").unlink(missing_ok=True)
    return stamp


def _throwaway(settings: Settings, workdir: Path) -> Settings:
    """Settings for a knowledge base of its own under `workdir`, sharing the built model."""
    temp = settings.model_copy(
        update={
            "data_dir": workdir,
            "database_url": "",
            "models_dir": settings.resolved_models_dir.resolve(),
        }
    )
    temp.ensure_dirs()
    return temp


async def open_eval_index(
    settings: Settings, corpus: Path, workdir: Path, progress: Progress | None = None
) -> tuple[Retriever, Callable[[], Awaitable[None]]]:
    """A retriever over `corpus` imported into its own database under `workdir`."""
    say = progress or (lambda _msg: None)
    temp = _throwaway(settings, workdir)
    started = time.perf_counter()
    stamp = await asyncio.to_thread(_imported_stamp, corpus, workdir)
    if stamp is not None:
        say(f"Importing {corpus} into a throwaway knowledge base in {workdir}…")
        await import_corpus(temp, corpus)
        await asyncio.to_thread((workdir / "corpus.txt").write_text, stamp)
    engine = create_engine(temp.resolved_database_url)
    retriever = await Retriever.create(temp, create_sessionmaker(engine))
    say(
        f"Indexed {retriever.status().chunks} chunks in {time.perf_counter() - started:.0f} s "
        f"({retriever.mode})."
    )
    return retriever, engine.dispose


@dataclass(frozen=True)
class StarterIndex:
    """A retriever over the bundled starter knowledge base, for hand-labelled question sets
    (benchmarks/*_questions.jsonl name the answer by document number and Điều)."""

    retriever: Retriever
    numbers: dict[int, str]  # document id -> its number ("MAU-01/TLCS")
    dispose: Callable[[], Awaitable[None]]

    def answers(self, document_id: int, article: str | None, q: dict[str, Any]) -> bool:
        """Whether that article of that document is the one labelled in `q` ("doc", "article";
        never, for a question labelled with none)."""
        doc = q.get("doc")
        return doc is not None and self.numbers.get(document_id) == doc and article == q["article"]


async def open_starter_index(settings: Settings, workdir: Path) -> StarterIndex:
    """The starter knowledge base seeded into a fresh database under `workdir`, indexed."""
    from sqlalchemy import select

    from knowledge import service as kb
    from knowledge.models import Document

    temp = _throwaway(settings, workdir)
    engine = create_engine(temp.resolved_database_url)
    await upgrade(engine)
    sm = create_sessionmaker(engine)
    async with unit_of_work(sm) as session:
        await kb.seed_starter(session, chunk_words=temp.chunk_words, chunk_step=temp.chunk_step)
        docs = await session.scalars(select(Document))
        numbers = {d.id: d.number or "" for d in docs}
    retriever = await Retriever.create(temp, sm)
    return StarterIndex(retriever, numbers, engine.dispose)
