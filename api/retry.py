"""Re-run a request whose transaction the database rolled back (deadlock, lock timeout).

Every route's work is one transaction committed before the response is sent, and routes have
no side effects outside the database (notifications go through the outbox table), so a request
that failed this way changed nothing and can run again. After the last attempt the client gets
a 503 in the one error format with Retry-After.
"""

from __future__ import annotations

import asyncio
import logging
import random

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import TrackedSend, error_body
from api.limits import read_body, replay, send_json

log = logging.getLogger(__name__)

# PostgreSQL: deadlock detected, serialization failure.
RETRYABLE_SQLSTATES = {"40P01", "40001"}
BUSY_MESSAGE = "Hệ thống đang bận, vui lòng thử lại sau giây lát."


def retryable(exc: BaseException) -> bool:
    """True for errors after which the transaction is known to have been rolled back."""
    if isinstance(exc, PoolTimeout):
        return True
    if isinstance(exc, DBAPIError):
        if getattr(exc.orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
            return True
        return "database is locked" in str(exc.orig).lower()
    return False


class RetryMiddleware:
    """Up to `attempts` runs of a request that hit a retryable database error."""

    def __init__(self, app: ASGIApp, *, attempts: int = 3, base_delay: float = 0.05) -> None:
        self.app = app
        self.attempts = attempts
        self.base_delay = base_delay

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        for attempt in range(1, self.attempts + 1):
            tracked = TrackedSend(send)
            try:
                await self.app(scope, replay(body), tracked)
                return
            except Exception as exc:
                if tracked.started or not retryable(exc):
                    raise
                log.warning(
                    "retryable database error on %s %s (attempt %d): %s",
                    scope["method"], scope["path"], attempt, exc,
                )  # fmt: skip
                if attempt < self.attempts:
                    # Jitter keeps the transactions that collided from colliding again.
                    await asyncio.sleep(self.base_delay * attempt * (1 + random.random()))
        await send_json(
            send, 503, error_body("unavailable", BUSY_MESSAGE), [(b"retry-after", b"2")]
        )
