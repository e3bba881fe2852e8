"""Outbox delivery: retries with backoff, 429 retry_after, crashes lose nothing, no double sends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.config import Settings
from core.db import unit_of_work
from core.outbox.models import OutboxMessage
from core.outbox.service import enqueue
from core.outbox.worker import PermanentFailure, RetryLater, backoff, deliver_due
from core.users.models import Unit, User

T0 = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


class ProcessDied(BaseException):
    """Stands for the process being killed mid-send (not an Exception: nothing catches it)."""


class FakeTelegram:
    """The outside world: records deliveries; scripted failures per chat."""

    def __init__(self) -> None:
        self.delivered: list[tuple[int, str]] = []
        self.script: dict[str, list[BaseException]] = {}
        self.calls = 0

    async def send(self, chat_id: int, text: str, buttons: list[list[dict[str, Any]]]) -> None:
        self.calls += 1
        await asyncio.sleep(0)  # let concurrent workers interleave
        failures = self.script.get(text)
        if failures:
            raise failures.pop(0)
        self.delivered.append((chat_id, text))


async def _users(sm: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    async with unit_of_work(sm) as s:
        unit = Unit(name="UBND xã Thử", kind="commune")
        s.add(unit)
        await s.flush()
        reachable = User(full_name="Có chat", role="cadre", unit_id=unit.id, chat_id=1001)
        pending = User(full_name="Chưa có chat", role="cadre", unit_id=unit.id)
        s.add_all([reachable, pending])
        await s.flush()
        return reachable.id, pending.id


async def _queue(sm: async_sessionmaker[AsyncSession], user_id: int, *texts: str) -> None:
    async with unit_of_work(sm) as s:
        for text in texts:
            message = await enqueue(s, user_id=user_id, text=text, idempotency_key=f"k:{text}")
            message.created_at = message.next_attempt_at = T0


async def _rows(sm: async_sessionmaker[AsyncSession]) -> dict[str, OutboxMessage]:
    async with sm() as s:
        return {m.text: m for m in await s.scalars(select(OutboxMessage))}


async def test_delivers_and_keeps_messages_of_users_without_chat(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    reachable, pending = await _users(sessionmaker)
    await _queue(sessionmaker, reachable, "một", "hai")
    await _queue(sessionmaker, pending, "chờ")
    tg = FakeTelegram()
    report = await deliver_due(sessionmaker, tg, settings, T0)
    assert report.sent == 2 and tg.delivered == [(1001, "một"), (1001, "hai")]
    assert (await _rows(sessionmaker))["chờ"].sent_at is None
    assert (await deliver_due(sessionmaker, tg, settings, T0 + timedelta(hours=1))).sent == 0
    async with unit_of_work(sessionmaker) as s:  # the person registers in Telegram
        await s.execute(update(User).where(User.id == pending).values(chat_id=2002))
    await deliver_due(sessionmaker, tg, settings, T0 + timedelta(hours=2))
    assert tg.delivered[-1] == (2002, "chờ")


async def test_429_honours_retry_after_then_succeeds(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    reachable, _ = await _users(sessionmaker)
    await _queue(sessionmaker, reachable, "nhắc việc")
    tg = FakeTelegram()
    tg.script["nhắc việc"] = [RetryLater(30, "429 Too Many Requests")]
    assert (await deliver_due(sessionmaker, tg, settings, T0)).retried == 1
    row = (await _rows(sessionmaker))["nhắc việc"]
    assert row.next_attempt_at == T0 + timedelta(seconds=30) and "429" in (row.last_error or "")
    assert (await deliver_due(sessionmaker, tg, settings, T0 + timedelta(seconds=29))).sent == 0
    assert (await deliver_due(sessionmaker, tg, settings, T0 + timedelta(seconds=30))).sent == 1
    assert tg.delivered == [(1001, "nhắc việc")]
    row = (await _rows(sessionmaker))["nhắc việc"]
    assert row.attempts == 2 and row.sent_at is not None and row.last_error is None


async def test_exponential_backoff_and_permanent_failure(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    assert [backoff(n, settings) for n in (1, 2, 3)] == [5.0, 10.0, 20.0]
    assert backoff(30, settings) == settings.outbox_backoff_max_seconds
    reachable, _ = await _users(sessionmaker)
    await _queue(sessionmaker, reachable, "lỗi mạng", "bị chặn")
    tg = FakeTelegram()
    tg.script["lỗi mạng"] = [RetryLater(None, "timeout"), RetryLater(None, "502")]
    tg.script["bị chặn"] = [PermanentFailure("Forbidden: bot was blocked by the user")]
    await deliver_due(sessionmaker, tg, settings, T0)
    rows = await _rows(sessionmaker)
    assert rows["lỗi mạng"].next_attempt_at == T0 + timedelta(seconds=5)
    assert rows["bị chặn"].failed_at == T0
    await deliver_due(sessionmaker, tg, settings, T0 + timedelta(seconds=5))
    assert (await _rows(sessionmaker))["lỗi mạng"].next_attempt_at == T0 + timedelta(seconds=15)
    await deliver_due(sessionmaker, tg, settings, T0 + timedelta(minutes=5))
    assert tg.delivered == [(1001, "lỗi mạng")]  # the blocked one is never retried


async def test_crash_after_lease_loses_nothing(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    reachable, _ = await _users(sessionmaker)
    await _queue(sessionmaker, reachable, "trả lời")
    tg = FakeTelegram()
    tg.script["trả lời"] = [ProcessDied()]
    with pytest.raises(ProcessDied):
        await deliver_due(sessionmaker, tg, settings, T0)
    # Leased but not sent: invisible while the lease runs, due again once it expires.
    assert (await deliver_due(sessionmaker, tg, settings, T0 + timedelta(seconds=60))).sent == 0
    lease_end = T0 + timedelta(seconds=settings.outbox_lease_seconds)
    assert (await deliver_due(sessionmaker, tg, settings, lease_end)).sent == 1
    assert tg.delivered == [(1001, "trả lời")]


async def test_crash_before_commit_queues_nothing_and_keys_are_idempotent(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    reachable, _ = await _users(sessionmaker)
    with pytest.raises(RuntimeError):
        async with unit_of_work(sessionmaker) as s:
            await enqueue(s, user_id=reachable, text="mồ côi", idempotency_key="k:orphan")
            raise RuntimeError("state change failed")
    await _queue(sessionmaker, reachable, "một lần")
    await _queue(sessionmaker, reachable, "một lần")  # the same event queued again
    assert set(await _rows(sessionmaker)) == {"một lần"}


async def test_concurrent_workers_send_each_message_once(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    reachable, _ = await _users(sessionmaker)
    texts = [f"tin {i}" for i in range(30)]
    await _queue(sessionmaker, reachable, *texts)
    tg = FakeTelegram()
    await asyncio.gather(*(deliver_due(sessionmaker, tg, settings, T0, limit=7) for _ in range(4)))
    for _ in range(5):  # drain what the first round did not take
        await deliver_due(sessionmaker, tg, settings, T0, limit=7)
    assert sorted(t for _, t in tg.delivered) == sorted(texts)
    assert tg.calls == len(texts)
