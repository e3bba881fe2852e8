"""Bot and dispatcher factories, error translation, and the polling / webhook runners."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.filters import ExceptionTypeFilter
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import BotCommand, ErrorEvent

from bot import texts
from bot.handlers import (
    admin_kb,
    common,
    drills,
    escalation,
    initiatives,
    mentors,
    mine,
    precedents,
    questions,
    registration,
    supervisor,
    tasks,
)
from bot.inputs import ControlCharacterGuard
from bot.middlewares import DbSessionMiddleware, RateLimitMiddleware
from bot.ordering import UpdateOrder
from bot.paste import PasteJoinMiddleware
from bot.render import esc
from bot.sender import RetryMiddleware
from bot.storage import create_storage
from core.config import Settings
from core.errors import DomainError

if TYPE_CHECKING:
    from core.context import AppContext

log = logging.getLogger(__name__)


def create_bot(settings: Settings) -> Bot:
    """A Bot on the configured API server, HTML parse mode, retrying transient errors."""
    if settings.bot_token is None:
        raise RuntimeError("TROLY_BOT_TOKEN is not set")
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api))
    session.middleware(RetryMiddleware())
    return Bot(
        settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def create_dispatcher(ctx: AppContext, *, storage: BaseStorage | None = None) -> Dispatcher:
    """The dispatcher with long-lived objects in workflow data and every feature router."""
    dp = Dispatcher(
        storage=storage or create_storage(ctx.settings, ctx.sessionmaker),
        # A user's fast double taps are handled one after another, never racing the state
        # (in this process; across replicas bot.ordering.UpdateOrder keeps the order).
        events_isolation=SimpleEventIsolation(),
        ctx=ctx,
        settings=ctx.settings,
        retriever=ctx.retriever,
    )
    # The paste joiner and the rate limit run before the per-user lock of the FSM middleware:
    # a paste's first part waits for the next parts, and a message waiting for its turn does
    # not hold up the user's other updates. Then the chat's turn across replicas (and skipping
    # updates already handled): the limiter grants slots in arrival order, so the turns follow
    # it, and a message delayed by the limit does not hold the chat's turn while it waits.
    dp.update.outer_middleware.unregister(dp.fsm)
    dp.update.outer_middleware(PasteJoinMiddleware(ctx.shared))
    dp.update.outer_middleware(
        RateLimitMiddleware(
            ctx.shared, ctx.settings.rate_limit_per_minute, ctx.settings.rate_limit_window_seconds
        )
    )
    dp.update.outer_middleware(UpdateOrder(ctx.shared, lease=ctx.settings.bot_update_lease_seconds))
    dp.update.outer_middleware(dp.fsm)
    dp.update.outer_middleware(DbSessionMiddleware(ctx.sessionmaker))
    dp.message.outer_middleware(ControlCharacterGuard())
    dp.errors.register(on_domain_error, ExceptionTypeFilter(DomainError))
    dp.errors.register(on_error)
    dp.include_routers(*routers())
    return dp


def routers() -> list[Router]:
    """A new router per feature, for one dispatcher.

    Order matters: registration serves unknown people, the gate stops the rest of them,
    /huy and /trogiup work in any state, and free text falls through to questions last."""
    features = (
        registration,
        common,
        supervisor,
        escalation,
        initiatives,
        admin_kb,
        precedents,
        mine,
        tasks,
        drills,
        mentors,
        questions,
    )
    return [module.router.build() for module in features]


async def _tell(event: ErrorEvent, text: str) -> None:
    update = event.update
    bot = update.bot
    if update.callback_query is not None:
        query = update.callback_query
        await query.answer(text[:190], show_alert=True)
        if bot is not None:
            await bot.send_message(chat_id=query.from_user.id, text=text)
    elif update.message is not None:
        await update.message.answer(text)


async def on_domain_error(event: ErrorEvent) -> None:
    """A service refused: show its Vietnamese message (the update's transaction rolled back)."""
    assert isinstance(event.exception, DomainError)
    await _tell(event, texts.ERROR_DOMAIN.format(message=esc(event.exception.message)))


async def on_error(event: ErrorEvent) -> None:
    """Anything else: log it and apologise."""
    log.exception("update %s failed", event.update.update_id, exc_info=event.exception)
    try:
        await _tell(event, texts.ERROR_GENERIC)
    except Exception:  # Telegram itself may be what failed
        log.warning("could not tell the user about the error")


async def set_commands(bot: Bot) -> None:
    """The command menu users see in Telegram (best effort)."""
    commands = [BotCommand(command=c, description=d) for c, d in texts.COMMANDS.items()]
    try:
        await bot.set_my_commands(commands)
    except Exception as error:  # a missing menu must not stop the bot
        log.warning("could not set the command menu: %s", error)


async def run_polling(ctx: AppContext, bot: Bot | None = None) -> None:
    """Long polling until cancelled."""
    bot = bot or create_bot(ctx.settings)
    dp = create_dispatcher(ctx)
    await set_commands(bot)
    await bot.delete_webhook(drop_pending_updates=False)
    await dp.start_polling(bot, handle_signals=False)


async def run_webhook(ctx: AppContext, bot: Bot | None = None) -> None:
    """Serve webhook calls on settings.webhook_host:webhook_port until cancelled."""
    import asyncio

    from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
    from aiohttp import web

    settings = ctx.settings
    bot = bot or create_bot(settings)
    dp = create_dispatcher(ctx)
    await set_commands(bot)
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    path = urlparse(settings.webhook_url).path or "/telegram/webhook"
    app = web.Application()
    # Answer Telegram only once the update is handled: an update whose replica dies mid-way
    # is sent again (to any replica) instead of being lost; bot.ordering skips repeats.
    handler = SimpleRequestHandler(
        dispatcher=dp, bot=bot, secret_token=secret, handle_in_background=False
    )
    handler.register(app, path=path)
    setup_application(app, dp, bot=bot)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, settings.webhook_host, settings.webhook_port).start()
    await bot.set_webhook(
        settings.webhook_url, secret_token=secret, allowed_updates=dp.resolve_used_update_types()
    )
    log.info("webhook listening on %s:%s%s", settings.webhook_host, settings.webhook_port, path)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


async def run_bot(ctx: AppContext, bot: Bot | None = None) -> None:
    """Polling, or webhook when TROLY_WEBHOOK_URL is set."""
    if ctx.settings.webhook_url:
        await run_webhook(ctx, bot)
    else:
        await run_polling(ctx, bot)
