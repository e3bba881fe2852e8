"""Scale-out benchmarks (issue 13): `troly run --role api` on PostgreSQL + Redis, real model.

`api` starts, in turn, one process, one process with `--workers 2`, and two replicas (two
`troly run` processes on their own ports and data directories, requests alternating between
them), all on one scratch PostgreSQL database and one Redis database. Against each it runs the
`api_bench.py` read and search scenarios with one client, then with `--clients` clients (the
ratio to the single client of the same run is printed), and a questions-per-second probe:
closed loop is the search scenario at `--clients`; open loop sends `--rate` searches a second
on a fixed schedule, whatever the answers' pace, and reports p50/p95.

`kb100k` fills a scratch PostgreSQL database with `--chunks` synthetic chunks and persists a
matching index snapshot (tokens recombined from a tokenised pool and random unit vectors, as
in `bench_retrieval.py latency`; a flat index costs the same whatever the vectors), then
times `troly run --role api` to /healthz and /readyz and reads its idle RSS; then imports a
small document with `troly kb import --no-index` (another process, as from another replica)
while one client searches and another pings /healthz every 50 ms, and reports the longest
request wait from the import's start until the served index has caught up.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_scaleout.py api [--quick]
    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_scaleout.py kb100k [--quick]

Both create and drop their own database on `--pg` and flush only Redis database `--redis`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import api_bench
import bench_startup
from bench_retrieval import random_dense, synthetic_chunk, synthetic_tokens

from core.config import Settings

REPO = api_bench.REPO
MODELS = Path(os.environ.get("TROLY_MODELS_DIR", REPO / "data" / "models"))
PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
REDIS = "redis://127.0.0.1:6379/11"
SECRET = "bench-scaleout-secret-key-0123456789abcdef"


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f}/{five:.1f}"


@dataclass
class Scratch:
    """A scratch PostgreSQL database and Redis database, and the env the servers get."""

    pg: str
    redis: str
    name: str = field(default_factory=lambda: f"troly_scaleout_{os.getpid()}")

    @property
    def url(self) -> str:
        return f"{self.pg.rpartition('/')[0]}/{self.name}"

    def env(self) -> dict[str, str]:
        return {
            "TROLY_DATABASE_URL": self.url,
            "TROLY_REDIS_URL": self.redis,
            "TROLY_SECRET_KEY": SECRET,
            "TROLY_API_RATE_LIMIT_PER_MINUTE": "1000000",
            "TROLY_RATE_LIMIT_PER_MINUTE": "1000000",
            "OPENBLAS_NUM_THREADS": "1",
        }

    async def __aenter__(self) -> Scratch:
        await api_bench.admin_sql(self.pg, f'CREATE DATABASE "{self.name}"')
        await self.flush()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await api_bench.admin_sql(self.pg, f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        await self.flush()

    async def flush(self) -> None:
        import redis.asyncio as redis

        client = redis.from_url(self.redis)  # type: ignore[no-untyped-call]
        await client.flushdb()  # this database number only
        await client.aclose()


def wait_all_ready(base: str, started: float, limit: float = 600.0) -> float:
    """Seconds until /readyz answered 200 on four fresh connections running (with
    `--workers 2` the kernel spreads connections over the workers, which get ready apart)."""
    streak, ready_at = 0, 0.0
    while streak < 4:
        ready_at = ready_at if streak else bench_startup.wait_for(base + "/readyz", started, limit)
        with httpx.Client(timeout=5) as fresh:
            streak = streak + 1 if fresh.get(base + "/readyz").status_code == 200 else 0
        time.sleep(0.1)
    return ready_at


@contextmanager
def servers(
    scratch: Scratch, datas: list[Path], args: tuple[str, ...] = ()
) -> Iterator[tuple[list[subprocess.Popen[bytes]], list[str]]]:
    """`troly run --role api [args]`, one per data directory, stopped on exit."""
    procs, bases = [], []
    try:
        for data in datas:
            proc, base = bench_startup.start(REPO, data, MODELS, env=scratch.env(), args=args)
            procs.append(proc)
            bases.append(base)
        yield procs, bases
    finally:
        for proc in procs:
            bench_startup.stop(proc)


# --- api ----------------------------------------------------------------------------------


async def open_loop(bases: list[str], tokens: list[str], rate: float, seconds: float) -> dict:
    """Searches fired on a fixed schedule (`rate` a second), alternating between servers."""
    latencies: list[float] = []
    errors = 0
    n = int(rate * seconds)

    async with api_bench.RoundRobin(bases, len(tokens)) as client:

        async def one(i: int) -> None:
            nonlocal errors
            q = api_bench.QUESTIONS[i % len(api_bench.QUESTIONS)]
            headers = {"Authorization": f"Bearer {tokens[i % len(tokens)]}"}
            t = time.perf_counter()
            try:
                r = await client.request(
                    "POST", "/api/v1/search", json={"query": q, "k": 3}, headers=headers
                )
                if r.status_code >= 400:
                    errors += 1
            except httpx.TransportError:
                errors += 1
                return
            latencies.append((time.perf_counter() - t) * 1000)

        started = time.perf_counter()
        tasks = []
        for i in range(n):
            delay = started + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    return {
        "n": n,
        "offered": rate,
        "done_per_s": len(latencies) / elapsed,
        "p50": statistics.median(latencies),
        "p95": api_bench.pct(latencies, 0.95),
        "max": max(latencies),
        "errors": errors,
    }


async def run_scenario(name: str, bases: list[str], cadres: list[str], rounds: int) -> dict:
    samples, elapsed, total = await api_bench.scenario(name, bases, cadres, cadres, rounds)
    return api_bench.summary(samples, elapsed, total)


async def measure_api(bases: list[str], cadres: list[str], args: argparse.Namespace) -> dict:
    # Warm every process (first searches load lazily), not counted.
    await run_scenario("search", bases, cadres[:4], 3)
    result: dict[str, object] = {"load_before": load()}
    for name, solo_rounds, rounds in (
        ("read", args.rounds * 2, args.rounds),
        ("search", args.rounds * 4, args.rounds * 2),
    ):
        solo = await run_scenario(name, bases, cadres[:1], solo_rounds)
        many = await run_scenario(name, bases, cadres, rounds)
        many["p50_ratio"] = many["p50"] / solo["p50"]
        many["p95_ratio"] = many["p95"] / solo["p50"]
        many["rps_ratio"] = many["rps"] / solo["rps"]
        result[name] = {"1": solo, str(len(cadres)): many}
        print(
            f"  {name:6} 1 client: {solo['rps']:.1f} req/s p50 {solo['p50']:.0f} ms "
            f"p95 {solo['p95']:.0f} ms | {len(cadres)} clients: {many['rps']:.1f} req/s "
            f"({many['rps_ratio']:.1f}x) p50 {many['p50']:.0f} ms ({many['p50_ratio']:.1f}x) "
            f"p95 {many['p95']:.0f} ms ({many['p95_ratio']:.1f}x the 1-client p50) "
            f"errors {many['errors']}",
            flush=True,
        )
    ol = await open_loop(bases, cadres, args.rate, args.seconds)
    result["open_loop"] = ol
    result["load_after"] = load()
    print(
        f"  open loop {ol['offered']:.0f} q/s offered for {args.seconds:.0f} s: "
        f"{ol['done_per_s']:.1f} done/s p50 {ol['p50']:.0f} ms p95 {ol['p95']:.0f} ms "
        f"max {ol['max']:.0f} ms errors {ol['errors']} (load {result['load_after']})",
        flush=True,
    )
    return result


LAYOUTS: dict[str, tuple[str, int, tuple[str, ...]]] = {
    "single": ("1 process", 1, ()),
    "workers2": ("1 process, --workers 2", 1, ("--workers", "2")),
    "replicas2": ("2 replicas", 2, ()),
}


async def api(args: argparse.Namespace) -> dict:
    results: dict[str, object] = {}
    async with Scratch(args.pg, args.redis) as scratch:
        with tempfile.TemporaryDirectory(prefix="troly-scaleout-") as tmp:
            template = Path(tmp) / "template" / "data"
            settings = Settings(
                data_dir=template,
                database_url=scratch.url,
                models_dir=MODELS,
                secret_key=SECRET,  # type: ignore[arg-type]
            )
            cadres, _ = await api_bench.prepare(settings, args.clients)
            for key in args.layouts.split(","):
                label, replicas, extra = LAYOUTS[key]
                datas = []
                for r in range(replicas):
                    data = Path(tmp) / f"{len(results)}-{r}" / "data"
                    shutil.copytree(template, data)
                    datas.append(data)
                started = time.monotonic()
                with servers(scratch, datas, extra) as (_, bases):
                    ready = max(wait_all_ready(b, started) for b in bases)
                    print(f"{label}: ready in {ready:.1f} s (load {load()})", flush=True)
                    results[key] = await measure_api(bases, cadres, args)
    return results


# --- kb100k -------------------------------------------------------------------------------


async def fill(settings: Settings, chunks: int, per_doc: int = 50) -> tuple[int, np.ndarray]:
    """Insert `chunks` synthetic chunks (in documents of `per_doc`) and persist a matching
    index snapshot; returns the knowledge-base revision and the chunk ids."""
    from sqlalchemy import insert, select

    from core.db import create_engine, create_sessionmaker, unit_of_work
    from core.migrate import upgrade
    from knowledge.models import Chunk, Document, DocumentVersion
    from knowledge.store import bump_revision
    from retrieval.lexical import LexicalIndex
    from retrieval.restore import DiacriticModel
    from retrieval.store import IndexStore, Persisted

    settings.ensure_dirs()
    engine = create_engine(settings.resolved_database_url)
    await upgrade(engine)
    rng = random.Random(13)
    docs = (chunks + per_doc - 1) // per_doc
    titles = {}
    async with unit_of_work(create_sessionmaker(engine)) as s:
        for d in range(docs):
            title = f"Văn bản đo tải số {d + 1}"
            doc_id = await s.scalar(
                insert(Document).values(key=f"bench-{d}", title=title).returning(Document.id)
            )
            version_id = await s.scalar(
                insert(DocumentVersion)
                .values(document_id=doc_id, number=1, content_hash=f"{d:064d}", text="")
                .returning(DocumentVersion.id)
            )
            titles[int(doc_id)] = title  # type: ignore[arg-type]
            rows = [
                {
                    "version_id": version_id,
                    "document_id": doc_id,
                    "ordinal": o,
                    "citation": f"{title}, Điều {o + 1}",
                    "article": str(o + 1),
                    "heading": f"Điều {o + 1}",
                    "text": synthetic_chunk(rng, 60),
                }
                for o in range(min(per_doc, chunks - d * per_doc))
            ]
            await s.execute(insert(Chunk), rows)
        revision = await bump_revision(s)
        ids = np.array(sorted(await s.scalars(select(Chunk.id))), dtype=np.int64)
    await engine.dispose()
    tokens, _ = synthetic_tokens(rng, len(ids))
    dense = random_dense(ids, 384)
    # As a running replica saves it: BM25 and the diacritic model included.
    snapshot = Persisted(revision, ids, tokens, settings.embedding_model, dense, titles)
    snapshot.lexical = LexicalIndex.build(tokens)
    snapshot.diacritics = DiacriticModel.from_passages(tokens)
    store = IndexStore(settings.index_dir)
    with store.lock():
        store.save(snapshot)
    return revision, ids


SMALL_DOC = """---
title: Hướng dẫn đo tải nhập văn bản nhỏ
---
# Điều 1. Phạm vi
Văn bản này hướng dẫn việc tiếp nhận hồ sơ đo tải tại ủy ban nhân dân xã.

# Điều 2. Trách nhiệm
Công chức văn phòng thống kê tiếp nhận hồ sơ và trả kết quả trong ngày làm việc.

# Điều 3. Hiệu lực
Văn bản có hiệu lực kể từ ngày ký.
"""


async def probe_import(
    base: str, token: str, scratch: Scratch, data: Path, tmp: Path
) -> dict[str, float]:
    """Longest waits of searches and /healthz pings while a small document is imported by
    another process and the served index catches up, against a quiet window before it."""
    events: list[tuple[str, float, float]] = []  # kind, start (monotonic), latency ms
    stop = asyncio.Event()
    headers = {"Authorization": f"Bearer {token}"}

    async def searcher(http: httpx.AsyncClient) -> None:
        i = 0
        while not stop.is_set():
            q = api_bench.QUESTIONS[i % len(api_bench.QUESTIONS)]
            t = time.monotonic()
            await http.post("/api/v1/search", json={"query": q, "k": 3}, headers=headers)
            events.append(("search", t, (time.monotonic() - t) * 1000))
            i += 1

    async def pinger(http: httpx.AsyncClient) -> None:
        while not stop.is_set():
            t = time.monotonic()
            await http.get("/healthz")
            events.append(("healthz", t, (time.monotonic() - t) * 1000))
            await asyncio.sleep(0.05)

    doc = tmp / "small.md"
    doc.write_text(SMALL_DOC, "utf-8")
    env = {
        **os.environ,
        **scratch.env(),
        "PYTHONPATH": str(REPO),
        "TROLY_DATA_DIR": str(tmp / "importer"),
        "TROLY_MODELS_DIR": str(MODELS),
    }
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        loops = [asyncio.create_task(searcher(http)), asyncio.create_task(pinger(http))]
        await asyncio.sleep(5)
        import_start = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", bench_startup.RUNNER, "kb", "import", str(doc), "--no-index",
            env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        await proc.wait()
        import_end = time.monotonic()
        # Caught up: /readyz 200 again (it turns 503 once the revision moved) and the new
        # document is found.
        found_at = None
        while time.monotonic() - import_end < 120:
            r = await http.post(
                "/api/v1/search",
                json={"query": "đo tải nhập văn bản nhỏ tiếp nhận hồ sơ", "k": 3},
                headers=headers,
            )
            ready = (await http.get("/readyz")).status_code == 200
            if ready and "đo tải nhập" in r.text.lower():
                found_at = time.monotonic()
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(2)
        stop.set()
        await asyncio.gather(*loops)
    caught = found_at or time.monotonic()

    def worst(kind: str, lo: float, hi: float) -> float:
        waits = [ms for k, t, ms in events if k == kind and lo <= t <= hi]
        return max(waits) if waits else float("nan")

    during = (import_start, caught)
    before = (import_start - 5, import_start)
    return {
        "import_s": import_end - import_start,
        "searchable_after_import_s": (caught - import_end) if found_at else float("nan"),
        "max_search_ms_before": worst("search", *before),
        "max_healthz_ms_before": worst("healthz", *before),
        "max_search_ms_during": worst("search", *during),
        "max_healthz_ms_during": worst("healthz", *during),
        "searches_during": sum(1 for k, t, _ in events if k == "search" and during[0] <= t),
        "searches_over_200ms_during": sum(
            1 for k, t, ms in events if k == "search" and during[0] <= t <= during[1] and ms > 200
        ),
    }


async def kb100k(args: argparse.Namespace) -> dict:
    async with Scratch(args.pg, args.redis) as scratch:
        with tempfile.TemporaryDirectory(prefix="troly-kb100k-") as tmp:
            data = Path(tmp) / "run" / "data"
            settings = Settings(
                data_dir=data,
                database_url=scratch.url,
                models_dir=MODELS,
                secret_key=SECRET,  # type: ignore[arg-type]
            )
            t = time.monotonic()
            revision, ids = await fill(settings, args.chunks)
            print(f"filled {len(ids)} chunks (revision {revision}) in {time.monotonic() - t:.0f} s")
            cadres, _ = await api_bench.prepare(settings, 1)
            started = time.monotonic()
            with servers(scratch, [data]) as (procs, bases):
                healthy = bench_startup.wait_for(bases[0] + "/healthz", started, 600)
                ready = bench_startup.wait_for(bases[0] + "/readyz", started, 600)
                await asyncio.sleep(args.idle)
                rss = bench_startup.rss_mb(procs[0].pid)
                print(
                    f"{len(ids)} chunks: /healthz {healthy:.1f} s, /readyz {ready:.1f} s, "
                    f"idle RSS {rss:.0f} MB (load {load()})",
                    flush=True,
                )
                probe = await probe_import(bases[0], cadres[0], scratch, data, Path(tmp))
                probe_text = ", ".join(f"{k} {v:.2f}" for k, v in probe.items())
                print(f"import while searching: {probe_text} (load {load()})", flush=True)
    return {
        "chunks": len(ids),
        "healthz_s": healthy,
        "readyz_s": ready,
        "idle_rss_mb": rss,
        **probe,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("api", "kb100k"))
    parser.add_argument("--pg", default=PG, help="PostgreSQL server (a scratch database is made)")
    parser.add_argument("--redis", default=REDIS, help="a spare Redis database (it is flushed)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rate", type=float, default=20.0, help="open-loop searches a second")
    parser.add_argument("--seconds", type=float, default=20.0, help="open-loop duration")
    parser.add_argument("--layouts", default=",".join(LAYOUTS), help="of " + ", ".join(LAYOUTS))
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--idle", type=float, default=5.0)
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--quick", action="store_true", help="a short validation run")
    args = parser.parse_args()
    if args.quick:
        args.clients, args.rounds, args.seconds, args.chunks, args.idle = 10, 2, 5.0, 5000, 1.0
    print(f"load average before: {load()}", flush=True)
    result = asyncio.run(api(args) if args.what == "api" else kb100k(args))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
