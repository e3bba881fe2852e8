"""Admin: a document of an accepted type (knowledge.importers.SUPPORTED_SUFFIXES) sent to the
bot is previewed, then imported with the scope the
admin taps (nationwide, their province, or one unit); /kb statistics."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import filters, keyboards, sender, texts
from bot.callbacks import ImportCb
from bot.dialogue import advance, prompt
from bot.render import esc
from bot.states import Import
from core.config import Settings
from core.feedback import service as feedback
from core.users import service as users
from core.users.models import User
from knowledge import service as kb_service
from knowledge.importers import ACCEPTED_TYPES, accepts, one_document
from knowledge.importers.base import ParsedDocument, override
from knowledge.importers.isolated import parse_upload
from knowledge.models import KIND_LABELS, SCOPE_LABELS
from knowledge.store import STATUS_LABELS
from retrieval.models import MODE_LABELS
from retrieval.service import Retriever

router = Router(name=__name__)


async def _parse(
    path: Path, name: str, settings: Settings, fields: dict[str, str | list[str]] | None = None
) -> ParsedDocument:
    # A killable child process under the import caps: a zip bomb is refused, not obeyed.
    documents = await parse_upload(path, name, settings)
    override(documents, fields or {})
    return one_document(documents)


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
    # Kept on disk (not in memory) so the confirmation survives a restart.
    path = settings.data_dir / "uploads" / f"{doc.file_unique_id}-{name}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    try:
        parsed = await _parse(path, name, settings)
    except Exception:
        await asyncio.to_thread(path.unlink, missing_ok=True)
        raise
    note = (await kb_service.plan_import(session, parsed)).note  # "… phiên bản N"
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
        data={"path": str(path), "name": name, "province_id": province.id if province else 0},
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
    bot: Bot,
) -> None:
    data = await state.get_data()
    path = Path(str(data.get("path", "")))
    await query.answer()
    unit_id = {"province": int(data.get("province_id") or 0), "unit": callback_data.unit_id}
    scope_unit = unit_id.get(callback_data.action, 0)
    fields: dict[str, str | list[str]] = {"scope": callback_data.action}
    if scope_unit:
        fields["scope_unit_id"] = str(scope_unit)
    parsed = await _parse(path, str(data.get("name", path.name)), settings, fields)
    result = await kb_service.import_parsed(session, parsed, actor=user)
    await state.clear()
    # The edge owns the transaction: commit, then bring the search index up to date.
    await session.commit()
    await retriever.sync()
    await asyncio.to_thread(path.unlink, missing_ok=True)
    summary = f"{STATUS_LABELS[result.status]}, {result.articles} điều, {result.chunks} đoạn"
    unit = await users.get_unit(session, unit_id=scope_unit) if scope_unit else None
    scope = SCOPE_LABELS[callback_data.action] + (f" ({unit.name})" if unit else "")
    summary += f", phạm vi: {scope}"
    if isinstance(query.message, Message):
        await sender.edit(
            bot, chat_id=query.from_user.id, message_id=query.message.message_id,
            text=texts.IMPORT_DONE.format(title=esc(result.title), result=esc(summary)),
        )  # fmt: skip


@router.callback_query(Import.confirm, ImportCb.filter(F.action == "no"))
async def reject(query: CallbackQuery, state: FSMContext) -> None:
    path = Path(str((await state.get_data()).get("path", "")))
    await advance(state, None)
    await asyncio.to_thread(path.unlink, missing_ok=True)
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
