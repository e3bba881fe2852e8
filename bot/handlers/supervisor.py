"""Supervisor: claim (atomic), answer with legal basis, forward up, propose as guidance, /hangdoi.

Also the asker's 👍/👎 under an answer receipt (same "case:" button family).
"""

from __future__ import annotations

import contextlib

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import filters, keyboards, render, texts
from bot.callbacks import CaseCb, CaseStep
from bot.dialogue import kept, prompt, step_text
from bot.inputs import answer_refusal
from bot.render import esc
from bot.routing import RouterFactory
from bot.states import Answering
from core.cases import service as case_service
from core.cases.access import supervised_ids
from core.cases.actions import CaseAction, actions_for, allowed_actions
from core.cases.enums import STATUS_LABELS, URGENCY_LABELS, CaseStatus, Urgency
from core.cases.schemas import CaseAnswer, CaseFeedback, CaseForward
from core.cases.texts import when
from core.config import Settings
from core.errors import DomainError
from core.users.models import User
from retrieval.excerpt import clip

router = RouterFactory(__name__)
TEXT = F.text & ~F.text.startswith("/")


async def _say(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    bot = query.bot
    assert bot is not None
    await bot.send_message(chat_id=query.from_user.id, text=text, reply_markup=markup)


async def _drop_buttons(query: CallbackQuery) -> None:
    if isinstance(query.message, Message):
        # Cosmetic; the message may be too old to edit.
        with contextlib.suppress(Exception):
            await query.message.edit_reply_markup(reply_markup=None)


async def _drop_case_buttons(query: CallbackQuery, case_id: int) -> None:
    """Remove this case's buttons from the tapped message, keeping other cases' (/hangdoi)."""
    message = query.message
    if not isinstance(message, Message) or message.reply_markup is None:
        return
    rows = [
        [b for b in row if not _for_case(b.callback_data, case_id)]
        for row in message.reply_markup.inline_keyboard
    ]
    rows = [row for row in rows if row]
    with contextlib.suppress(Exception):  # cosmetic; the message may be too old to edit
        await message.edit_reply_markup(
            reply_markup=InlineKeyboardMarkup(inline_keyboard=rows) if rows else None
        )


def _for_case(data: str | None, case_id: int) -> bool:
    try:
        return data is not None and CaseCb.unpack(data).case_id == case_id
    except (TypeError, ValueError):
        return False


@router.callback_query(CaseCb.filter(F.action == CaseAction.CLAIM))
async def claim(
    query: CallbackQuery, callback_data: CaseCb, session: AsyncSession, user: User
) -> None:
    try:
        case = await case_service.claim(session, actor=user, case_id=callback_data.case_id)
    except DomainError as error:
        if "assignee_id" not in error.details:
            raise
        # Lost the race (nothing was written): say which case and who has it, and take the
        # stale button away.
        case = await case_service.get_case(session, actor=user, case_id=callback_data.case_id)
        who = case.assignee.full_name if case.assignee else "?"
        await query.answer()
        await _drop_case_buttons(query, case.id)
        await _say(query, texts.CLAIMED_BY_OTHER.format(number=esc(case.number), name=esc(who)))
        return
    # Commit before telling the user it worked (the edge owns the transaction).
    await session.commit()
    await query.answer(texts.DONE)
    await _drop_buttons(query)
    actions = await allowed_actions(session, user, case)
    await _say(
        query,
        texts.CLAIMED_OK.format(number=esc(case.number)),
        keyboards.case_actions(case.id, actions),
    )


@router.callback_query(CaseCb.filter(F.action == CaseAction.ANSWER))
async def start_answer(
    query: CallbackQuery,
    callback_data: CaseCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    bot: Bot,
) -> None:
    case = await case_service.get_case(session, actor=user, case_id=callback_data.case_id)
    await query.answer()
    await prompt(
        bot, state, chat_id=query.from_user.id,
        text=texts.ASK_ANSWER.format(number=esc(case.number)),
        state=Answering.answer, data={"case_id": case.id},
    )  # fmt: skip


@router.message(Answering.answer, TEXT)
async def answer_text(message: Message, state: FSMContext, bot: Bot) -> None:
    text = message.text or ""
    if (problem := answer_refusal(text)) is not None:
        await message.answer(kept(problem))
        return
    data = await state.get_data()
    await prompt(
        bot, state, chat_id=message.chat.id, text=texts.ASK_LEGAL_BASIS,
        markup=keyboards.skip_case_step(int(data["case_id"])),
        state=Answering.legal_basis, update={"answer": text},
    )  # fmt: skip


@router.message(Answering.legal_basis, TEXT)
async def legal_basis(
    message: Message, state: FSMContext, session: AsyncSession, user: User, bot: Bot
) -> None:
    basis = await step_text(message, limit=2000)
    if basis is None:
        return
    await _deliver(bot, message.chat.id, state, session, user, basis)


@router.message(Answering.forward_note, TEXT)
async def forward_note(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    bot: Bot,
) -> None:
    note = await step_text(message, limit=2000)
    if note is None:
        return
    await _forward(bot, message.chat.id, state, session, user, settings, note)


@router.message(Answering.answer)
@router.message(Answering.legal_basis)
@router.message(Answering.forward_note)
async def not_text(message: Message) -> None:
    await message.answer(texts.TEXT_EXPECTED)


@router.callback_query(CaseCb.filter(F.action == CaseStep.SKIP))
async def skip(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    bot: Bot,
) -> None:
    current = await state.get_state()
    await query.answer()
    await _drop_buttons(query)
    if current == Answering.legal_basis.state:
        await _deliver(bot, query.from_user.id, state, session, user, None)
    elif current == Answering.forward_note.state:
        await _forward(bot, query.from_user.id, state, session, user, settings, None)


async def _deliver(
    bot: Bot, chat_id: int, state: FSMContext, session: AsyncSession, user: User,
    basis: str | None,
) -> None:  # fmt: skip
    data = await state.get_data()
    case = await case_service.answer(
        session, actor=user, case_id=int(data["case_id"]),
        data=CaseAnswer(text=str(data["answer"]), legal_basis=basis or None),
    )  # fmt: skip
    await state.clear()
    # Commit before telling the user it worked (the edge owns the transaction).
    await session.commit()
    await bot.send_message(
        chat_id=chat_id, text=texts.ANSWERED_OK.format(number=esc(case.number)),
        reply_markup=keyboards.case_actions(case.id, await allowed_actions(session, user, case)),
    )  # fmt: skip


@router.callback_query(CaseCb.filter(F.action == CaseAction.FORWARD))
async def start_forward(
    query: CallbackQuery, callback_data: CaseCb, state: FSMContext, bot: Bot
) -> None:
    await query.answer()
    await prompt(
        bot, state, chat_id=query.from_user.id, text=texts.ASK_FORWARD_NOTE,
        markup=keyboards.skip_case_step(callback_data.case_id),
        state=Answering.forward_note, data={"case_id": callback_data.case_id},
    )  # fmt: skip


async def _forward(
    bot: Bot, chat_id: int, state: FSMContext, session: AsyncSession, user: User,
    settings: Settings, note: str | None,
) -> None:  # fmt: skip
    data = await state.get_data()
    case = await case_service.forward(
        session, actor=user, case_id=int(data["case_id"]),
        data=CaseForward(note=note or None), settings=settings,
    )  # fmt: skip
    await state.clear()
    # Commit before telling the user it worked (the edge owns the transaction).
    await session.commit()
    await bot.send_message(chat_id=chat_id, text=texts.FORWARDED_OK.format(number=esc(case.number)))


@router.callback_query(CaseCb.filter(F.action == CaseAction.PROPOSE))
async def propose(
    query: CallbackQuery, callback_data: CaseCb, session: AsyncSession, user: User
) -> None:
    from core.cases import precedents
    from core.cases.schemas import PrecedentPropose

    proposal = await precedents.propose(
        session, actor=user, case_id=callback_data.case_id, data=PrecedentPropose()
    )
    case = await case_service.get_case(session, actor=user, case_id=proposal.case_id)
    await session.commit()
    await query.answer(texts.DONE)
    await _drop_buttons(query)
    await _say(query, texts.PROPOSED_OK.format(number=esc(case.number)))


@router.callback_query(CaseCb.filter(F.action.in_({CaseStep.HELPFUL, CaseStep.UNHELPFUL})))
async def rate_answer(
    query: CallbackQuery, callback_data: CaseCb, session: AsyncSession, user: User
) -> None:
    await case_service.give_feedback(
        session, actor=user, case_id=callback_data.case_id,
        data=CaseFeedback(helpful=callback_data.action is CaseStep.HELPFUL),
    )  # fmt: skip
    await session.commit()
    await query.answer(texts.FEEDBACK_THANKS)
    await _drop_buttons(query)


@router.message(Command("hangdoi"), filters.STAFF)
async def queue(message: Message, session: AsyncSession, user: User) -> None:
    cases = await case_service.queue(session, actor=user)
    if not cases:
        await message.answer(texts.QUEUE_EMPTY)
        return
    lines = [texts.QUEUE_HEADER]
    units = await supervised_ids(session, user)
    rows: list[list[InlineKeyboardButton]] = []
    for case in cases:
        lines.append(
            texts.QUEUE_LINE.format(
                number=esc(case.number),
                urgency=URGENCY_LABELS.get(Urgency(case.urgency), case.urgency),
                status=STATUS_LABELS.get(CaseStatus(case.status), case.status),
                due=when(case.due_at),
                question=esc(clip(case.question, 160)),
            )
        )
        row = keyboards.case_action_row(case.id, actions_for(user, units, case), number=case.number)
        if row and len(rows) < 8:
            rows.append(row)
    parts = render.split("\n".join(lines))
    for i, part in enumerate(parts):
        markup = (
            InlineKeyboardMarkup(inline_keyboard=rows) if rows and i == len(parts) - 1 else None
        )
        await message.answer(part, reply_markup=markup)


@router.message(Command("hangdoi"))
async def queue_not_staff(message: Message) -> None:
    await message.answer(texts.SUP_ONLY)
