"""/luyentap and situation-drill buttons: answer (an option, or a free text after ✍️), see the
approved answer and its source, compare a free answer, change the rhythm or pause, and the
supervisor's one-tap publish under a proposed draft. Thin over core.drills."""

from __future__ import annotations

import contextlib

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.callbacks import DrillAction, DrillCb
from bot.dialogue import prompt, step_text
from bot.routing import RouterFactory
from bot.states import DrillAnswering
from core.cases.calendar import calendar_for
from core.config import Settings
from core.drills import service as drills
from core.drills import texts
from core.drills.models import DrillDelivery
from core.drills.schemas import DrillAnswer, ScheduleUpdate
from core.users.models import User

router = RouterFactory(__name__)
TEXT = F.text & ~F.text.startswith("/")
ANSWER_CHARS = 2000


@router.message(Command("luyentap"))
async def my_schedule(
    message: Message, session: AsyncSession, user: User, settings: Settings
) -> None:
    await _show_schedule(message.chat.id, message.bot, session, user, settings)


async def _show_schedule(
    chat_id: int, bot: Bot | None, session: AsyncSession, user: User, settings: Settings
) -> None:
    item = await drills.get_schedule(session, actor=user, calendar=calendar_for(settings))
    pending = len(await drills.my_deliveries(session, actor=user, unanswered=True))
    assert bot is not None
    await bot.send_message(
        chat_id=chat_id,
        text=texts.schedule(item, pending),
        reply_markup=keyboards.drill_schedule(item),
    )


@router.callback_query(DrillCb.filter(F.action.in_({DrillAction.EVERY, DrillAction.PAUSE})))
async def change_schedule(
    query: CallbackQuery, callback_data: DrillCb, session: AsyncSession, user: User,
    settings: Settings,
) -> None:  # fmt: skip
    if callback_data.action is DrillAction.EVERY:
        data = ScheduleUpdate(interval_days=callback_data.value)
    else:
        data = ScheduleUpdate(paused=bool(callback_data.value))
    item = await drills.set_schedule(
        session, actor=user, data=data, calendar=calendar_for(settings)
    )
    await session.commit()
    await query.answer(texts.SCHEDULE_SAVED)
    if isinstance(query.message, Message):
        with contextlib.suppress(Exception):  # cosmetic: the old message may not be editable
            await query.message.edit_text(
                texts.schedule(item, 0),
                reply_markup=keyboards.drill_schedule(item),
            )


@router.callback_query(DrillCb.filter(F.action == DrillAction.PICK))
async def pick(
    query: CallbackQuery, callback_data: DrillCb, session: AsyncSession, user: User, bot: Bot
) -> None:
    delivery = await drills.answer(
        session, actor=user, delivery_id=callback_data.target,
        data=DrillAnswer(choice=callback_data.value),
    )  # fmt: skip
    await session.commit()
    await query.answer()
    await _drop_buttons(query)
    await _reveal(bot, query.from_user.id, delivery)


@router.callback_query(DrillCb.filter(F.action == DrillAction.WRITE))
async def start_write(
    query: CallbackQuery, callback_data: DrillCb, state: FSMContext, session: AsyncSession,
    user: User, bot: Bot,
) -> None:  # fmt: skip
    delivery = await drills.my_delivery(session, actor=user, delivery_id=callback_data.target)
    await query.answer()
    if delivery.answered_at is not None:
        await _reveal(bot, query.from_user.id, delivery)
        return
    await prompt(
        bot, state, chat_id=query.from_user.id,
        text=texts.ASK_FREE_ANSWER.format(title=delivery.drill.title),
        state=DrillAnswering.text, data={"delivery_id": delivery.id},
    )  # fmt: skip


@router.message(DrillAnswering.text, TEXT)
async def free_answer(
    message: Message, state: FSMContext, session: AsyncSession, user: User
) -> None:
    text = await step_text(message, limit=ANSWER_CHARS)
    if text is None:
        return
    delivery_id = int((await state.get_data())["delivery_id"])
    delivery = await drills.answer(
        session, actor=user, delivery_id=delivery_id, data=DrillAnswer(text=text)
    )
    await state.clear()
    await session.commit()
    assert message.bot is not None
    await _reveal(message.bot, message.chat.id, delivery)


@router.callback_query(DrillCb.filter(F.action == DrillAction.SELF))
async def self_check(
    query: CallbackQuery, callback_data: DrillCb, session: AsyncSession, user: User
) -> None:
    await drills.self_check(
        session, actor=user, delivery_id=callback_data.target, correct=bool(callback_data.value)
    )
    await session.commit()
    await query.answer()
    await _drop_buttons(query)
    if isinstance(query.message, Message):
        await query.message.answer(texts.SELF_NOTED)


@router.callback_query(DrillCb.filter(F.action == DrillAction.PUBLISH))
async def publish(
    query: CallbackQuery, callback_data: DrillCb, session: AsyncSession, user: User, bot: Bot
) -> None:
    drill = await drills.publish(session, actor=user, drill_id=callback_data.target)
    await session.commit()
    await query.answer()
    await _drop_buttons(query)
    await bot.send_message(chat_id=query.from_user.id, text=texts.PUBLISHED.format(id=drill.id))


async def _reveal(bot: Bot, chat_id: int, delivery: DrillDelivery) -> None:
    free = not delivery.drill.options and delivery.correct is None
    markup = keyboards.drill_self_check(delivery.id) if free else None
    await bot.send_message(chat_id=chat_id, text=texts.reveal(delivery), reply_markup=markup)


async def _drop_buttons(query: CallbackQuery) -> None:
    if isinstance(query.message, Message):
        with contextlib.suppress(Exception):  # cosmetic; the message may be too old to edit
            await query.message.edit_reply_markup(reply_markup=None)
