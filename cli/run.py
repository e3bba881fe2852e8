"""`troly run` (API + web + bot + workers in one process, or one role per process with
`--role`, and N API processes with `--workers`), `troly bot`, `troly migrate`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import subprocess
import sys
from collections.abc import Awaitable
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from core.config import Settings, get_settings

if TYPE_CHECKING:
    import uvicorn
    from aiogram import Bot

    from core.context import AppContext

log = logging.getLogger("troly")
console = Console()


ROLES = ("all", "api", "bot", "worker")


async def prepare(settings: Settings, *, search: bool = True) -> AppContext:
    """Migrate, open the context, seed the starter knowledge base on first run, and start the
    model load and the index catch-up in the background: the process serves at once,
    lexical-only from the index on disk until the model is in (or, with no index, building it
    for the first search), and /readyz says when both are done. Without `search` (worker
    processes) no model or index is loaded."""
    from core.context import AppContext
    from core.db import create_engine, create_sessionmaker, unit_of_work
    from core.migrate import upgrade
    from knowledge import service as kb_service
    from retrieval.service import Retriever

    if search:
        ctx = await AppContext.create(
            settings, migrate=True, sync_index=False, model_in_background=True
        )
    else:
        settings.ensure_dirs()
        engine = create_engine(settings.resolved_database_url)
        await upgrade(engine)
        maker = create_sessionmaker(engine)
        ctx = AppContext(settings, engine, maker, Retriever(settings, maker, None))
    async with unit_of_work(ctx.sessionmaker) as session:
        seeded = await kb_service.seed_if_empty(
            session, chunk_words=settings.chunk_words, chunk_step=settings.chunk_step
        )
    if not search:
        return ctx
    ctx.retriever.catchup.start()
    if seeded:
        console.print("[green]Đã nạp cơ sở tri thức mẫu (starter).[/green]")
    if ctx.retriever.embedder is None and not ctx.retriever.model_loading:
        console.print(
            "[yellow]Chưa có mô hình ngữ nghĩa: tìm kiếm chỉ theo từ khóa. "
            "Chạy `troly models install` để cài.[/yellow]"
        )
    return ctx


async def run_workers(ctx: AppContext, bot: Bot | None, stop: asyncio.Event) -> None:
    """Outbox delivery (when a bot is available), case and hard-task deadline sweeps, drill
    delivery, initiative evaluation reminders, signed audit anchors and knowledge-base import
    jobs (queued by any replica), until `stop`."""
    from core.anchoring import run_anchor_loop
    from core.cases.scheduled import run_sweep_loop
    from core.drills.scheduled import run_drill_sweep_loop
    from core.initiatives.assignment import run_reminder_loop
    from core.knowledge.imports import run_import_loop
    from core.tasks.scheduled import run_task_sweep_loop

    loops: list[Awaitable[None]] = [
        run_sweep_loop(ctx.sessionmaker, ctx.settings, stop),
        run_task_sweep_loop(ctx.sessionmaker, ctx.settings, stop),
        run_drill_sweep_loop(ctx.sessionmaker, ctx.settings, stop),
        run_reminder_loop(ctx.sessionmaker, ctx.settings, stop),
        run_anchor_loop(ctx.sessionmaker, ctx.settings, stop),
        run_import_loop(ctx.sessionmaker, ctx.settings, ctx.retriever.sync, stop),
    ]
    if bot is not None:
        from bot.notifier import TelegramNotifier
        from core.outbox.worker import run_delivery_loop

        notifier = TelegramNotifier(bot)
        loops.append(run_delivery_loop(ctx.sessionmaker, notifier, ctx.settings, stop))
    await asyncio.gather(*loops)


async def _serve(settings: Settings, *, api: bool, bot_enabled: bool, workers: bool = True) -> None:
    from retrieval.freshness import watch

    ctx = await prepare(settings, search=api or bot_enabled)
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    bot = None
    try:
        if api or bot_enabled:
            # Follow imports made through other processes even when nobody searches here.
            interval = settings.worker_interval_seconds
            tasks.append(asyncio.create_task(watch(ctx.retriever.lag, stop, interval)))
        if (bot_enabled or workers) and settings.bot_token is not None:
            from bot.main import create_bot, run_bot

            bot = create_bot(settings)
            if bot_enabled:
                me = await bot.get_me()
                mode = "webhook" if settings.webhook_url else "long polling"
                console.print(f"Bot Telegram: @{me.username} ({mode})")
                tasks.append(asyncio.create_task(run_bot(ctx, bot), name="bot"))
        elif bot_enabled or workers:
            console.print("[yellow]TROLY_BOT_TOKEN chưa đặt: không chạy bot Telegram.[/yellow]")
        if workers:
            tasks.append(asyncio.create_task(run_workers(ctx, bot, stop), name="workers"))
        if api:
            import uvicorn

            from api.main import create_app

            config = uvicorn.Config(
                create_app(ctx),
                host=settings.api_host,
                port=settings.api_port,
                log_level="info",
                log_config=None,  # uvicorn logs through ours (JSON when configured)
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
        await ctx.retriever.catchup.stop()
        await ctx.retriever.model_load.stop()
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
        role: str = typer.Option(
            "all",
            "--role",
            help="all: mọi thứ trong một tiến trình; api: web và API; bot: nhận tin Telegram; "
            "worker: gửi hộp thư đi, nhắc hạn, mốc kiểm chứng.",
        ),
        workers: int = typer.Option(
            1, "--workers", min=1, help="Số tiến trình web/API (uvicorn workers) dùng chung cổng."
        ),
    ) -> None:
        """Start everything (web console + API, the Telegram bot if a token is set, workers),
        or one role per process."""
        if role not in ROLES:
            console.print(f"[red]--role phải là một trong: {', '.join(ROLES)}.[/red]")
            raise typer.Exit(2)
        configure_logging()
        settings = get_settings()
        if workers > 1 and role in ("all", "api"):
            _serve_many(settings, workers, others=role == "all", bot=not no_bot)
            return
        api = role in ("all", "api")
        bot_enabled = role in ("all", "bot") and not no_bot
        background = role in ("all", "worker")
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve(settings, api=api, bot_enabled=bot_enabled, workers=background))

    @app.command("bot")
    def bot_only() -> None:
        """Run only the Telegram bot (with outbox delivery and deadline workers)."""
        configure_logging()
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


def _share_metrics(settings: Settings) -> None:
    """One /metrics for the N processes on one port: prometheus-client's multiprocess mode,
    in a directory emptied first (a previous run's counters must not add up with these).
    Set before the workers (and the bot child) start, which read it when they import it."""
    import os

    directory = settings.data_dir / "metrics"
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory.resolve())


def configure_logging() -> None:
    """INFO to stderr, one line per record (JSON when TROLY_LOG_FORMAT=json)."""
    from core.logs import configure

    configure(get_settings().log_format)


def _serve_many(settings: Settings, workers: int, *, others: bool, bot: bool) -> None:
    """N API processes on one port (uvicorn's process manager; each worker opens its own
    context and follows the index in the background), after migrating and seeding once here.
    With `others` the bot and the workers run in one more child process (`--role bot` does
    the bot, `--role worker` the loops: here both, as `troly bot`)."""

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    async def once() -> None:
        ctx = await prepare(settings, search=False)
        await ctx.close()

    asyncio.run(once())
    _share_metrics(settings)
    child = None
    if others:
        with_bot = bot and settings.bot_token is not None
        command = [sys.argv[0], "bot"] if with_bot else [sys.argv[0], "run", "--role", "worker"]
        child = subprocess.Popen(command)
    console.print(
        f"Web và API: http://{settings.api_host}:{settings.api_port} ({workers} tiến trình)"
    )
    try:
        # uvicorn.run's own worker path, with the listening socket from `tcp_listener`.
        config = uvicorn.Config(
            "api.main:create_app",
            factory=True,
            host=settings.api_host,
            port=settings.api_port,
            workers=workers,
            log_level="info",
            log_config=None,  # uvicorn logs through ours (JSON when configured)
            # Each worker imports torch and loads the model: on a busy host that takes longer
            # than uvicorn's default 5 s before it answers the supervisor's first ping.
            timeout_worker_healthcheck=120,
        )
        Multiprocess(config, sockets=[tcp_listener(config)]).run()
    finally:
        if child is not None:
            child.terminate()
            child.wait(timeout=30)


def tcp_listener(config: uvicorn.Config) -> socket.socket:
    """uvicorn's listening socket for its workers, labelled as TCP.

    uvicorn binds it with `socket.socket(family)`, i.e. protocol 0; the workers rebuild it
    with that label and asyncio then never sets TCP_NODELAY on accepted connections, so every
    response on a kept-alive connection waited ~45 ms for the client's delayed ACK
    (Kludex/uvicorn#3149). The same file descriptor, labelled IPPROTO_TCP, fixes it.
    """
    bound = config.bind_socket()
    if bound.family not in (socket.AF_INET, socket.AF_INET6):
        return bound
    sock = socket.socket(bound.family, bound.type, socket.IPPROTO_TCP, fileno=bound.detach())
    sock.set_inheritable(True)
    return sock
