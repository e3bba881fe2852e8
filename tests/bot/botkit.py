"""The bot test harness: a real aiogram dispatcher polling the fake Bot API, plus the workers.

A module of its own (not conftest) so tests can import it whatever folders pytest collects.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseStorage
from fake_telegram import FakeTelegram

from bot.main import create_bot, create_dispatcher
from bot.storage import DatabaseStorage
from cli.run import run_workers
from core.context import AppContext


class BotRunner:
    """Runs a real dispatcher polling the fake server, plus the outbox/deadline workers."""

    def __init__(self, ctx: AppContext, fake: FakeTelegram) -> None:
        self.ctx = ctx
        self.fake = fake
        self.bot: Bot | None = None
        self.dp: Dispatcher | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._stop = asyncio.Event()

    async def start(self, storage: BaseStorage | None = None) -> None:
        self.bot = create_bot(self.ctx.settings)
        self.dp = create_dispatcher(
            self.ctx, storage=storage or DatabaseStorage(self.ctx.sessionmaker)
        )
        self._stop = asyncio.Event()
        polling = self.dp.start_polling(self.bot, handle_signals=False, polling_timeout=1)
        self._tasks = [
            asyncio.create_task(polling),
            asyncio.create_task(run_workers(self.ctx, self.bot, self._stop)),
        ]
        await self.fake.wait_polling()

    async def stop(self) -> None:
        """Stop polling and workers, as a process shutdown would."""
        self._stop.set()
        if self.dp is not None:
            with contextlib.suppress(RuntimeError):
                await self.dp.stop_polling()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 10)
        if self.bot is not None:
            await self.bot.session.close()
        self._tasks = []
