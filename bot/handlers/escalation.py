"""/xinykien and the one-tap escalation: situation, attachments, urgency + confirmation, case."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from typing import Any

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, Update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards, sender, texts
from bot.callbacks import EscalationAction, EscalationCb
from bot.dialogue import advance, kept, prompt
from bot.inputs import long_text_refusal
from bot.render import esc
from bot.routing import RouterFactory
from bot.states import Escalation
from core.answers import service as answers
from core.cases import files as case_files
from core.cases import service as case_service
from core.cases import texts as case_texts
from core.cases.enums import URGENCY_LABELS, Urgency
from core.cases.schemas import Attachment, CaseCreate, PassageSnapshot
from core.config import Settings
from core.feedback import service as feedback
from core.users.models import User
from retrieval.excerpt import clip
from retrieval.models import SearchRequest
from retrieval.service import Retriever

router = RouterFactory(__name__)
log = logging.getLogger(__name__)
MAX_ATTACHMENTS = 10


def attachment_of(message: Message) -> dict[str, Any] | None:
    """A photo (largest size) or document of a message as an attachment record."""
    if message.photo:
        return {"kind": "photo", "file_id": message.photo[-1].file_id, "name": "ảnh"}
    if message.document:
        doc = message.document
        return {"kind": "document", "file_id": doc.file_id, "name": doc.file_name or "tệp"}
    return None


def confirm_text(data: dict[str, Any]) -> str:
    urgency = URGENCY_LABELS[Urgency(str(data.get("urgency", Urgency.NORMAL)))]
    return texts.ESC_CONFIRM.format(
        question=esc(clip(str(data.get("question", "")), 800)),
        urgency=urgency,
        attachments=len(data.get("attachments", [])),
        passages=len(data.get("passages", [])),
    )


async def show_confirm(bot: Bot, state: FSMContext, chat_id: int, prefix: str = "") -> None:
    data = await state.get_data()
    text = (prefix + "\n\n" if prefix else "") + confirm_text(data)
    await prompt(
        bot, state, chat_id=chat_id, text=text, state=Escalation.confirm,
        markup=keyboards.escalation_confirm(str(data.get("urgency", "normal"))),
    )  # fmt: skip


async def start_prefilled(
    bot: Bot,
    state: FSMContext,
    *,
    chat_id: int,
    question: str,
    passages: list[dict[str, Any]],
    confidence: float | None,
    question_id: int | None,
) -> None:
    """One tap from an answer: the question and its passages go straight to confirmation."""
    await state.set_data(
        {"question": question, "passages": passages, "confidence": confidence,
         "qid": question_id, "attachments": [], "urgency": "normal"}
    )  # fmt: skip
    await show_confirm(bot, state, chat_id, texts.ESC_PREFILLED.format(count=len(passages)))


@router.message(Command("xinykien"))
async def start(message: Message, state: FSMContext, bot: Bot) -> None:
    await prompt(
        bot, state, chat_id=message.chat.id, text=texts.ESC_ASK_TEXT,
        state=Escalation.text, data={},
    )  # fmt: skip


@router.message(Escalation.text, (F.text & ~F.text.startswith("/")) | F.caption)
async def situation(
    message: Message,
    state: FSMContext,
    settings: Settings,
    retriever: Retriever,
    user: User,
    bot: Bot,
) -> None:
    """The situation as text, or as the caption of a photo/document (which is attached)."""
    text = message.text or message.caption or ""
    if (problem := long_text_refusal(text)) is not None:
        await message.answer(kept(problem))
        return
    if len(text.strip()) < 3:
        await message.answer(texts.ESC_ASK_TEXT)
        return
    # Attach what the knowledge base has, so the supervisor sees it next to the question.
    found = await retriever.search(
        SearchRequest(query=text, k=settings.answer_passages, unit_id=user.unit_id,
                      position=user.position)
    )  # fmt: skip
    data = {
        "question": text,
        "passages": [answers.snapshot(h, lead=False) for h in found.hits],
        "confidence": found.confidence, "qid": None, "urgency": "normal",
        "attachments": [a for a in [attachment_of(message)] if a is not None],
    }  # fmt: skip
    await prompt(
        bot, state, chat_id=message.chat.id, text=texts.ESC_ASK_ATTACH,
        markup=keyboards.escalation_continue(), state=Escalation.attachments, data=data,
    )  # fmt: skip


@router.message(Escalation.text)
async def situation_not_text(message: Message) -> None:
    await message.answer(texts.TEXT_EXPECTED)


@router.message(Escalation.attachments, F.photo | F.document)
@router.message(Escalation.confirm, F.photo | F.document)
async def attach(message: Message, state: FSMContext, bot: Bot) -> None:
    data = await state.get_data()
    files = list(data.get("attachments", []))
    item = attachment_of(message)
    if item is not None and len(files) < MAX_ATTACHMENTS:
        files.append(item)
    await advance(state, update={"attachments": files})
    if await state.get_state() == Escalation.confirm.state:
        await show_confirm(bot, state, message.chat.id)
        return
    await message.answer(
        texts.ESC_ATTACHED.format(count=len(files)), reply_markup=keyboards.escalation_continue()
    )


@router.callback_query(
    Escalation.attachments, EscalationCb.filter(F.action == EscalationAction.CONTINUE)
)
async def no_more_files(query: CallbackQuery, state: FSMContext, bot: Bot) -> None:
    await query.answer()
    await show_confirm(bot, state, query.from_user.id)


@router.callback_query(
    Escalation.confirm,
    EscalationCb.filter(F.action.in_({EscalationAction.NORMAL, EscalationAction.URGENT})),
)
async def set_urgency(query: CallbackQuery, callback_data: EscalationCb, state: FSMContext) -> None:
    await advance(state, update={"urgency": callback_data.action.value})
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(
            confirm_text(await state.get_data()),
            reply_markup=keyboards.escalation_confirm(callback_data.action),
        )


@router.callback_query(Escalation.confirm, EscalationCb.filter(F.action == EscalationAction.SEND))
async def send(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    retriever: Retriever,
    bot: Bot,
    event_update: Update,
) -> None:
    data = await state.get_data()
    attachments = [await _kept(bot, settings, a) for a in data.get("attachments", [])]
    case = await case_service.create_case(
        session,
        actor=user,
        data=CaseCreate(
            question=str(data["question"]),
            urgency=Urgency(str(data.get("urgency", "normal"))),
            passages=[PassageSnapshot.model_validate(p) for p in data.get("passages", [])],
            confidence=data.get("confidence"),
            attachments=[Attachment.model_validate(a) for a in attachments],
        ),
        settings=settings,
        embedder=retriever.embedder,
        receipt=False,  # the one confirmation is the reply below, sent at once
    )
    if data.get("qid"):
        await feedback.link_case(session, question_id=int(data["qid"]), case_id=case.id)
    # Commit before telling the user it worked (the edge owns the transaction).
    await advance(state, None)
    await query.answer()
    if isinstance(query.message, Message):
        with contextlib.suppress(Exception):  # cosmetic: the used buttons go away
            await query.message.edit_reply_markup(reply_markup=None)
    await sender.reply(
        bot, session, chat_id=query.from_user.id, text=case_texts.created_receipt(case),
        user=user, key=sender.update_key(bot, event_update),
    )  # fmt: skip


async def _kept(bot: Bot, settings: Settings, item: dict[str, Any]) -> dict[str, Any]:
    """The attachment with a copy on disk for the console (best effort: supervisors get the
    Telegram original by file id either way)."""
    if item.get("path") or not item.get("file_id"):
        return item
    buffer = io.BytesIO()
    try:
        await bot.download(str(item["file_id"]), destination=buffer)
    except Exception as error:  # a file Telegram will not hand over stays Telegram-only
        log.warning("attachment download failed: %s", type(error).__name__)
        return item
    name = str(item.get("name") or "tep")
    if item.get("kind") == "photo" and "." not in name:
        name += ".jpg"
    path = await asyncio.to_thread(case_files.save, settings, name=name, data=buffer.getvalue())
    return {**item, "path": path}


@router.callback_query(EscalationCb.filter())
async def stale(query: CallbackQuery) -> None:
    """A button from a finished or cancelled escalation."""
    await query.answer(texts.EXPIRED_BUTTON)
