"""Admin: a document of an accepted type (knowledge.importers.SUPPORTED_SUFFIXES) sent to the
bot is staged and previewed, then imported as a background job (core.knowledge.imports) with
the scope the admin taps (nationwide, their province, or one unit): the bot answers
"đang nhập…" at once and the result arrives through the outbox; /kb statistics."""

from __future__ import annotations

import io
from pathlib import Path

from aiogram import Bot, F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import filters, keyboards, sender, texts
from bot.callbacks import ImportCb, ImportJobCb
from bot.dialogue import advance, prompt
from bot.render import esc
from bot.routing import RouterFactory
from bot.states import Import
from core.config import Settings
from core.context import AppContext
from core.feedback import service as feedback
from core.knowledge import imports, staging
from core.knowledge import texts as import_texts
from core.users import service as users
from core.users.models import User
from knowledge import service as kb_service
from knowledge.importers import ACCEPTED_TYPES, accepts, one_document
from knowledge.models import KIND_LABELS
from retrieval.models import MODE_LABELS
from retrieval.service import Retriever

router = RouterFactory(__name__)


@router.message(StateFilter(None), F.document, filters.ADMIN)
async def document(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    bot: Bot,
) -> None:
    doc = message.document
    assert doc is not None
    name = Path(doc.file_name or "tep").name
    if not accepts(name):
        await message.answer(texts.FILE_WRONG_TYPE.format(types=ACCEPTED_TYPES))
        return
    if (doc.file_size or 0) > settings.max_upload_bytes:
        mb = settings.max_upload_bytes // (1024 * 1024)
        size = round((doc.file_size or 0) / (1024 * 1024), 1)
        await message.answer(texts.FILE_TOO_BIG.format(size=size, limit=mb))
        return
    buffer = io.BytesIO()
    await bot.download(doc.file_id, destination=buffer)
    # Staged on disk (not in memory) so the confirmation survives a restart.
    staged = await staging.stage(settings, buffer.getvalue(), name, user.id)
    try:
        seen = await imports.preview(
            session, settings, staged=staged, owner_id=user.id, filename=name, fields={}
        )
        parsed = one_document(seen.documents)
    except Exception:
        staging.discard(settings, staged)
        raise
    note = seen.planned.note if seen.planned else None  # "… phiên bản N"
    text = texts.IMPORT_PREVIEW.format(
        title=esc(parsed.title), number=esc(parsed.meta.number or "—"),
        kind=KIND_LABELS.get(parsed.meta.kind, esc(parsed.meta.kind)),
        articles=parsed.articles, chunks=len(parsed.chunks),
        version=f"{esc(note)}\n" if note else "",
    )  # fmt: skip
    province = await users.province_of(session, unit_id=user.unit_id)
    await prompt(
        bot, state, chat_id=message.chat.id, text=text,
        markup=keyboards.import_scope(province.name if province else None), state=Import.confirm,
        data={"staged": staged, "name": name, "province_id": province.id if province else 0},
    )  # fmt: skip


@router.message(StateFilter(None), F.document)
async def document_not_admin(message: Message) -> None:
    await message.answer(texts.FILE_NOT_ADMIN)


@router.callback_query(Import.confirm, ImportCb.filter(F.action == "units"))
async def pick_unit(query: CallbackQuery, state: FSMContext, session: AsyncSession) -> None:
    """The units of the admin's province (or every unit when they have none) as buttons."""
    province_id = int((await state.get_data()).get("province_id") or 0)
    if province_id:
        units = await users.child_units(session, unit_id=province_id)
    else:
        units = await users.list_units(session)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(
            texts.IMPORT_PICK_UNIT,
            reply_markup=keyboards.import_units([(u.id, u.name) for u in units[:40]]),
        )


@router.callback_query(
    Import.confirm, ImportCb.filter(F.action.in_({"national", "province", "unit"}))
)
async def confirm(
    query: CallbackQuery,
    callback_data: ImportCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    retriever: Retriever,
    ctx: AppContext,
    bot: Bot,
) -> None:
    data = await state.get_data()
    await query.answer()
    unit_id = {"province": int(data.get("province_id") or 0), "unit": callback_data.unit_id}
    scope_unit = unit_id.get(callback_data.action, 0)
    fields: dict[str, str | list[str]] = {"scope": callback_data.action}
    if scope_unit:
        fields["scope_unit_id"] = str(scope_unit)
    name = str(data.get("name", ""))
    job = await imports.submit(
        session, settings, actor=user, staged=str(data.get("staged", "")), filename=name,
        fields=fields, notify=True,
    )  # fmt: skip
    await state.clear()
    # The edge owns the transaction: commit the job, then run it in the background; its
    # result reaches the admin through the outbox.
    await session.commit()
    imports.start(ctx.sessionmaker, settings, retriever.sync)
    if isinstance(query.message, Message):
        await sender.edit(
            bot, chat_id=query.from_user.id, message_id=query.message.message_id,
            text=import_texts.QUEUED.format(filename=esc(name)),
            markup=keyboards.import_progress(job.id),
        )  # fmt: skip


@router.callback_query(ImportJobCb.filter())
async def import_progress(
    query: CallbackQuery, callback_data: ImportJobCb, session: AsyncSession, user: User, bot: Bot
) -> None:
    """🔄 Xem tiến độ: the message shows the job's counts so far (admins only, like the job's
    page); the button stays until the job ends, whose result also arrives as its own message."""
    job = await imports.get_job(session, job_id=callback_data.job_id, actor=user)
    await query.answer()
    if not isinstance(query.message, Message):
        return
    ended = job.finished
    # Best effort: Telegram refuses an edit that changes nothing (a tap with no progress).
    await sender.edit(
        bot, chat_id=query.from_user.id, message_id=query.message.message_id,
        text=import_texts.result(job, None) if ended else import_texts.progress(job),
        markup=None if ended else keyboards.import_progress(job.id),
    )  # fmt: skip


@router.callback_query(Import.confirm, ImportCb.filter(F.action == "no"))
async def reject(query: CallbackQuery, state: FSMContext, settings: Settings) -> None:
    staged = str((await state.get_data()).get("staged", ""))
    await advance(state, None)
    staging.discard(settings, staged)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(texts.IMPORT_CANCELLED)


@router.callback_query(ImportCb.filter())
async def stale(query: CallbackQuery) -> None:
    await query.answer(texts.EXPIRED_BUTTON)


@router.message(Command("kb"), filters.ADMIN)
async def kb_stats(message: Message, session: AsyncSession, retriever: Retriever) -> None:
    stats = await kb_service.stats(session)
    counts = await feedback.counts(session)
    status = retriever.status()
    index = f"{MODE_LABELS[status.mode]}, {status.chunks} đoạn, phiên bản {status.revision}"
    await message.answer(
        texts.KB_STATS.format(
            documents=stats.documents, chunks=stats.active_chunks, index=esc(index), **counts
        )
    )


@router.message(Command("kb"))
async def kb_not_admin(message: Message) -> None:
    await message.answer(texts.ADMIN_ONLY)
