"""API latency under load: 50 concurrent clients against uvicorn on 127.0.0.1.

Prepares a fresh data dir (units, one cadre per client, supervisors, an admin, the starter
knowledge base), starts `uvicorn api.main:create_app --factory` in a subprocess, then runs three
bounded scenarios, each client with its own bearer token:

* read   — GET /users/me, /cases, /units, /knowledge/documents in turn
* search — POST /search (the same cited retrieval the bot uses)
* cases  — POST /cases (cadre), then POST /cases/{id}/claim and /answer (a supervisor)

Prints p50/p95/max latency per endpoint and requests per second per scenario.

    .venv/bin/python benchmarks/api_bench.py [--clients 50] [--rounds 5] [--db URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from core.config import Settings  # noqa: E402
from core.db import create_engine, create_sessionmaker, unit_of_work  # noqa: E402
from core.migrate import upgrade  # noqa: E402
from core.users import service as users  # noqa: E402
from core.users.enums import Role, UnitKind  # noqa: E402
from core.users.schemas import UnitCreate  # noqa: E402
from knowledge import service as kb  # noqa: E402

QUESTIONS = [
    "cán bộ xã nghỉ phép năm được bao nhiêu ngày",
    "thủ tục tiếp nhận hồ sơ một cửa ở xã",
    "xin ý kiến nhanh khi gặp tình huống mới",
    "khung năng lực công chức tư pháp hộ tịch",
    "sáng kiến được đánh giá theo tiêu chí nào",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def prepare(settings: Settings, clients: int) -> tuple[list[str], list[str]]:
    """Migrate, seed the starter knowledge base, and create people; returns cadre and
    supervisor tokens."""
    settings.ensure_dirs()
    engine = create_engine(settings.resolved_database_url)
    await upgrade(engine)
    sm = create_sessionmaker(engine)
    cadre_tokens: list[str] = []
    supervisor_tokens: list[str] = []
    async with unit_of_work(sm) as s:
        await kb.seed_if_empty(s)
        province = await users.create_unit(
            s, data=UnitCreate(name="Tỉnh Đo Tải", kind=UnitKind.PROVINCE), actor=None
        )
        communes = []
        for i in range(5):
            communes.append(
                await users.create_unit(
                    s,
                    data=UnitCreate(
                        name=f"UBND xã Đo Tải {i}",
                        kind=UnitKind.COMMUNE,
                        parent_id=province.id,
                        escalates_to_id=province.id,
                    ),
                    actor=None,
                )
            )
        for i, unit in enumerate(communes):
            sup = await users.create_user(
                s,
                full_name=f"Phụ Trách {i}",
                role=Role.SUPERVISOR,
                unit_id=unit.id,
                actor=None,
                supervised_unit_ids=[unit.id],
            )
            supervisor_tokens.append(await users.issue_token(s, user_id=sup.id, label="bench"))
        for i in range(clients):
            cadre = await users.create_user(
                s,
                full_name=f"Cán Bộ {i}",
                role=Role.CADRE,
                unit_id=communes[i % len(communes)].id,
                actor=None,
            )
            cadre_tokens.append(await users.issue_token(s, user_id=cadre.id, label="bench"))
    await engine.dispose()
    return cadre_tokens, supervisor_tokens


async def admin_sql(url: str, sql: str) -> None:
    from sqlalchemy import text

    engine = create_engine(url)
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(sql))
    await engine.dispose()


def start_server(settings: Settings, port: int, no_duplicates: bool) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TROLY_DATA_DIR": str(settings.data_dir),
        "TROLY_DATABASE_URL": settings.resolved_database_url,
        "TROLY_MODELS_DIR": str(settings.resolved_models_dir),
        "TROLY_API_RATE_LIMIT_PER_MINUTE": "1000000",
    }
    if no_duplicates:
        env["TROLY_DUPLICATE_SIMILARITY"] = "1.01"
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "api.main:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--timeout-keep-alive",
        "120",
    ]
    return subprocess.Popen(cmd, cwd=REPO, env=env)


async def wait_ready(base: str, limit_s: float = 300.0) -> None:
    deadline = time.monotonic() + limit_s
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(f"{base}/openapi.json")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.5)
    raise TimeoutError("server did not start")


Samples = dict[str, list[float]]
ERRORS: Counter[str] = Counter()


async def timed(
    client: httpx.AsyncClient | RoundRobin,
    samples: Samples,
    label: str,
    method: str,
    url: str,
    ok: tuple[int, ...] = (),
    **kw: object,
) -> httpx.Response:
    start = time.perf_counter()
    try:
        r = await client.request(method, url, **kw)  # type: ignore[arg-type]
    except httpx.TransportError as exc:
        ERRORS[f"{label} -> {type(exc).__name__}"] += 1
        return httpx.Response(599)
    samples[label].append(time.perf_counter() - start)
    if r.status_code >= 400 and r.status_code not in ok:
        ERRORS[f"{label} -> {r.status_code}"] += 1
    return r


class RoundRobin:
    """One HTTP client per server; each request goes to the next server in turn (what a load
    balancer in front of replicas does)."""

    def __init__(self, bases: list[str], clients: int) -> None:
        limits = httpx.Limits(max_connections=clients + 10, max_keepalive_connections=clients)
        self.clients = [httpx.AsyncClient(base_url=b, limits=limits, timeout=120) for b in bases]
        self.turn = 0

    async def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        self.turn += 1
        return await self.clients[self.turn % len(self.clients)].request(method, url, **kw)

    async def __aenter__(self) -> RoundRobin:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for client in self.clients:
            await client.aclose()


async def scenario(
    name: str, base: str | list[str], cadres: list[str], sups: list[str], rounds: int
) -> tuple[Samples, float, int]:
    """Run one scenario with one client per cadre token; with several `base` URLs the
    requests alternate between the servers."""
    samples: Samples = defaultdict(list)
    duplicates: list[int] = []
    bases = [base] if isinstance(base, str) else base

    async with RoundRobin(bases, len(cadres)) as client:

        async def one(i: int) -> None:
            me = {"Authorization": f"Bearer {cadres[i]}"}
            sup = {"Authorization": f"Bearer {sups[i % len(sups)]}"}
            for r in range(rounds):
                if name == "read":
                    await timed(
                        client, samples, "GET /users/me", "GET", "/api/v1/users/me", headers=me
                    )
                    await timed(
                        client, samples, "GET /cases", "GET", "/api/v1/cases?limit=20", headers=me
                    )
                    await timed(client, samples, "GET /units", "GET", "/api/v1/units", headers=me)
                    await timed(
                        client,
                        samples,
                        "GET /knowledge/documents",
                        "GET",
                        "/api/v1/knowledge/documents",
                        headers=me,
                    )
                elif name == "search":
                    q = QUESTIONS[(i + r) % len(QUESTIONS)]
                    await timed(
                        client,
                        samples,
                        "POST /search",
                        "POST",
                        "/api/v1/search",
                        json={"query": q, "k": 3},
                        headers=me,
                    )
                else:
                    question = f"Tình huống đo tải số {i}-{r}: {QUESTIONS[(i + r) % 5]}?"
                    made = await timed(
                        client,
                        samples,
                        "POST /cases",
                        "POST",
                        "/api/v1/cases",
                        json={"question": question},
                        headers=me,
                    )
                    if made.status_code != 201:
                        continue
                    case_id = made.json()["id"]
                    claimed = await timed(
                        client,
                        samples,
                        "POST /cases/{id}/claim",
                        "POST",
                        f"/api/v1/cases/{case_id}/claim",
                        ok=(409,),
                        headers=sup,
                    )
                    if claimed.status_code == 409:
                        # Linked as a near-duplicate of a case already answered: resolved.
                        duplicates.append(case_id)
                        continue
                    await timed(
                        client,
                        samples,
                        "POST /cases/{id}/answer",
                        "POST",
                        f"/api/v1/cases/{case_id}/answer",
                        json={"text": "Trả lời đo tải."},
                        headers=sup,
                    )

        start = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(len(cadres))))
        elapsed = time.perf_counter() - start
    total = sum(len(v) for v in samples.values())
    if duplicates:
        print(f"({len(duplicates)} cases were resolved as near-duplicates before their claim)")
    return samples, elapsed, total


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(samples: Samples, elapsed: float, total: int) -> dict[str, float]:
    """req/s, p50/p95 in ms and the error count over every endpoint (errors are reset)."""
    every = [v for values in samples.values() for v in values]
    errors = sum(ERRORS.values())
    if ERRORS:
        print(f"errors: {dict(ERRORS)}")
    ERRORS.clear()
    return {
        "n": total,
        "rps": total / elapsed,
        "p50": statistics.median(every) * 1000 if every else float("nan"),
        "p95": pct(every, 0.95) * 1000 if every else float("nan"),
        "errors": errors,
    }


def report(name: str, samples: Samples, elapsed: float, total: int) -> None:
    print(f"\n## {name}: {total} requests in {elapsed:.1f} s = {total / elapsed:.1f} req/s")
    if ERRORS:
        print(f"errors: {dict(ERRORS)}")
        ERRORS.clear()
    print(f"{'endpoint':32} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    every: list[float] = []
    for label, values in samples.items():
        every += values
        print(
            f"{label:32} {len(values):5d} {statistics.median(values) * 1000:8.0f} "
            f"{pct(values, 0.95) * 1000:8.0f} {max(values) * 1000:8.0f}"
        )
    print(
        f"{'all':32} {len(every):5d} {statistics.median(every) * 1000:8.0f} "
        f"{pct(every, 0.95) * 1000:8.0f} {max(every) * 1000:8.0f}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--db",
        default="",
        help="PostgreSQL server URL, e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test "
        "(a fresh database is created on it and dropped after); default: SQLite in a temp dir",
    )
    parser.add_argument("--scenarios", default="read,search,cases")
    parser.add_argument(
        "--no-duplicates",
        action="store_true",
        help="turn near-duplicate linking off (the cases scenario asks similar questions)",
    )
    args = parser.parse_args()
    db_url = ""
    if args.db:
        name = f"troly_apibench_{os.getpid()}"
        await admin_sql(args.db, f'CREATE DATABASE "{name}"')
        db_url = f"{args.db.rpartition('/')[0]}/{name}"
    with tempfile.TemporaryDirectory(prefix="troly-apibench-") as tmp:
        settings = Settings(
            data_dir=Path(tmp) / "data",
            database_url=db_url,
            models_dir=Path(os.environ.get("TROLY_MODELS_DIR", REPO / "data" / "models")),
        )
        cadres, sups = await prepare(settings, args.clients)
        port = free_port()
        server = start_server(settings, port, args.no_duplicates)
        try:
            base = f"http://127.0.0.1:{port}"
            started = time.perf_counter()
            await wait_ready(base)
            print(
                f"server ready in {time.perf_counter() - started:.1f} s "
                f"({args.clients} clients, {args.rounds} rounds, "
                f"db={'sqlite' if not args.db else args.db.split(':')[0]})"
            )
            for name in args.scenarios.split(","):
                report(name, *await scenario(name, base, cadres, sups, args.rounds))
        finally:
            server.terminate()
            server.wait(timeout=30)
            if args.db:
                await admin_sql(args.db, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
