"""A fake Telegram Bot API server (aiohttp on 127.0.0.1) for end-to-end bot tests.

It implements the few methods the bot uses, queues updates for long polling, stores the
messages the bot sends, serves uploaded files, can fail the next N calls of a method
(429 with retry_after, or 500), and records every call so tests can wait on them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 424242
BOT_USERNAME = "troly_test_bot"


@dataclass
class Call:
    """One API call the bot made."""

    method: str
    params: dict[str, Any]
    result: Any = None

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    def buttons(self) -> list[dict[str, Any]]:
        """Inline buttons of this call's reply markup, flattened."""
        markup = self.params.get("reply_markup") or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]


@dataclass
class Failure:
    method: str | None
    status: int
    retry_after: int | None
    chat_id: int | None = None


@dataclass
class FakeUser:
    """A Telegram user talking to the bot in a private chat."""

    id: int
    first_name: str = "Người dùng"

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "is_bot": False, "first_name": self.first_name}


@dataclass
class FakeTelegram:
    """The server state plus helpers for tests."""

    token: str = "123456:TEST-token"
    calls: list[Call] = field(default_factory=list)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    _failures: list[Failure] = field(default_factory=list)
    _changed: asyncio.Condition | None = None
    _runner: web.AppRunner | None = None
    base_url: str = ""
    webhook: dict[str, Any] = field(default_factory=dict)
    polls: int = 0
    # Awaited with each call before it is answered: a test can look at the bot's stored
    # state at the very moment a message reaches the user.
    observers: list[Callable[[Call], Awaitable[None]]] = field(default_factory=list)

    # --- lifecycle ----------------------------------------------------------
    async def start(self) -> str:
        """Start on a random free port; returns the base URL for TROLY_TELEGRAM_API."""
        self._changed = asyncio.Condition()
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- feeding updates ----------------------------------------------------
    async def _push(self, update: dict[str, Any]) -> None:
        update["update_id"] = next(self._update_ids)
        assert self._changed is not None
        async with self._changed:
            self._updates.append(update)
            self._changed.notify_all()

    def _message(self, user: FakeUser, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
            "from": user.as_json(),
            **content,
        }

    async def send_text(self, user: FakeUser, text: str) -> None:
        """The user types a message (commands included)."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = len(text.split()[0])
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        await self._push({"message": self._message(user, **content)})

    def add_file(self, file_id: str, name: str, data: bytes) -> None:
        self._files[file_id] = (name, data)

    async def send_photo(self, user: FakeUser, data: bytes, caption: str = "") -> str:
        file_id = f"photo-{len(self._files) + 1}"
        self.add_file(file_id, f"photos/{file_id}.jpg", data)
        photo = [
            {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "width": 90,
                "height": 90,
                "file_size": len(data),
            }
        ]
        content: dict[str, Any] = {"photo": photo}
        if caption:
            content["caption"] = caption
        await self._push({"message": self._message(user, **content)})
        return file_id

    async def send_document(
        self, user: FakeUser, name: str, data: bytes, mime: str = "application/octet-stream"
    ) -> str:
        file_id = f"doc-{len(self._files) + 1}"
        self.add_file(file_id, f"documents/{name}", data)
        document = {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": name,
            "mime_type": mime,
            "file_size": len(data),
        }
        await self._push({"message": self._message(user, document=document)})
        return file_id

    async def press(self, user: FakeUser, call: Call, button_text: str) -> None:
        """The user taps an inline button (matched by a substring of its label)."""
        matches = [b for b in call.buttons() if button_text in b["text"]]
        assert matches, f"no button {button_text!r} in {[b['text'] for b in call.buttons()]}"
        message = {
            "message_id": call.result["message_id"],
            "date": int(time.time()),
            "chat": {"id": user.id, "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Trợ lý"},
            "text": call.text,
        }
        if call.params.get("reply_markup"):  # Telegram sends the tapped message's keyboard
            message["reply_markup"] = call.params["reply_markup"]
        update = {
            "callback_query": {
                "id": str(next(self._message_ids)),
                "from": user.as_json(),
                "chat_instance": "ci",
                "message": message,
                "data": matches[0]["callback_data"],
            }
        }
        await self._push(update)

    def fail_next(
        self,
        n: int,
        *,
        status: int = 429,
        retry_after: int | None = 1,
        method: str | None = None,
        chat_id: int | None = None,
    ) -> None:
        """Answer the next n calls (of `method`, or any but getUpdates; to `chat_id`, or to any
        chat) with an error. Naming the chat keeps background sends to other people (audit
        anchors to admins, reminders) from using up a test's failures."""
        self._failures.extend(Failure(method, status, retry_after, chat_id) for _ in range(n))

    # --- assertions -----------------------------------------------------------
    def sent_to(self, chat_id: int) -> list[Call]:
        """Messages successfully sent or edited in one chat, oldest first."""
        return [
            c
            for c in self.calls
            if c.method in ("sendMessage", "editMessageText")
            and c.chat_id == chat_id
            and c.result is not None
        ]

    async def wait_for(
        self, predicate: Callable[[Call], bool], *, after: int = 0, within: float = 30
    ) -> Call:
        """Wait until a successful call after index `after` matches; returns it."""
        assert self._changed is not None

        def find() -> Call | None:
            for call in self.calls[after:]:
                if call.result is not None and predicate(call):
                    return call
            return None

        async def waiter() -> Call:
            async with self._changed:  # type: ignore[union-attr]
                while (found := find()) is None:
                    await self._changed.wait()  # type: ignore[union-attr]
                return found

        try:
            return await asyncio.wait_for(waiter(), within)
        except TimeoutError:
            recent = [(c.method, c.chat_id, c.text[:80]) for c in self.calls[after:]][-15:]
            raise AssertionError(f"no matching call within {within}s; recent: {recent}") from None

    async def wait_message(
        self, chat_id: int, contains: str = "", *, after: int = 0, within: float = 30
    ) -> Call:
        """Wait for a message (sent or edited) to a chat whose text contains `contains`."""
        return await self.wait_for(
            lambda c: (
                c.method in ("sendMessage", "editMessageText")
                and c.chat_id == chat_id
                and contains in c.text
            ),
            after=after,
            within=within,
        )

    async def wait_polling(self, within: float = 30) -> None:
        """Wait until a dispatcher has started long polling (a getUpdates arrived)."""
        assert self._changed is not None
        start = self.polls

        async def waiter() -> None:
            async with self._changed:  # type: ignore[union-attr]
                while self.polls == start:
                    await self._changed.wait()  # type: ignore[union-attr]

        await asyncio.wait_for(waiter(), within)

    def mark(self) -> int:
        """Index to pass as `after` so only later calls are considered."""
        return len(self.calls)

    # --- HTTP handlers ------------------------------------------------------------
    async def _download(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        for name, data in self._files.values():
            if name == path:
                return web.Response(body=data)
        return web.Response(status=404)

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        if request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, str):
                    params[key] = _parse(key, value)
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        call = Call(method, params)
        if method != "getUpdates" and self._failures:
            failure = self._failures[0]
            if failure.method in (None, method) and failure.chat_id in (None, call.chat_id):
                self._failures.pop(0)
                await self._record(call)
                return _error(failure.status, "Injected failure", failure.retry_after)
        if method == "getUpdates":
            return _ok(await self._get_updates(params))
        if method in ("sendMessage", "editMessageText"):
            text = params.get("text", "")
            problem = "message is too long" if len(text) > 4096 else None
            if params.get("parse_mode") == "HTML":
                problem = problem or html_problem(text)
            if problem is not None:
                await self._record(call)
                return _error(400, f"Bad Request: {problem}")
        for observer in self.observers:
            await observer(call)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            await self._record(call)
            return _error(400, f"Bad Request: method {method} not faked")
        call.result = handler(params)
        await self._record(call)
        return _ok(call.result)

    async def _record(self, call: Call) -> None:
        assert self._changed is not None
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0))
        assert self._changed is not None
        async with self._changed:
            self.polls += 1
            self._changed.notify_all()
        # Cap the long poll so a stopping dispatcher never waits long.
        timeout = min(float(params.get("timeout", 0)), 2.0)
        assert self._changed is not None
        async with self._changed:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and timeout > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), timeout)
            return [u for u in self._updates if u["update_id"] >= offset]

    # --- faked methods ------------------------------------------------------------
    def _m_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Trợ lý Cơ sở",
            "username": BOT_USERNAME,
        }

    def _sent(self, params: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": int(params.get("message_id") or next(self._message_ids)),
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Trợ lý"},
            "text": params.get("text", ""),
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        return message

    def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._sent(params)

    def _m_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._sent(params)
        message["photo"] = [
            {"file_id": params["photo"], "file_unique_id": "u", "width": 90, "height": 90}
        ]
        message["caption"] = params.get("caption", "")
        return message

    def _m_sendDocument(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._sent(params)
        message["document"] = {"file_id": params["document"], "file_unique_id": "u"}
        message["caption"] = params.get("caption", "")
        return message

    def _m_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._sent(params)

    def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._sent(params)

    def _m_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        return True

    def _m_sendChatAction(self, params: dict[str, Any]) -> bool:
        return True

    def _m_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = params
        return True

    def _m_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {}
        return True

    def _m_setMyCommands(self, params: dict[str, Any]) -> bool:
        return True

    def _m_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = params["file_id"]
        name, data = self._files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(data),
            "file_path": name,
        }


_ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "code",
    "pre",
    "a",
    "tg-spoiler",
    "blockquote",
    "span",
}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z-]+)(\s[^<>]*)?>")
_ENTITY_RE = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def html_problem(text: str) -> str | None:
    """What Telegram would reject in an HTML-mode text (unknown/unbalanced tags, bad entities)."""
    stack: list[str] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char == "<":
            match = _TAG_RE.match(text, pos)
            if match is None or match.group(2).lower() not in _ALLOWED_TAGS:
                return f"can't parse entities: unsupported start tag at byte offset {pos}"
            name = match.group(2).lower()
            if match.group(1):
                if not stack or stack.pop() != name:
                    return f"can't parse entities: unexpected end tag at byte offset {pos}"
            else:
                stack.append(name)
            pos = match.end()
        elif char == "&":
            match = _ENTITY_RE.match(text, pos)
            if match is None:
                return f"can't parse entities: bad entity at byte offset {pos}"
            pos = match.end()
        else:
            pos += 1
    if stack:
        return "can't parse entities: unclosed tag"
    return None


def _parse(key: str, value: str) -> Any:
    if key in ("reply_markup", "allowed_updates", "link_preview_options"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if status == 429 and retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
        body["description"] = f"Too Many Requests: retry after {retry_after}"
    return web.json_response(body, status=status)
