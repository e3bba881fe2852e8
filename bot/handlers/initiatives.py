"""/sangkien: title, problem, what was done, results with evidence, field → initiative number."""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from bot.callbacks import InitiativeAction, InitiativeCb
from bot.dialogue import advance, kept, prompt
from bot.handlers.escalation import MAX_ATTACHMENTS, attachment_of
from bot.inputs import long_text_refusal, refusal
from bot.render import esc
from bot.routing import RouterFactory
from bot.states import Initiative
from core.config import Settings
from core.initiatives import service as initiative_service
from core.users.models import User
from retrieval.service import Retriever

router = RouterFactory(__name__)
TEXT = F.text & ~F.text.startswith("/")
# Each text step: (state, data key, next state, next prompt).
STEPS: dict[str | None, tuple[str, State, str]] = {
    Initiative.title.state: ("title", Initiative.problem, texts.INI_ASK_PROBLEM),
    Initiative.problem.state: ("problem", Initiative.actions, texts.INI_ASK_ACTIONS),
    Initiative.actions.state: ("actions", Initiative.results, texts.INI_ASK_RESULTS),
}


@router.message(Command("sangkien"))
async def start(message: Message, state: FSMContext, bot: Bot) -> None:
    await prompt(
        bot, state, chat_id=message.chat.id, text=texts.INI_ASK_TITLE,
        state=Initiative.title, data={},
    )  # fmt: skip


def _too_long(message: Message) -> str | None:
    problem = long_text_refusal(message.text or message.caption or "")
    return None if problem is None else kept(problem)


@router.message(Initiative.title, TEXT)
@router.message(Initiative.problem, TEXT)
@router.message(Initiative.actions, TEXT)
async def text_step(message: Message, state: FSMContext, settings: Settings, bot: Bot) -> None:
    if (error := _too_long(message)) is not None:
        await message.answer(error)
        return
    key, next_state, text = STEPS[str(await state.get_state())]
    markup = keyboards.results_done() if next_state == Initiative.results else None
    await prompt(
        bot, state, chat_id=message.chat.id, text=text, markup=markup,
        state=next_state, update={key: (message.text or "").strip()},
    )  # fmt: skip


@router.message(Initiative.title)
@router.message(Initiative.problem)
@router.message(Initiative.actions)
async def not_text(message: Message) -> None:
    await message.answer(texts.TEXT_EXPECTED)


@router.message(Initiative.results, TEXT | F.photo | F.document)
async def evidence(message: Message, state: FSMContext, settings: Settings) -> None:
    if (error := _too_long(message)) is not None:
        await message.answer(error)
        return
    data = await state.get_data()
    results = list(data.get("results", []))
    files = list(data.get("attachments", []))
    if text := (message.text or message.caption or "").strip():
        results.append(text)
    item = attachment_of(message)
    if item is not None and len(files) < MAX_ATTACHMENTS:
        files.append(item)
    await advance(state, update={"results": results, "attachments": files})
    await message.answer(
        texts.INI_EVIDENCE_ADDED.format(texts=len(results), files=len(files)),
        reply_markup=keyboards.results_done(),
    )


@router.callback_query(Initiative.results, InitiativeCb.filter(F.action == InitiativeAction.DONE))
async def results_done(query: CallbackQuery, state: FSMContext, bot: Bot) -> None:
    data = await state.get_data()
    if not data.get("results"):
        await query.answer(texts.INI_RESULTS_EMPTY, show_alert=True)
        return
    await query.answer()
    await prompt(
        bot, state, chat_id=query.from_user.id, text=texts.INI_ASK_FIELD,
        markup=keyboards.fields(), state=Initiative.field,
    )  # fmt: skip


@router.callback_query(Initiative.field, InitiativeCb.filter(F.action == InitiativeAction.FIELD))
async def field_picked(
    query: CallbackQuery,
    callback_data: InitiativeCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    retriever: Retriever,
) -> None:
    if not 0 <= callback_data.index < len(texts.INI_FIELDS):
        await query.answer(texts.EXPIRED_BUTTON)
        return
    await query.answer()
    text = await _submit(
        state, session, user, settings, retriever, texts.INI_FIELDS[callback_data.index]
    )
    await query.bot.send_message(chat_id=query.from_user.id, text=text)  # type: ignore[union-attr]


@router.message(Initiative.field, TEXT)
async def field_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    retriever: Retriever,
) -> None:
    name = " ".join((message.text or "").split())
    if (problem := refusal(name, limit=200)) is not None:
        await message.answer(problem)
        return
    await message.answer(await _submit(state, session, user, settings, retriever, name))


async def _submit(
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    retriever: Retriever,
    field: str,
) -> str:
    data = await state.get_data()
    initiative, similar = await initiative_service.submit_initiative(
        session,
        author=user,
        title=str(data.get("title", "")),
        problem=str(data.get("problem", "")),
        actions=str(data.get("actions", "")),
        results="\n".join(data.get("results", [])),
        attachments=list(data.get("attachments", [])),
        field=field,
        settings=settings,
        embedder=retriever.embedder,
    )
    await state.clear()
    # Commit before telling the user it worked (the edge owns the transaction).
    await session.commit()
    text = texts.INI_CREATED.format(number=esc(initiative.number), title=esc(initiative.title))
    if similar:
        lines = [f"• {esc(s.number)} — {esc(s.title)} ({esc(s.unit_name)})" for s in similar[:3]]
        text += "\n\n" + texts.INI_SIMILAR + "\n" + "\n".join(lines)
    return text


@router.callback_query(InitiativeCb.filter())
async def stale(query: CallbackQuery) -> None:
    await query.answer(texts.EXPIRED_BUTTON)
