"""Two real replicas (issue 13's acceptance): two `troly run` processes (API, webhook bot and
workers each) on one PostgreSQL database and one Redis, with the fake Bot API server.

Shown here, over HTTP only:
- a create retried with the same Idempotency-Key on the other replica returns the same case;
- one user's rate limit holds across both;
- a document imported through replica 1 is found through replica 2 within a few seconds;
- one chat's webhook updates, sent alternately to both while earlier ones are still being
  handled, are handled in order and once each, a retried duplicate included;
- the parts of one long paste, landing on both, are joined into one message;
- kill -9 of a replica in the middle of a flow loses no acknowledged question, answer,
  escalation or initiative; a client's retry of what failed (same Idempotency-Key, other
  replica) creates nothing twice; the update being handled when it died is handled once after
  Telegram's retry; and the outbox delivers everything that was pending.

The replicas run lexical-only (no model directory): what is shown does not depend on the model,
and two model loads would double the time and memory of this test on a small machine.
Skipped unless TEST_DATABASE_URL and TEST_REDIS_URL are set (CI sets both).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest
import pytest_asyncio
from fake_telegram import FakeTelegram
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.ordering import Queue, turns_key
from core.cases.enums import CaseStatus
from core.cases.models import Case
from core.config import Settings
from core.context import AppContext
from core.db import create_engine, create_sessionmaker, unit_of_work
from core.feedback.models import QuestionLog
from core.initiatives.models import Initiative
from core.migrate import upgrade
from core.outbox.models import OutboxMessage
from core.shared.redis_state import RedisState
from knowledge import service as kb_service
from tests.api.apikit import World, build_world

PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
if not (PG_ADMIN_URL and REDIS_URL):
    pytest.skip(
        "two-replica test needs TEST_DATABASE_URL and TEST_REDIS_URL", allow_module_level=True
    )

pytestmark = pytest.mark.asyncio(loop_scope="module")

REPO = Path(__file__).resolve().parents[2]
RUNNER = "import sys; from cli.main import app; sys.argv = ['troly', *sys.argv[1:]]; app()"
SECRET = "webhook-secret-ok"
RATE_LIMIT = 60  # API requests per user per minute, in both replicas
DOC = """---
title: Quy chế thử nghiệm nhân bản về nuôi ong mật
---
Điều 1. Đăng ký đàn ong
Hộ nuôi ong mật khai báo số đàn ong với Ủy ban nhân dân xã trước ngày mười lăm hằng tháng.
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Replica:
    name: str
    env: dict[str, str]
    cwd: Path
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.env['TROLY_API_PORT']}"

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self.env['TROLY_WEBHOOK_PORT']}/telegram/webhook"

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", RUNNER, "run"],
                cwd=self.cwd, env=self.env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


@dataclass
class Cluster:
    one: Replica
    two: Replica
    engine: AsyncEngine
    world: World
    fake: FakeTelegram
    redis_prefix: str

    async def count(self, stmt: Any) -> int:
        async with self.engine.connect() as conn:
            return int((await conn.execute(stmt)).scalar_one())


async def _admin(sql: str) -> None:
    engine = create_engine(PG_ADMIN_URL)
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(sql))
    await engine.dispose()


async def _until_ready(http: httpx.AsyncClient, replica: Replica, within: float = 180) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        assert replica.proc is not None and replica.proc.poll() is None, replica.tail()
        with contextlib.suppress(httpx.TransportError):
            if (await http.get(replica.api + "/readyz")).status_code == 200:
                return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{replica.name} not ready within {within} s:\n{replica.tail()}")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cluster(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Cluster]:
    root = tmp_path_factory.mktemp("replicas")
    name = f"troly_rep_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = f"{PG_ADMIN_URL.rpartition('/')[0]}/{name}"
    await _admin(f'CREATE DATABASE "{name}"')
    engine = create_engine(url)
    fake = FakeTelegram()
    replicas: list[Replica] = []
    try:
        # Migrate and seed once here, so the two starts do not race each other doing it.
        await upgrade(engine)
        maker = create_sessionmaker(engine)
        defaults = Settings(data_dir=root / "unused")
        async with unit_of_work(maker) as session:
            await kb_service.seed_if_empty(
                session, chunk_words=defaults.chunk_words, chunk_step=defaults.chunk_step
            )
        world = await build_world(cast(AppContext, SimpleNamespace(sessionmaker=maker)))
        await fake.start()
        prefix = f"troly-rep-{uuid.uuid4().hex[:8]}"
        common = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TROLY_")},
            "PYTHONPATH": str(REPO),  # the replicas run this checkout's code
            "TROLY_DATABASE_URL": url,
            "TROLY_REDIS_URL": REDIS_URL,
            "TROLY_REDIS_PREFIX": prefix,
            "TROLY_SECRET_KEY": uuid.uuid4().hex * 2,
            "TROLY_MODELS_DIR": str(root / "no-models"),  # lexical-only, see the docstring
            "TROLY_BOT_TOKEN": fake.token,
            "TROLY_TELEGRAM_API": fake.base_url,
            "TROLY_WEBHOOK_URL": "https://troly.example.org/telegram/webhook",
            "TROLY_WEBHOOK_SECRET": SECRET,
            "TROLY_WORKER_INTERVAL_SECONDS": "0.5",
            "TROLY_OUTBOX_LEASE_SECONDS": "3",
            "TROLY_BOT_UPDATE_LEASE_SECONDS": "3",
            "TROLY_API_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT),
            "TROLY_DUPLICATE_SIMILARITY": "1.01",  # every case stands alone
        }
        for label in ("one", "two"):
            home = root / label
            home.mkdir()
            env = {
                **common,
                "TROLY_DATA_DIR": str(home / "data"),
                "TROLY_API_PORT": str(_free_port()),
                "TROLY_WEBHOOK_PORT": str(_free_port()),
            }
            replicas.append(Replica(label, env, home, home / "replica.log"))
        for replica in replicas:
            replica.start()
        async with httpx.AsyncClient(timeout=10) as http:
            for replica in replicas:
                await _until_ready(http, replica)
        yield Cluster(replicas[0], replicas[1], engine, world, fake, prefix)
    finally:
        for replica in replicas:
            replica.stop()
        await fake.stop()
        await engine.dispose()
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_idempotent_create_retried_on_the_other_replica(cluster: Cluster) -> None:
    headers = {**cluster.world.auth("cadre"), "Idempotency-Key": f"tao-{uuid.uuid4().hex}"}
    body = {"question": "Xin hỏi thủ tục xác nhận tình trạng hôn nhân cho người ở xa?"}
    async with httpx.AsyncClient(timeout=30) as http:
        first = await http.post(cluster.one.api + "/api/v1/cases", json=body, headers=headers)
        again = await http.post(cluster.two.api + "/api/v1/cases", json=body, headers=headers)
    assert first.status_code == again.status_code == 201, first.text
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert await cluster.count(select(func.count()).where(Case.question == body["question"])) == 1


async def test_rate_limit_holds_across_replicas(cluster: Cluster) -> None:
    headers = cluster.world.auth("cadre2")  # nobody else uses this person's budget
    statuses = []
    async with httpx.AsyncClient(timeout=30) as http:
        for n in range(RATE_LIMIT + 1):
            base = (cluster.one, cluster.two)[n % 2].api
            statuses.append(
                (await http.get(base + "/api/v1/users/me", headers=headers)).status_code
            )
    assert statuses[:RATE_LIMIT] == [200] * RATE_LIMIT and statuses[-1] == 429


async def test_import_on_one_is_found_on_the_other(cluster: Cluster) -> None:
    admin = cluster.world.auth("admin")
    question = {"query": "khai báo số đàn ong mật", "k": 3}
    async with httpx.AsyncClient(timeout=30) as http:
        before = await http.post(cluster.two.api + "/api/v1/search", json=question, headers=admin)
        assert before.status_code == 200 and before.json()["mode"] == "lexical"
        files = {"file": ("nuoi_ong.md", DOC.encode(), "text/markdown")}
        imported = await http.post(
            cluster.one.api + "/api/v1/knowledge/documents", files=files, headers=admin
        )
        assert imported.status_code == 201, imported.text
        started = time.monotonic()
        while True:
            found = await http.post(
                cluster.two.api + "/api/v1/search", json=question, headers=admin
            )
            titles = [hit["document_title"] for hit in found.json()["hits"]]
            if titles and "nuôi ong mật" in titles[0]:
                break
            assert time.monotonic() - started < 5, titles
            await asyncio.sleep(0.2)
        assert (await http.get(cluster.two.api + "/readyz")).status_code == 200


def _update(update_id: int, telegram_id: int, text: str) -> dict[str, Any]:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()),
        "chat": {"id": telegram_id, "type": "private"},
        "from": {"id": telegram_id, "is_bot": False, "first_name": "Cán bộ"}, "text": text,
    }}  # fmt: skip


async def _deliver(http: httpx.AsyncClient, url: str, update: dict[str, Any]) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    return (await http.post(url, json=update, headers=headers)).status_code


async def _questions_of(cluster: Cluster, user: str, tag: str) -> list[str]:
    async with cluster.engine.connect() as conn:
        rows = await conn.execute(
            select(QuestionLog.query)
            .where(QuestionLog.user_id == cluster.world.ids[user], QuestionLog.query.contains(tag))
            .order_by(QuestionLog.id)
        )
        return [row[0] for row in rows]


async def _queued(shared: RedisState, key: str, update_id: int) -> int:
    """Wait until a replica has put `update_id` in the chat's turn queue; return how many
    updates the queue held then."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        entries = json.loads(await shared.get(key) or b"{}")
        if str(update_id) in entries:
            return len(entries)
        await asyncio.sleep(0.01)
    raise AssertionError(f"update {update_id} never reached a replica: {entries}")


async def test_one_chats_webhook_updates_in_order_once_each(cluster: Cluster) -> None:
    chat = 900 + 4  # the world's cadre (telegram ids 901.. in its order)
    tag = uuid.uuid4().hex[:6]
    texts = [f"Hỏi {n} ({tag}): thủ tục đăng ký khai sinh cần giấy tờ gì?" for n in range(1, 7)]
    first_id = 7_000_000 + int(time.time()) % 1_000_000 * 10
    shared = RedisState.from_url(REDIS_URL, cluster.redis_prefix)
    key = turns_key(int(cluster.fake.token.split(":")[0]), chat)
    # An earlier update of this chat is still being handled somewhere: everything that
    # arrives now must wait its turn (without it, a question is handled faster than the next
    # webhook call arrives, and nothing would ever queue).
    earlier = Queue(shared, key, "an-earlier-delivery", lease=60)
    assert await earlier.enter(first_id - 1)
    waiting: list[int] = []
    async with httpx.AsyncClient(timeout=60) as http:
        calls = []
        for n, question in enumerate(texts):
            update = _update(first_id + n, chat, question)
            calls.append(asyncio.create_task(
                _deliver(http, (cluster.one, cluster.two)[n % 2].webhook, update)
            ))  # fmt: skip
            if n == 2:  # Telegram retries update 3 on the other replica while it waits
                calls.append(asyncio.create_task(_deliver(http, cluster.one.webhook, update)))
            # Arrival order is the order replicas receive the calls: send the next once
            # this one is in the queue.
            waiting.append(await _queued(shared, key, first_id + n))
        assert waiting == [2, 3, 4, 5, 6, 7]  # all queued, behind the earlier one
        assert await _questions_of(cluster, "cadre", tag) == []
        await earlier.leave(first_id - 1)
        assert set(await asyncio.gather(*calls)) == {200}
        # And a late retry of the first one, long after it was handled.
        assert await _deliver(http, cluster.two.webhook, _update(first_id, chat, texts[0])) == 200
    await shared.client.aclose()
    assert await _questions_of(cluster, "cadre", tag) == texts


async def test_a_paste_split_over_both_replicas_is_one_message(cluster: Cluster) -> None:
    """Telegram cuts a 10,000-character paste into three messages; their webhook calls reach
    one, two, one. The parts are joined wherever they land: one reply for the whole paste."""
    chat = 900 + 4
    text = ("Công dân đề nghị xác nhận nơi cư trú để làm hồ sơ vay vốn. " * 200)[:10_000]
    parts = [text[i : i + 4096] for i in range(0, len(text), 4096)]
    first_id = 8_000_000 + int(time.time()) % 1_000_000 * 10
    mark = cluster.fake.mark()
    async with httpx.AsyncClient(timeout=60) as http:
        calls = []
        for n, part in enumerate(parts):
            replica = (cluster.one, cluster.two)[n % 2]
            calls.append(
                asyncio.create_task(
                    _deliver(http, replica.webhook, _update(first_id + n, chat, part))
                )
            )
            await asyncio.sleep(0.1)  # arrival order, as Telegram sends them
        assert set(await asyncio.gather(*calls)) == {200}
    refused = await cluster.fake.wait_message(chat, "vượt giới hạn", after=mark)
    assert "10000 ký tự" in refused.text
    replies = [
        c for c in cluster.fake.calls[mark:] if c.method == "sendMessage" and c.chat_id == chat
    ]
    assert [c.text for c in replies] == [refused.text]


async def test_kill_9_mid_flow_loses_nothing(cluster: Cluster) -> None:
    """Cadres ask and submit initiatives, supervisors answer and escalate, spread over both
    replicas; replica two is killed mid-flow. Whatever was acknowledged is there afterwards;
    what failed is retried on replica one with the same Idempotency-Key, as a client behind
    the load balancer would, and exists once."""
    one, two = cluster.one, cluster.two
    world = cluster.world
    tag = uuid.uuid4().hex[:6]
    acked: dict[str, list[Any]] = {"cases": [], "answers": [], "forwards": [], "initiatives": []}
    retried: list[str] = []

    async def call(http: httpx.AsyncClient, n: int, path: str, role: str, body: Any) -> Any:
        headers = {**world.auth(role), "Idempotency-Key": f"{tag}-{n}-{path}"}
        for base in ((one, two)[n % 2].api, one.api):  # the retry goes to the survivor
            try:
                response = await http.post(base + path, json=body, headers=headers)
            except httpx.TransportError:
                retried.append(path)
                continue
            assert response.status_code in (200, 201), response.text
            return response.json()
        raise AssertionError(f"{path} failed on both replicas")

    async def flow(http: httpx.AsyncClient, n: int) -> None:
        question = f"Tình huống {n} ({tag}): xác nhận cư trú cho người tạm vắng?"
        case = await call(http, n, "/api/v1/cases", "cadre", {"question": question})
        acked["cases"].append((case["id"], question))
        if n % 3 == 1:
            path = f"/api/v1/cases/{case['id']}/forward"
            acked["forwards"].append((await call(http, n + 1, path, "supervisor", {}))["id"])
        else:
            answer = {"text": f"Trả lời {n} ({tag}): lập hồ sơ theo mẫu CT01."}
            path = f"/api/v1/cases/{case['id']}/answer"
            await call(http, n + 1, path, "supervisor", answer)
            acked["answers"].append((case["id"], answer["text"]))
        idea = {"title": f"Sáng kiến {n} ({tag})", "problem": "Hồ sơ giấy chậm.",
                "actions": "Số hóa sổ.", "results": "Nhanh hơn."}  # fmt: skip
        made = await call(http, n, "/api/v1/initiatives", "cadre", idea)
        acked["initiatives"].append(made["initiative"]["id"])

    # A Telegram question in flight on replica two when it dies, retried to replica one.
    chat = 900 + 5  # the world's second cadre
    update = _update(8_000_000 + int(time.time()) % 1_000_000, chat, f"Hỏi ({tag}): cấp bản sao?")
    async with httpx.AsyncClient(timeout=60) as http:
        flows = [asyncio.create_task(flow(http, n)) for n in range(8)]
        in_flight = asyncio.create_task(_deliver(http, two.webhook, update))
        for _ in range(3000):  # mid-flow: a few cases acknowledged, the rest to come
            if len(acked["cases"]) >= 3:
                break
            await asyncio.sleep(0.02)
        two.kill9()
        with contextlib.suppress(httpx.TransportError):
            await in_flight
        assert await _deliver(http, one.webhook, update) == 200  # Telegram's retry
        await asyncio.gather(*flows)

    assert len(acked["cases"]) == 8 and len(acked["initiatives"]) == 8
    assert retried  # the kill did land mid-flow: some calls failed and were retried
    async with cluster.engine.connect() as conn:
        cases = {
            row.id: row
            for row in await conn.execute(
                select(Case.id, Case.question, Case.answer, Case.status).where(
                    Case.question.contains(tag)
                )
            )
        }
        ideas = set(await conn.scalars(select(Initiative.id).where(Initiative.title.contains(tag))))
    assert len(cases) == 8  # once each, retries included
    for case_id, question in acked["cases"]:
        assert cases[case_id].question == question
    for case_id, answer in acked["answers"]:
        assert cases[case_id].answer == answer and cases[case_id].status == CaseStatus.ANSWERED
    for case_id in acked["forwards"]:
        assert cases[case_id].status == CaseStatus.FORWARDED
    assert ideas == set(acked["initiatives"])
    assert len(await _questions_of(cluster, "cadre2", tag)) == 1

    # The survivor's worker delivers everything pending, including what the dead one leased.
    pending = (
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None))
    )
    for _ in range(60):
        if not await cluster.count(pending):
            break
        await asyncio.sleep(0.5)
    assert await cluster.count(pending) == 0
    assert await cluster.count(select(func.count()).select_from(OutboxMessage)) > 0
