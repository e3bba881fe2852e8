"""On-the-spot support from peers: 🤝 under a not-covered answer lists mentors of the cadre's
position; a mentor is asked in one tap and replies with ✍️; the reply reaches the cadre marked
as peer advice with ❓ (formal xin ý kiến) beside it. /dongnghiep volunteers or stops.
Thin over core.mentors."""

from __future__ import annotations

import contextlib

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards
from bot.callbacks import MentorAction, MentorCb, QuestionAction, QuestionCb
from bot.dialogue import prompt, step_text
from bot.routing import RouterFactory
from bot.states import MentorReplying
from core.mentors import service as mentors
from core.mentors import texts
from core.users.models import User

router = RouterFactory(__name__)
TEXT = F.text & ~F.text.startswith("/")
REPLY_CHARS = 3000


@router.message(Command("dongnghiep"))
async def my_status(message: Message, session: AsyncSession, user: User) -> None:
    mentor = await mentors.get_mentor(session, user)
    await message.answer(
        texts.status(mentor, user.position),
        reply_markup=keyboards.mentor_switch(mentor, user.position),
    )


@router.callback_query(MentorCb.filter(F.action == MentorAction.TOGGLE))
async def toggle(
    query: CallbackQuery, callback_data: MentorCb, session: AsyncSession, user: User
) -> None:
    mentor = await mentors.volunteer(session, actor=user, on=bool(callback_data.value))
    await session.commit()
    await query.answer()
    text = texts.status(mentor, user.position)
    markup = keyboards.mentor_switch(mentor, user.position)
    if isinstance(query.message, Message):
        with contextlib.suppress(Exception):  # cosmetic: the old message may not be editable
            await query.message.edit_text(text, reply_markup=markup)


@router.callback_query(QuestionCb.filter(F.action == QuestionAction.PEER))
async def choose(
    query: CallbackQuery, callback_data: QuestionCb, session: AsyncSession, user: User, bot: Bot
) -> None:
    found = await mentors.mentors_for(session, actor=user)
    await query.answer()
    await bot.send_message(
        chat_id=query.from_user.id,
        text=texts.choose(found),
        reply_markup=keyboards.mentor_choice(found, callback_data.qid),
    )


@router.callback_query(MentorCb.filter(F.action == MentorAction.ASK))
async def ask(
    query: CallbackQuery, callback_data: MentorCb, session: AsyncSession, user: User, bot: Bot
) -> None:
    request = await mentors.ask(
        session, actor=user, mentor_id=callback_data.target, question_id=callback_data.value
    )
    await session.commit()
    await query.answer()
    await bot.send_message(
        chat_id=query.from_user.id, text=texts.sent(request.mentor),
        reply_markup=keyboards.formal_escalation(request.question_id),
    )  # fmt: skip


@router.callback_query(MentorCb.filter(F.action == MentorAction.REPLY))
async def start_reply(
    query: CallbackQuery, callback_data: MentorCb, state: FSMContext, session: AsyncSession,
    user: User, bot: Bot,
) -> None:  # fmt: skip
    request = await mentors.get_request(session, actor=user, request_id=callback_data.target)
    await query.answer()
    await prompt(
        bot, state, chat_id=query.from_user.id, text=texts.ASK_REPLY,
        state=MentorReplying.text, data={"request_id": request.id},
    )  # fmt: skip


@router.message(MentorReplying.text, TEXT)
async def reply_text(
    message: Message, state: FSMContext, session: AsyncSession, user: User
) -> None:
    text = await step_text(message, limit=REPLY_CHARS)
    if text is None:
        return
    request_id = int((await state.get_data())["request_id"])
    await mentors.reply(session, actor=user, request_id=request_id, text=text)
    await state.clear()
    await session.commit()
    await message.answer(texts.REPLY_SENT)
