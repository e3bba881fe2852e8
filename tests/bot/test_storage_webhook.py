"""Persistent FSM storage (database and Redis), double taps, and webhook mode with a secret."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid

import aiohttp
import pytest
from aiogram.fsm.storage.base import StorageKey
from botkit import BotRunner
from fake_telegram import FakeTelegram
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.main import create_bot, run_webhook
from bot.states import Initiative
from bot.storage import DatabaseStorage, create_storage
from core.cases.models import Case
from core.chatstate.models import ChatState
from core.config import Settings
from core.context import AppContext
from core.db import unit_of_work


def _key(user_id: int = 77) -> StorageKey:
    return StorageKey(bot_id=1, chat_id=user_id, user_id=user_id)


async def test_database_storage_round_trip(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    storage = DatabaseStorage(sessionmaker)
    await storage.set_state(_key(), Initiative.problem)
    await storage.update_data(_key(), {"title": "Sổ tay <QR>"})
    # A second storage object (a restarted process) sees the same conversation.
    again = DatabaseStorage(sessionmaker)
    assert await again.get_state(_key()) == Initiative.problem.state
    assert await again.get_data(_key()) == {"title": "Sổ tay <QR>"}
    assert await again.get_state(_key(78)) is None
    await again.set_state(_key(), None)
    await again.set_data(_key(), {})
    async with unit_of_work(sessionmaker) as s:
        assert await s.scalar(select(func.count()).select_from(ChatState)) == 0


async def test_redis_storage_when_configured(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    redis_settings = settings.model_copy(update={"redis_url": "redis://127.0.0.1:6379/0"})
    storage = create_storage(redis_settings, sessionmaker)
    key = _key(int(uuid.uuid4().int % 10**9))
    try:
        await storage.set_state(key, Initiative.title)
    except Exception as error:
        pytest.skip(f"Redis not reachable: {error}")
    try:
        await storage.set_data(key, {"title": "x"})
        other = create_storage(redis_settings, sessionmaker)
        assert await other.get_state(key) == Initiative.title.state
        assert await other.get_data(key) == {"title": "x"}
        await other.close()
    finally:
        await storage.set_state(key, None)
        await storage.set_data(key, {})
        await storage.close()


async def test_double_tap_on_send_creates_one_case(
    ctx: AppContext, people, fake: FakeTelegram, runner: BotRunner
) -> None:
    cadre = people.fakes["cadre"]
    mark = fake.mark()
    await fake.send_text(cadre, "/xinykien")
    await fake.wait_message(cadre.id, "mô tả tình huống", after=mark)
    await fake.send_text(cadre, "Người dân xin xác nhận nơi cư trú cho người đã chuyển đi")
    ask = await fake.wait_message(cadre.id, "Bạn có muốn gửi kèm", after=mark)
    await fake.press(cadre, ask, "Tiếp tục")
    confirm = await fake.wait_message(cadre.id, "Xác nhận gửi", after=mark)
    await fake.send_text(cadre, "ok gửi đi")  # text where a button is expected
    await fake.wait_message(cadre.id, "đang làm dở một thao tác", after=mark)
    await asyncio.gather(fake.press(cadre, confirm, "Gửi"), fake.press(cadre, confirm, "Gửi"))
    await fake.wait_for(
        lambda c: c.method == "answerCallbackQuery" and "hết hiệu lực" in str(c.params.get("text")),
        after=mark,
    )
    await fake.wait_message(cadre.id, "Đã gửi xin ý kiến", after=mark)
    async with unit_of_work(ctx.sessionmaker) as s:
        assert await s.scalar(select(func.count()).select_from(Case)) == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_mode_checks_the_secret(ctx: AppContext, people, fake: FakeTelegram) -> None:
    port = _free_port()
    ctx.settings.webhook_url = "https://troly.example.org/telegram/webhook"
    ctx.settings.webhook_secret = SecretStr("s3cret-token")
    ctx.settings.webhook_port = port
    bot = create_bot(ctx.settings)
    task = asyncio.create_task(run_webhook(ctx, bot))
    try:
        await fake.wait_for(lambda c: c.method == "setWebhook")
        assert fake.webhook["url"] == ctx.settings.webhook_url
        assert fake.webhook["secret_token"] == "s3cret-token"
        cadre = people.fakes["cadre"]
        update = {"update_id": 1, "message": {
            "message_id": 1, "date": 0, "chat": {"id": cadre.id, "type": "private"},
            "from": cadre.as_json(), "text": "/trogiup",
        }}  # fmt: skip
        url = f"http://127.0.0.1:{port}/telegram/webhook"
        async with aiohttp.ClientSession() as http:
            bad = await http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "x"}
            )
            assert bad.status == 401
            ok = await http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
            )
            assert ok.status == 200
        await fake.wait_message(cadre.id, "hướng dẫn nhanh")
        assert len(fake.sent_to(cadre.id)) == 1  # the wrong-secret call was not handled
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await bot.session.close()
