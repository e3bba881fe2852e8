"""Plain text is a question: the answering clause with its citation, the confidence, and
👍 👎 ❓ ➕ 📄 buttons (other passages and the whole article one tap away)."""

from __future__ import annotations

import contextlib

from aiogram import Bot, F
from aiogram.enums import ChatAction
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, Update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, render, sender, texts
from bot.callbacks import QuestionAction, QuestionCb
from bot.handlers.escalation import start_prefilled
from bot.inputs import long_text_refusal, refusal
from bot.routing import RouterFactory
from bot.states import Feedback
from core.answers import service as answers
from core.config import Settings
from core.feedback import service as feedback
from core.users.models import User
from retrieval.service import Retriever

router = RouterFactory(__name__)
# Passages kept per question beyond the one that leads the answer, for "➕ Xem thêm".
EXTRA_PASSAGES = 4


@router.message(StateFilter(None), F.text, ~F.text.startswith("/"))
async def ask(
    message: Message,
    bot: Bot,
    session: AsyncSession,
    user: User,
    settings: Settings,
    retriever: Retriever,
    event_update: Update,
) -> None:
    question = message.text or ""
    if (problem := long_text_refusal(question)) is not None:
        await message.answer(problem)
        return
    with contextlib.suppress(Exception):  # the typing indicator is cosmetic only
        await bot.send_chat_action(chat_id=message.chat.id, action=ChatAction.TYPING)
    result = await answers.ask(session, retriever, user=user, query=question, k=1 + EXTRA_PASSAGES)
    markup = None
    if result.too_short or result.question_id is None:
        text = texts.TOO_SHORT
    else:
        response = result.response
        understood = response.understood
        text = render.answer(
            result.passages, confidence=response.confidence, novel=response.novel,
            lexical=response.mode == "lexical",
            understood=understood.text if understood and understood.changed else None,
            note=result.also_in_note,
        )  # fmt: skip
        markup = keyboards.answer(
            result.question_id, novel=response.novel, has_more=len(result.passages) > 1,
            article=result.passages[0].get("article") if result.passages else None,
        )  # fmt: skip
    # Commit first: no database lock is held while Telegram is slow; a reply that cannot be
    # sent goes to the outbox in a new transaction, committed by the middleware.
    await session.commit()
    await sender.reply(
        bot, session, chat_id=message.chat.id, text=text, user=user, markup=markup,
        key=sender.update_key(bot, event_update),
    )  # fmt: skip


@router.callback_query(QuestionCb.filter(F.action == QuestionAction.UP))
async def helpful(
    query: CallbackQuery, callback_data: QuestionCb, session: AsyncSession, user: User
) -> None:
    await feedback.set_feedback(session, question_id=callback_data.qid, user_id=user.id,
                                verdict="helpful")  # fmt: skip
    await session.commit()
    await query.answer(texts.FEEDBACK_THANKS)


@router.callback_query(QuestionCb.filter(F.action == QuestionAction.DOWN))
async def unhelpful(
    query: CallbackQuery,
    callback_data: QuestionCb,
    session: AsyncSession,
    user: User,
    state: FSMContext,
) -> None:
    await feedback.set_feedback(session, question_id=callback_data.qid, user_id=user.id,
                                verdict="unhelpful")  # fmt: skip
    await query.answer(texts.FEEDBACK_THANKS)
    await state.set_state(Feedback.why)
    await state.set_data({"qid": callback_data.qid})
    await session.commit()
    await query.bot.send_message(  # type: ignore[union-attr]
        chat_id=query.from_user.id, text=texts.ASK_WHY,
        reply_markup=keyboards.skip_why(callback_data.qid),
    )  # fmt: skip


@router.message(Feedback.why, F.text, ~F.text.startswith("/"))
async def why(
    message: Message, session: AsyncSession, user: User, state: FSMContext, settings: Settings
) -> None:
    reason = message.text or ""
    if (problem := refusal(reason, limit=feedback.MAX_REASON_CHARS)) is not None:
        await message.answer(problem)
        return
    data = await state.get_data()
    await feedback.set_feedback(session, question_id=int(data["qid"]), user_id=user.id,
                                verdict="unhelpful", reason=reason)  # fmt: skip
    await state.clear()
    # Commit before telling the user it worked (the edge owns the transaction).
    await session.commit()
    await message.answer(texts.WHY_THANKS)


@router.callback_query(QuestionCb.filter(F.action == QuestionAction.SKIP_WHY))
async def skip_why(query: CallbackQuery, state: FSMContext) -> None:
    if await state.get_state() == Feedback.why.state:
        await state.clear()
    await query.answer(texts.DONE)
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)


@router.callback_query(QuestionCb.filter(F.action == QuestionAction.MORE))
async def more(
    query: CallbackQuery,
    callback_data: QuestionCb,
    session: AsyncSession,
    user: User,
    settings: Settings,
) -> None:
    entry = await feedback.get_own(session, question_id=callback_data.qid, user_id=user.id)
    extra = list(entry.passages)[1:]
    await query.answer()
    if not extra:
        text = texts.NO_MORE
    else:
        blocks = [render.passage_block(n, p) for n, p in enumerate(extra, 2)]
        text = "\n\n".join([texts.MORE_HEADER, *blocks])
    for part in render.split(text):
        await query.bot.send_message(chat_id=query.from_user.id, text=part)  # type: ignore[union-attr]


@router.callback_query(QuestionCb.filter(F.action == QuestionAction.FULL))
async def full_article(
    query: CallbackQuery, callback_data: QuestionCb, session: AsyncSession, user: User
) -> None:
    entry = await feedback.get_own(session, question_id=callback_data.qid, user_id=user.id)
    passages = list(entry.passages)
    await query.answer()
    text = render.full_article(passages[0]) if passages else texts.NO_FULL_ARTICLE
    for part in render.split(text):
        await query.bot.send_message(chat_id=query.from_user.id, text=part)  # type: ignore[union-attr]


@router.callback_query(QuestionCb.filter(F.action == QuestionAction.ESCALATE))
async def escalate(
    query: CallbackQuery,
    callback_data: QuestionCb,
    session: AsyncSession,
    user: User,
    state: FSMContext,
    settings: Settings,
) -> None:
    entry = await feedback.get_own(session, question_id=callback_data.qid, user_id=user.id)
    await query.answer()
    shown = list(entry.passages)[: settings.answer_passages]
    await start_prefilled(
        query.bot, state, chat_id=query.from_user.id, question=entry.query,  # type: ignore[arg-type]
        passages=shown, confidence=entry.confidence, question_id=entry.id,
    )  # fmt: skip


@router.message(StateFilter(None))
async def anything_else(message: Message) -> None:
    """Stickers, unknown commands, photos outside a flow: explain what the bot takes."""
    await message.answer(texts.UNSUPPORTED_MESSAGE)


@router.message()
async def in_a_flow(message: Message) -> None:
    """Input a dialogue step does not take (e.g. text where a button is expected)."""
    await message.answer(texts.IN_FLOW_HINT)


@router.callback_query()
async def unknown_button(query: CallbackQuery) -> None:
    """A button no handler takes any more (old message, finished dialogue)."""
    await query.answer(texts.EXPIRED_BUTTON)
