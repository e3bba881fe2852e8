"""`troly run` (API + web + bot + workers in one process), `troly bot`, `troly migrate`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from core.config import Settings, get_settings

if TYPE_CHECKING:
    from aiogram import Bot

    from core.context import AppContext

log = logging.getLogger("troly")
console = Console()


async def prepare(settings: Settings) -> AppContext:
    """Migrate, open the context, seed the starter knowledge base on first run, sync the index."""
    from core.context import AppContext
    from core.db import unit_of_work
    from knowledge import service as kb_service

    ctx = await AppContext.create(settings, migrate=True)
    async with unit_of_work(ctx.sessionmaker) as session:
        seeded = await kb_service.seed_if_empty(
            session, chunk_words=settings.chunk_words, chunk_step=settings.chunk_step
        )
    await ctx.retriever.sync()
    if seeded:
        console.print("[green]Đã nạp cơ sở tri thức mẫu (starter).[/green]")
    if ctx.retriever.embedder is None:
        console.print(
            "[yellow]Chưa có mô hình ngữ nghĩa: tìm kiếm chỉ theo từ khóa. "
            "Chạy `troly models install` để cài.[/yellow]"
        )
    return ctx


async def run_workers(ctx: AppContext, bot: Bot | None, stop: asyncio.Event) -> None:
    """Outbox delivery (when a bot is available), case and hard-task deadline sweeps,
    initiative evaluation reminders and signed audit anchors, until `stop`."""
    from core.anchoring import run_anchor_loop
    from core.cases.scheduled import run_sweep_loop
    from core.initiatives.assignment import run_reminder_loop
    from core.tasks.scheduled import run_task_sweep_loop

    loops: list[Awaitable[None]] = [
        run_sweep_loop(ctx.sessionmaker, ctx.settings, stop),
        run_task_sweep_loop(ctx.sessionmaker, ctx.settings, stop),
        run_reminder_loop(ctx.sessionmaker, ctx.settings, stop),
        run_anchor_loop(ctx.sessionmaker, ctx.settings, stop),
    ]
    if bot is not None:
        from bot.notifier import TelegramNotifier
        from core.outbox.worker import run_delivery_loop

        notifier = TelegramNotifier(bot)
        loops.append(run_delivery_loop(ctx.sessionmaker, notifier, ctx.settings, stop))
    await asyncio.gather(*loops)


async def _serve(settings: Settings, *, api: bool, bot_enabled: bool) -> None:
    ctx = await prepare(settings)
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    bot = None
    try:
        if bot_enabled and settings.bot_token is not None:
            from bot.main import create_bot, run_bot

            bot = create_bot(settings)
            me = await bot.get_me()
            mode = "webhook" if settings.webhook_url else "long polling"
            console.print(f"Bot Telegram: @{me.username} ({mode})")
            tasks.append(asyncio.create_task(run_bot(ctx, bot), name="bot"))
        elif bot_enabled:
            console.print("[yellow]TROLY_BOT_TOKEN chưa đặt: không chạy bot Telegram.[/yellow]")
        tasks.append(asyncio.create_task(run_workers(ctx, bot, stop), name="workers"))
        if api:
            import uvicorn

            from api.main import create_app

            config = uvicorn.Config(
                create_app(ctx), host=settings.api_host, port=settings.api_port, log_level="info"
            )
            console.print(f"Web và API: http://{settings.api_host}:{settings.api_port}")
            tasks.append(asyncio.create_task(uvicorn.Server(config).serve(), name="api"))
        # The first task to end (uvicorn on Ctrl+C, or a crash) stops the process.
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
        if bot is not None:
            await bot.session.close()
        await ctx.close()


def register(app: typer.Typer) -> None:
    """Attach this module's commands to the main app."""

    @app.command()
    def run(
        no_bot: bool = typer.Option(False, "--no-bot", help="Không chạy bot Telegram."),
    ) -> None:
        """Start everything: web console + API, the Telegram bot (if a token is set), workers."""
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve(get_settings(), api=True, bot_enabled=not no_bot))

    @app.command("bot")
    def bot_only() -> None:
        """Run only the Telegram bot (with outbox delivery and deadline workers)."""
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        settings = get_settings()
        if settings.bot_token is None:
            console.print("[red]Cần đặt TROLY_BOT_TOKEN (mã bot lấy từ @BotFather).[/red]")
            raise typer.Exit(1)
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve(settings, api=False, bot_enabled=True))

    @app.command()
    def migrate() -> None:
        """Bring the database schema up to date."""
        from core.db import create_engine
        from core.migrate import upgrade

        settings = get_settings()
        settings.ensure_dirs()

        async def go() -> None:
            engine = create_engine(settings.resolved_database_url)
            try:
                await upgrade(engine)
            finally:
                await engine.dispose()

        asyncio.run(go())
        console.print("[green]Cơ sở dữ liệu đã ở phiên bản mới nhất.[/green]")
