"""Gate for unknown users, /trogiup and /huy (works in any state)."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.dialogue import advance
from bot.render import esc
from bot.routing import RouterFactory
from core.config import Settings
from core.users.authz import is_admin, is_staff
from core.users.models import User
from core.web import service as web_service

router = RouterFactory(__name__)


class Unregistered(Filter):
    """Matches events from people who are not registered (or are deactivated)."""

    async def __call__(self, event: TelegramObject, user: User | None = None) -> bool:
        return user is None


@router.message(Unregistered())
async def unknown_message(message: Message, inactive: bool = False) -> None:
    await message.answer(texts.INACTIVE_USER if inactive else texts.UNKNOWN_USER)


@router.callback_query(Unregistered())
async def unknown_callback(query: CallbackQuery, inactive: bool = False) -> None:
    await query.answer(texts.INACTIVE_USER if inactive else texts.UNKNOWN_USER, show_alert=True)


def help_text(user: User) -> str:
    """Help for this person's role."""
    text = texts.HELP_CADRE
    if is_staff(user):
        text += texts.HELP_SUPERVISOR
    if is_admin(user):
        text += texts.HELP_ADMIN
    return text


@router.message(Command("trogiup", "help"))
async def show_help(message: Message, user: User) -> None:
    await message.answer(help_text(user))


@router.message(Command("dangnhap", "login"))
async def web_login(
    message: Message, session: AsyncSession, user: User, settings: Settings
) -> None:
    """A one-time code for the web console, delivered through the outbox."""
    assert user.telegram_id is not None
    code = await web_service.request_login_code(
        session, settings=settings, telegram_id=user.telegram_id
    )
    await session.commit()
    url = f"http://{settings.api_host}:{settings.api_port}/"
    text = texts.WEB_LOGIN_SENT if code is not None else texts.WEB_LOGIN_WAIT
    await message.answer(text.format(telegram_id=user.telegram_id, url=esc(url)))


@router.message(Command("huy", "cancel"))
async def cancel(message: Message, state: FSMContext) -> None:
    had_state = await state.get_state() is not None
    await advance(state, None)
    await message.answer(texts.CANCELLED if had_state else texts.NOTHING_TO_CANCEL)


@router.callback_query(F.data.endswith(":cancel"))
async def cancel_button(query: CallbackQuery, state: FSMContext) -> None:
    await advance(state, None)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(texts.CANCELLED)
