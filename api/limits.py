"""Request guards: body size limits, per-user rate limiting and Idempotency-Key replays.

Both middlewares are plain ASGI so they see the raw byte stream before FastAPI parses it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import TrackedSend, error_answer, error_body
from core.errors import ErrorCode
from core.shared import SharedState

IDEMPOTENCY_HEADER = b"idempotency-key"
REPLAY_HEADER = "Idempotent-Replayed"
MAX_KEY_CHARS = 200
# A replica that died holding a key's lock frees it after this; a live one renews it, so a
# duplicate waits for the first request however long it runs.
LOCK_SECONDS = 10.0


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

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge()
            return message

        tracked = TrackedSend(send)
        try:
            await self.app(scope, counting_receive, tracked)
        except BodyTooLarge:
            if tracked.started:
                raise
            await _too_large(scope, receive, send, limit)


class RateLimiter:
    """At most `per_minute` requests per key (user id, client address) in any 60 seconds.

    The windows live in the shared state (core.shared): in Redis when configured, so every
    replica enforces the same limit; in this process's memory otherwise.
    """

    def __init__(self, name: str, per_minute: int) -> None:
        self.name = name
        self.per_minute = max(per_minute, 1)

    async def hit(self, shared: SharedState, key: object) -> float | None:
        """Take one request; returns None when allowed, else seconds until the next one is."""
        slot = await shared.reserve(f"{self.name}:{key}", limit=self.per_minute, window=60.0)
        return None if slot.granted else max(slot.wait, 0.001)


@dataclass
class _Stored:
    fingerprint: str
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def dump(self) -> bytes:
        return json.dumps(
            {
                "fingerprint": self.fingerprint,
                "status": self.status,
                "headers": [[_b64(k), _b64(v)] for k, v in self.headers],
                "body": _b64(self.body),
            }
        ).encode()

    @classmethod
    def load(cls, raw: bytes) -> _Stored:
        data = json.loads(raw)
        headers = [(_unb64(k), _unb64(v)) for k, v in data["headers"]]
        return cls(data["fingerprint"], int(data["status"]), headers, _unb64(data["body"]))


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text)


def _shared(scope: Scope) -> SharedState:
    """The shared state of the app's context (set before the first request is served)."""
    shared: SharedState = scope["app"].state.ctx.shared
    return shared


class IdempotencyMiddleware:
    """Replays the first response to a POST carrying the same Idempotency-Key (per caller).

    Keys are scoped by the Authorization header, so two callers never share a key. A key reused
    with a different method, path or body is refused (409). Concurrent duplicates wait for the
    first and get its response (a lock in the shared state, so across replicas too). Only
    non-5xx answers are remembered (a 5xx may be retried). Records live in the shared state:
    Redis when configured (any replica replays them, and they survive restarts), else this
    process's memory.
    """

    def __init__(self, app: ASGIApp, *, ttl_seconds: float = 24 * 3600) -> None:
        self.app = app
        self.ttl = ttl_seconds

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
        slot = "idempotency:" + hashlib.sha256(f"{who}:{key}".encode()).hexdigest()
        fingerprint = hashlib.sha256(
            scope["method"].encode() + b" " + scope["path"].encode() + b"\n" + raw
        ).hexdigest()
        shared = _shared(scope)
        async with shared.lock(slot, timeout=LOCK_SECONDS):
            stored_raw = await shared.get(slot)
            if stored_raw is None:
                await self._forward(shared, scope, raw, send, slot, fingerprint)
                return
            stored = _Stored.load(stored_raw)
        if stored.fingerprint != fingerprint:
            body = error_body(
                "conflict",
                "Idempotency-Key này đã được dùng cho một yêu cầu khác.",
                {"idempotency_key": key},
            )
            await send_json(send, 409, body)
        else:
            await self._replay(stored, send)

    async def _replay(self, stored: _Stored, send: Send) -> None:
        headers = [*stored.headers, (REPLAY_HEADER.lower().encode(), b"true")]
        await send({"type": "http.response.start", "status": stored.status, "headers": headers})
        await send({"type": "http.response.body", "body": stored.body})

    async def _forward(
        self, shared: SharedState, scope: Scope, raw: bytes, send: Send, slot: str, fp: str
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
            stored = _Stored(fp, status, headers, b"".join(body))
            await shared.put(slot, stored.dump(), self.ttl)
