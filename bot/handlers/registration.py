"""Registration by invitation: /start CODE (or the deep link), full name, position."""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from bot.callbacks import PositionCb
from bot.dialogue import prompt
from bot.render import esc
from bot.routing import RouterFactory
from bot.states import Registration
from core.users import service as user_service
from core.users.invites import position_choices
from core.users.models import User

router = RouterFactory(__name__)


@router.message(CommandStart())
async def start(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    session: AsyncSession,
    user: User | None,
    bot: Bot,
    inactive: bool = False,
) -> None:
    if user is not None:
        await state.clear()
        await message.answer(texts.ALREADY_REGISTERED.format(name=esc(user.full_name)))
        return
    code = (command.args or "").strip()
    if inactive or not code:
        await message.answer(texts.INACTIVE_USER if inactive else texts.UNKNOWN_USER)
        return
    invite = await user_service.check_invite(session, code=code)
    unit = await user_service.require_unit(session, unit_id=invite.unit_id)
    role = texts.ROLE_LABELS.get(invite.role, invite.role)
    await prompt(
        bot, state, chat_id=message.chat.id,
        text=texts.ASK_FULL_NAME.format(role=esc(role), unit=esc(unit.name)),
        state=Registration.full_name, data={"code": code},
    )  # fmt: skip


@router.message(Registration.full_name, F.text, ~F.text.startswith("/"))
async def full_name(message: Message, state: FSMContext, session: AsyncSession, bot: Bot) -> None:
    name = " ".join((message.text or "").split())
    if not 2 <= len(name) <= 200:
        await message.answer(texts.BAD_FULL_NAME)
        return
    data = await state.get_data()
    invite = await user_service.check_invite(session, code=str(data.get("code", "")))
    unit = await user_service.require_unit(session, unit_id=invite.unit_id)
    positions = position_choices(unit, invite.role)
    if not positions:
        await _register(message, state, session, name=name, position=None, chat_id=message.chat.id)
        return
    await prompt(
        bot, state, chat_id=message.chat.id, text=texts.ASK_POSITION.format(name=esc(name)),
        markup=keyboards.positions(positions), state=Registration.position,
        update={"name": name},
    )  # fmt: skip


@router.callback_query(Registration.position, PositionCb.filter())
async def position(
    query: CallbackQuery,
    callback_data: PositionCb,
    state: FSMContext,
    session: AsyncSession,
    bot: Bot,
) -> None:
    data = await state.get_data()
    invite = await user_service.check_invite(session, code=str(data.get("code", "")))
    unit = await user_service.require_unit(session, unit_id=invite.unit_id)
    positions = position_choices(unit, invite.role)
    if not 0 <= callback_data.index < len(positions):
        await query.answer(texts.EXPIRED_BUTTON)
        return
    await query.answer()
    chat_id = query.message.chat.id if query.message else query.from_user.id
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    await _register(
        query, state, session, name=str(data.get("name", "")),
        position=positions[callback_data.index], chat_id=chat_id,
    )  # fmt: skip


async def _register(
    event: Message | CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    *,
    name: str,
    position: str | None,
    chat_id: int,
) -> None:
    data = await state.get_data()
    user = await user_service.redeem_invite(
        session,
        code=str(data.get("code", "")),
        telegram_id=event.from_user.id if event.from_user else chat_id,
        chat_id=chat_id,
        full_name=name,
        position=position,
    )
    await state.clear()
    unit = await user_service.require_unit(session, unit_id=user.unit_id)
    # Commit before telling the user it worked (the edge owns the transaction).
    await session.commit()
    text = texts.REGISTERED.format(
        name=esc(user.full_name),
        role=esc(texts.ROLE_LABELS.get(user.role, user.role)),
        unit=esc(unit.name),
        position=esc(user.position or texts.NO_POSITION),
    )
    if event.bot is not None:
        await event.bot.send_message(chat_id=chat_id, text=text)
