"""Outbox delivery: claim due messages, send them through a Notifier, record the outcome.

Guarantee (exactly what holds):
- A message queued in a committed transaction is delivered at least once, whatever crashes:
  a worker first *leases* it (commits next_attempt_at = now + lease, attempts + 1), then sends,
  then commits sent_at. If it dies after the lease, the message becomes due again when the lease
  runs out and another worker (or the restarted one) sends it.
- It is sent twice only if the process dies in the window between the Bot API accepting the
  message and the commit of sent_at (a few milliseconds); nothing else re-sends a message.
- The same event never produces two messages: `idempotency_key` is unique and enqueue() returns
  the existing row, so a retried transaction or a second scheduler process queues nothing new.
- Concurrent workers never send the same message at the same time: leasing uses
  FOR UPDATE SKIP LOCKED on PostgreSQL, and SQLite's BEGIN IMMEDIATE serialises the leases.
- Users without a chat yet (not registered in Telegram) keep their messages pending; they are
  delivered once the bot learns the chat id. A PermanentFailure (e.g. the bot was blocked)
  stops retries and is recorded in failed_at / last_error; nothing is deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.config import Settings
from core.db import unit_of_work, utcnow
from core.outbox.buttons import Rows
from core.outbox.models import OutboxMessage
from core.users.models import User

log = logging.getLogger(__name__)


class RetryLater(Exception):
    """Temporary failure (HTTP 429, 5xx, timeout); `seconds` is the server's retry_after if any."""

    def __init__(self, seconds: float | None = None, reason: str = "") -> None:
        self.seconds = seconds
        super().__init__(reason or f"retry later ({seconds}s)")


class PermanentFailure(Exception):
    """Delivery can never succeed (blocked bot, deleted chat, invalid chat id)."""


class Notifier(Protocol):
    """What the bot implements (aiogram); tests use a fake of the outside world."""

    async def send(
        self,
        chat_id: int,
        text: str,
        buttons: Rows,
        media: dict[str, Any] | None = None,
    ) -> None:
        """Send one message (a photo or document captioned `text` when `media` is given);
        raise RetryLater or PermanentFailure on failure."""
        ...


@dataclass(frozen=True)
class DeliveryReport:
    """Counts of one delivery pass."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


def backoff(attempts: int, settings: Settings, retry_after: float | None = None) -> float:
    """Seconds until the next try: the server's retry_after if given, else doubling, capped."""
    if retry_after is not None and retry_after >= 0:
        return float(retry_after)
    delay = settings.outbox_backoff_seconds * 2 ** max(0, attempts - 1)
    return float(min(delay, settings.outbox_backoff_max_seconds))


@dataclass(frozen=True)
class _Lease:
    id: int
    chat_id: int
    text: str
    buttons: Rows
    attempts: int
    media: dict[str, Any] | None


async def _lease(
    session: AsyncSession, now: datetime, settings: Settings, limit: int
) -> list[_Lease]:
    """Take up to `limit` due messages of users with a chat, pushing their next try past a lease."""
    stmt = (
        select(OutboxMessage, User.chat_id)
        .join(User, User.id == OutboxMessage.user_id)
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed_at.is_(None),
            OutboxMessage.next_attempt_at <= now,
            User.chat_id.is_not(None),
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=OutboxMessage, skip_locked=True)
    rows = (await session.execute(stmt)).tuples().all()
    leases = []
    until = now + timedelta(seconds=settings.outbox_lease_seconds)
    for message, chat_id in rows:
        message.attempts += 1
        message.next_attempt_at = until
        assert chat_id is not None
        leases.append(
            _Lease(
                message.id, chat_id, message.text, message.buttons, message.attempts, message.media
            )
        )
    await session.flush()
    return leases


async def _settle(
    sessionmaker: async_sessionmaker[AsyncSession], message_id: int, values: dict[str, Any]
) -> None:
    async with unit_of_work(sessionmaker) as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None))
            .values(**values)
        )


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    notifier: Notifier,
    settings: Settings,
    now: datetime | None = None,
    *,
    limit: int = 50,
) -> DeliveryReport:
    """One pass: lease due messages (committed), send each, record sent / retry / failed."""
    now = now or utcnow()
    async with unit_of_work(sessionmaker) as session:
        leases = await _lease(session, now, settings, limit)
    sent = retried = failed = 0
    for lease in leases:
        try:
            if lease.media:
                await notifier.send(lease.chat_id, lease.text, lease.buttons, media=lease.media)
            else:
                await notifier.send(lease.chat_id, lease.text, lease.buttons)
        except RetryLater as err:
            delay = backoff(lease.attempts, settings, err.seconds)
            await _settle(
                sessionmaker,
                lease.id,
                {"next_attempt_at": now + timedelta(seconds=delay), "last_error": str(err)[:500]},
            )
            retried += 1
        except PermanentFailure as err:
            await _settle(sessionmaker, lease.id, {"failed_at": now, "last_error": str(err)[:500]})
            failed += 1
        except Exception as err:  # an unknown error is treated as temporary: never drop
            log.exception("outbox message %s failed", lease.id)
            delay = backoff(lease.attempts, settings)
            await _settle(
                sessionmaker,
                lease.id,
                {"next_attempt_at": now + timedelta(seconds=delay), "last_error": repr(err)[:500]},
            )
            retried += 1
        else:
            await _settle(sessionmaker, lease.id, {"sent_at": utcnow(), "last_error": None})
            sent += 1
    return DeliveryReport(sent, retried, failed)


async def run_delivery_loop(
    sessionmaker: async_sessionmaker[AsyncSession],
    notifier: Notifier,
    settings: Settings,
    stop: asyncio.Event,
) -> None:
    """Deliver until `stop` is set; errors are logged and the loop carries on."""
    while not stop.is_set():
        try:
            report = await deliver_due(sessionmaker, notifier, settings)
            busy = report.sent + report.retried + report.failed > 0
        except Exception:
            log.exception("outbox delivery pass failed")
            busy = False
        if not busy:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), settings.worker_interval_seconds)
