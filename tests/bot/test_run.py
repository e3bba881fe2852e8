"""`troly run` in one process: API/web, the bot polling, the workers; starter KB seeded."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path

import httpx
from fake_telegram import FakeTelegram, FakeUser
from pydantic import SecretStr
from sqlalchemy import func, select

from bot import texts
from cli.run import _serve
from core.config import Settings
from core.db import create_engine, create_sessionmaker, unit_of_work
from knowledge.models import Document


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_run_serves_api_bot_and_seeds(tmp_path: Path, fake: FakeTelegram) -> None:
    port = _free_port()
    settings = Settings(
        data_dir=tmp_path / "data",
        models_dir=tmp_path / "no-models",  # lexical-only keeps this start-up test fast
        bot_token=SecretStr(fake.token),
        telegram_api=fake.base_url,
        api_port=port,
        worker_interval_seconds=0.2,
    )
    task = asyncio.create_task(_serve(settings, api=True, bot_enabled=True))
    try:
        await fake.wait_polling(within=120)
        stranger = FakeUser(99, "Lạ")
        await fake.send_text(stranger, "xin chào")
        await fake.wait_message(stranger.id, texts.UNKNOWN_USER)
        async with httpx.AsyncClient() as http:
            for _ in range(100):  # uvicorn binds shortly after the bot starts polling
                with contextlib.suppress(httpx.TransportError):
                    response = await http.get(f"http://127.0.0.1:{port}/openapi.json")
                    break
                await asyncio.sleep(0.1)
        assert response.status_code == 200
        engine = create_engine(settings.resolved_database_url)
        async with unit_of_work(create_sessionmaker(engine)) as s:
            assert await s.scalar(select(func.count()).select_from(Document)) >= 1
        await engine.dispose()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
