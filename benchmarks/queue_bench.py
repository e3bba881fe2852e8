"""Queue throughput: case creation, claims and answers per second on SQLite and PostgreSQL.

Each operation is one full unit of work through the real services (access checks, guarded
UPDATE, audit entry with hash chain, outbox rows), run by `--concurrency` asyncio workers.
A contention round has 20 supervisors race for each case (exactly one must win).

    .venv/bin/python benchmarks/queue_bench.py --cases 300 --concurrency 8 \
        --pg postgresql+asyncpg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.cases import service
from core.cases.schemas import CaseAnswer, CaseCreate
from core.config import Settings
from core.db import create_engine, create_sessionmaker, unit_of_work
from core.errors import DomainError
from core.migrate import upgrade
from core.users.models import Unit, User, supervisor_units

Op = Callable[[int], Awaitable[None]]


async def _setup(sm: async_sessionmaker[AsyncSession], supervisors: int) -> tuple[int, list[int]]:
    async with unit_of_work(sm) as s:
        province = Unit(name="Tỉnh đo", kind="province")
        s.add(province)
        await s.flush()
        commune = Unit(name="Xã đo", kind="commune", escalates_to_id=province.id)
        s.add(commune)
        await s.flush()
        asker = User(full_name="Người hỏi", role="cadre", unit_id=commune.id)
        s.add(asker)
        sups = [
            User(full_name=f"Giám sát {i}", role="supervisor", unit_id=commune.id)
            for i in range(supervisors)
        ]
        s.add_all(sups)
        await s.flush()
        for sup in sups:
            await s.execute(supervisor_units.insert().values(user_id=sup.id, unit_id=commune.id))
        return asker.id, [u.id for u in sups]


async def _timed(ops: list[Op], items: list[int], concurrency: int) -> tuple[float, list[float]]:
    """Run every item through ops[worker % len(ops)] with `concurrency` workers."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    latencies: list[float] = []

    async def worker(n: int) -> None:
        while not queue.empty():
            item = queue.get_nowait()
            t = time.perf_counter()
            await ops[n % len(ops)](item)
            latencies.append(time.perf_counter() - t)

    start = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return time.perf_counter() - start, latencies


def _line(name: str, count: int, seconds: float, lat: list[float]) -> str:
    lat = sorted(lat)
    p95 = lat[int(0.95 * (len(lat) - 1))] * 1000 if lat else 0.0
    p50 = statistics.median(lat) * 1000 if lat else 0.0
    return f"  {name:<22} {count / seconds:8.1f} ops/s   p50 {p50:6.1f} ms   p95 {p95:6.1f} ms"


async def bench(url: str, cases: int, concurrency: int, label: str) -> list[str]:
    engine = create_engine(url)
    await upgrade(engine)
    sm = create_sessionmaker(engine)
    settings = Settings(database_url=url, data_dir=Path(tempfile.mkdtemp()))
    asker_id, sups = await _setup(sm, 20)
    ids: list[int] = []

    async def create(i: int) -> None:
        async with unit_of_work(sm) as s:
            asker = await s.get(User, asker_id)
            assert asker is not None
            data = CaseCreate(question=f"Tình huống đo hiệu năng số {i} {uuid.uuid4().hex}")
            ids.append((await service.create_case(s, actor=asker, data=data, settings=settings)).id)

    holder: dict[int, int] = {}  # case id -> supervisor who claimed it

    def claimer(sup_id: int) -> Op:
        async def op(case_id: int) -> None:
            async with unit_of_work(sm) as s:
                actor = await s.get(User, sup_id)
                assert actor is not None
                await service.claim(s, actor=actor, case_id=case_id)
            holder[case_id] = sup_id

        return op

    async def answer_one(case_id: int) -> None:
        async with unit_of_work(sm) as s:
            actor = await s.get(User, holder[case_id])
            assert actor is not None
            await service.answer(s, actor=actor, case_id=case_id, data=CaseAnswer(text="Đã rõ."))

    out = [f"{label} ({cases} cases, {concurrency} workers)"]
    secs, lat = await _timed([create], list(range(cases)), concurrency)
    out.append(_line("create", cases, secs, lat))
    claimers = [claimer(s) for s in sups]
    secs, lat = await _timed(claimers, list(ids), concurrency)
    out.append(_line("claim (no contention)", cases, secs, lat))

    secs, lat = await _timed([answer_one], list(ids), concurrency)
    out.append(_line("answer", cases, secs, lat))

    # Contention: 20 supervisors race for each of a few fresh cases; exactly one may win.
    fresh_before = len(ids)
    await _timed([create], list(range(10)), concurrency)
    fresh = ids[fresh_before:]
    wins = 0
    start = time.perf_counter()
    for case_id in fresh:

        async def race(sup_id: int, case_id: int = case_id) -> bool:
            try:
                await claimer(sup_id)(case_id)
                return True
            except DomainError:
                return False

        results = await asyncio.gather(*(race(s) for s in sups))
        assert sum(results) == 1, "more than one claim won"
        wins += 1
    secs = time.perf_counter() - start
    out.append(
        f"  {'20-way claim race':<22} {len(fresh) * 20 / secs:8.1f} attempts/s, "
        f"{wins}/{len(fresh)} races with exactly one winner"
    )
    await engine.dispose()
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL", ""))
    args = parser.parse_args()
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        lines += await bench(url, args.cases, args.concurrency, "SQLite (WAL, file)")
    if args.pg:
        name = f"troly_bench_{os.getpid()}"
        admin = create_engine(args.pg)
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = f"{args.pg.rpartition('/')[0]}/{name}"
            lines += await bench(url, args.cases, args.concurrency, "PostgreSQL")
        finally:
            async with admin.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await admin.dispose()
    print("\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
