"""Request guards: body size limits, per-user rate limiting and Idempotency-Key replays.

Both middlewares are plain ASGI so they see the raw byte stream before FastAPI parses it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_answer, error_body
from core.errors import ErrorCode

IDEMPOTENCY_HEADER = b"idempotency-key"
REPLAY_HEADER = "Idempotent-Replayed"
MAX_KEY_CHARS = 200


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes the limit (FastAPI re-raises it)."""

    def __init__(self) -> None:
        super().__init__(413)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def send_json(send: Send, status: int, body: dict[str, Any], headers: Any = ()) -> None:
    raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(raw)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})


async def read_body(receive: Receive) -> bytes:
    """The whole request body (already size-limited by BodyLimitMiddleware)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes) -> Receive:
    """A `receive` that hands the buffered body to the app again."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        # Nothing more will come; wait as a live connection would until the app is done.
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    return receive


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    """The 413 answer: JSON under /api, the console's error page elsewhere."""
    mib = limit / (1024 * 1024)
    message = f"{ErrorCode.TOO_LARGE.default_message} Giới hạn là {mib:.1f} MB."
    answer = await error_answer(Request(scope), 413, "too_large", message, {"limit_bytes": limit})
    await answer(scope, receive, send)


class BodyLimitMiddleware:
    """413 for bodies over the limit: uploads (multipart) get one limit, everything else a
    smaller one, so an over-long JSON body is refused before it is parsed."""

    def __init__(self, app: ASGIApp, *, upload_limit: int, json_limit: int) -> None:
        self.app = app
        self.upload_limit = upload_limit
        self.json_limit = json_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        content_type = (_header(scope, b"content-type") or "").lower()
        limit = self.upload_limit if content_type.startswith("multipart/") else self.json_limit
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(scope, receive, send, limit)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await _too_large(scope, receive, send, limit)


class RateLimiter:
    """Token bucket per key (user id): `per_minute` requests a minute, bursts up to that many.

    In-process only: with several API processes each enforces its own bucket.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(max(per_minute, 1))
        self.rate = self.capacity / 60.0
        self.clock = clock
        self._buckets: dict[object, tuple[float, float]] = {}

    def hit(self, key: object) -> float | None:
        """Take one token; returns None when allowed, else seconds until the next token."""
        now = self.clock()
        tokens, last = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > 100_000:  # forget idle users rather than grow without bound
            self._buckets.clear()
        return None


@dataclass
class _Stored:
    fingerprint: str
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    expires: float


class IdempotencyMiddleware:
    """Replays the first response to a POST carrying the same Idempotency-Key (per caller).

    Keys are scoped by the Authorization header, so two callers never share a key. A key reused
    with a different method, path or body is refused (409). Concurrent duplicates wait for the
    first and get its response. Only non-5xx answers are remembered (a 5xx may be retried).
    The store is in process memory: replays survive a retry, not a restart.
    """

    def __init__(
        self, app: ASGIApp, *, ttl_seconds: float = 24 * 3600, max_entries: int = 10_000
    ) -> None:
        self.app = app
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._store: OrderedDict[str, _Stored] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _header(scope, IDEMPOTENCY_HEADER) if scope["type"] == "http" else None
        if key is None or scope["method"] != "POST" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        if not key.strip() or len(key) > MAX_KEY_CHARS:
            body = error_body("invalid", f"Idempotency-Key phải có từ 1 đến {MAX_KEY_CHARS} ký tự.")
            await send_json(send, 422, body)
            return
        # Read the whole (already size-limited) body to fingerprint it, then replay it.
        raw = await read_body(receive)
        who = hashlib.sha256((_header(scope, b"authorization") or "").encode()).hexdigest()
        slot = f"{who}:{key}"
        fingerprint = hashlib.sha256(
            scope["method"].encode() + b" " + scope["path"].encode() + b"\n" + raw
        ).hexdigest()
        lock = self._locks.setdefault(slot, asyncio.Lock())
        try:
            async with lock:
                await self._answer(scope, raw, send, key, slot, fingerprint)
        finally:
            # Forget the lock once nobody holds or waits for it (the stored answer stays).
            if not lock.locked() and self._locks.get(slot) is lock:
                del self._locks[slot]

    async def _answer(
        self, scope: Scope, raw: bytes, send: Send, key: str, slot: str, fingerprint: str
    ) -> None:
        stored = self._lookup(slot)
        if stored is None:
            await self._forward(scope, raw, send, slot, fingerprint)
        elif stored.fingerprint != fingerprint:
            body = error_body(
                "conflict",
                "Idempotency-Key này đã được dùng cho một yêu cầu khác.",
                {"idempotency_key": key},
            )
            await send_json(send, 409, body)
        else:
            await self._replay(stored, send)

    def _lookup(self, slot: str) -> _Stored | None:
        stored = self._store.get(slot)
        if stored is not None and stored.expires < time.monotonic():
            del self._store[slot]
            return None
        return stored

    async def _replay(self, stored: _Stored, send: Send) -> None:
        headers = [*stored.headers, (REPLAY_HEADER.lower().encode(), b"true")]
        await send({"type": "http.response.start", "status": stored.status, "headers": headers})
        await send({"type": "http.response.body", "body": stored.body})

    async def _forward(
        self, scope: Scope, raw: bytes, send: Send, slot: str, fingerprint: str
    ) -> None:
        status = 0
        headers: list[tuple[bytes, bytes]] = []
        body: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                body.append(message.get("body", b""))
            await send(message)

        await self.app(scope, replay(raw), capture)
        if 0 < status < 500 and status not in (401, 429):
            self._store[slot] = _Stored(
                fingerprint, status, headers, b"".join(body), time.monotonic() + self.ttl
            )
            while len(self._store) > self.max_entries:
                self._store.popitem(last=False)
