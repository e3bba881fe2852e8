"""/viec_kho: the owner's hard tasks, a progress note, mark done; and the supervisor's one-tap
commendation (🏅 Biểu dương) under a "task finished" notice."""

from __future__ import annotations

import contextlib

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, texts
from bot.callbacks import CommendAction, CommendCb, TaskAction, TaskCb
from bot.dialogue import prompt, step_text
from bot.render import esc
from bot.routing import RouterFactory
from bot.states import Commending, TaskReport
from core.cases.texts import when
from core.db import utcnow
from core.recognition import service as recognition
from core.recognition.schemas import CommendCreate, SourceKind
from core.tasks import service as task_service
from core.tasks.enums import TaskStatus
from core.tasks.schemas import TaskClose, TaskNoteCreate
from core.tasks.texts import owner_buttons
from core.users.models import User

router = RouterFactory(__name__)
TEXT = F.text & ~F.text.startswith("/")
SHOWN = 10
CITATION_CHARS = 500


@router.message(Command("viec_kho"))
async def my_tasks(message: Message, session: AsyncSession, user: User) -> None:
    tasks, _ = await task_service.list_tasks(
        session, actor=user, owner_id=user.id, status=TaskStatus.OPEN, limit=SHOWN
    )
    if not tasks:
        await message.answer(texts.TASKS_NONE)
        return
    await message.answer(texts.TASKS_HEADER.format(count=len(tasks)))
    now = utcnow()
    for task in tasks:
        state = texts.TASK_OVERDUE if task.due_at <= now else texts.TASK_IN_TIME
        line = texts.TASK_LINE.format(
            id=task.id, title=esc(task.title), unit=esc(task.unit.name), due=when(task.due_at),
            state=state,
        )  # fmt: skip
        await message.answer(line, reply_markup=keyboards.from_rows(owner_buttons(task.id)))


@router.callback_query(TaskCb.filter(F.action == TaskAction.NOTE))
async def start_note(
    query: CallbackQuery,
    callback_data: TaskCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    bot: Bot,
) -> None:
    view = await task_service.get_task(session, actor=user, task_id=callback_data.task_id)
    await query.answer()
    await prompt(
        bot, state, chat_id=query.from_user.id,
        text=texts.ASK_TASK_NOTE.format(id=view.task.id),
        state=TaskReport.note, data={"task_id": view.task.id},
    )  # fmt: skip


@router.message(TaskReport.note, TEXT)
async def note_text(message: Message, state: FSMContext, session: AsyncSession, user: User) -> None:
    text = await step_text(message, limit=2000)
    if text is None:
        return
    task_id = int((await state.get_data())["task_id"])
    await task_service.add_note(
        session, actor=user, task_id=task_id, data=TaskNoteCreate(text=text)
    )
    await state.clear()
    await session.commit()
    await message.answer(texts.TASK_NOTE_SAVED.format(id=task_id))


@router.callback_query(TaskCb.filter(F.action == TaskAction.DONE))
async def done(
    query: CallbackQuery, callback_data: TaskCb, session: AsyncSession, user: User, bot: Bot
) -> None:
    task = await task_service.close_task(
        session, actor=user, task_id=callback_data.task_id, data=TaskClose()
    )
    await session.commit()
    await query.answer(texts.DONE)
    await _drop_buttons(query)
    await bot.send_message(chat_id=query.from_user.id, text=texts.TASK_DONE_OK.format(id=task.id))


@router.callback_query(CommendCb.filter(F.action == CommendAction.START))
async def start_commend(
    query: CallbackQuery,
    callback_data: CommendCb,
    state: FSMContext,
    session: AsyncSession,
    bot: Bot,
) -> None:
    kind = SourceKind(callback_data.kind)
    source = await recognition.resolve(session, kind, callback_data.source_id)
    official = await session.get(User, source.official_id)
    name = official.full_name if official else "?"
    await query.answer()
    default = CommendCb(action=CommendAction.DEFAULT, kind=kind.value, source_id=source.id).pack()
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=texts.BTN_DEFAULT_CITATION, callback_data=default)]
        ]
    )
    await prompt(
        bot, state, chat_id=query.from_user.id,
        text=texts.ASK_CITATION.format(name=esc(name), citation=esc(source.citation)),
        markup=markup, state=Commending.citation,
        data={"kind": kind.value, "source_id": source.id},
    )  # fmt: skip


@router.message(Commending.citation, TEXT)
async def citation_text(
    message: Message, state: FSMContext, session: AsyncSession, user: User
) -> None:
    text = await step_text(message, limit=CITATION_CHARS)
    if text is None:
        return
    data = await state.get_data()
    await _commend(message.chat.id, message.bot, state, session, user, str(data["kind"]),
                   int(data["source_id"]), text)  # fmt: skip


@router.callback_query(CommendCb.filter(F.action == CommendAction.DEFAULT))
async def default_citation(
    query: CallbackQuery,
    callback_data: CommendCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
) -> None:
    await query.answer()
    await _drop_buttons(query)
    await _commend(query.from_user.id, query.bot, state, session, user, callback_data.kind,
                   callback_data.source_id, None)  # fmt: skip


async def _commend(
    chat_id: int, bot: Bot | None, state: FSMContext, session: AsyncSession, user: User,
    kind: str, source_id: int, citation: str | None,
) -> None:  # fmt: skip
    data = CommendCreate(source_kind=SourceKind(kind), source_id=source_id, citation=citation)
    item = await recognition.commend(session, actor=user, data=data)
    await state.clear()
    await session.commit()
    assert bot is not None
    await bot.send_message(
        chat_id=chat_id, text=texts.COMMENDED_OK.format(name=esc(item.user.full_name))
    )


async def _drop_buttons(query: CallbackQuery) -> None:
    if isinstance(query.message, Message):
        with contextlib.suppress(Exception):  # cosmetic; the message may be too old to edit
            await query.message.edit_reply_markup(reply_markup=None)
