"""/cuatoi: the user's open and recent cases and initiatives, with their status."""

from __future__ import annotations

from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import render, texts
from bot.render import esc
from bot.routing import RouterFactory
from core.cases import service as case_service
from core.cases.enums import STATUS_LABELS, CaseStatus
from core.cases.schemas import CaseFilter
from core.initiatives import service as initiative_service
from core.initiatives.enums import STATUS_LABELS as INITIATIVE_LABELS
from core.users.models import User
from retrieval.excerpt import clip

router = RouterFactory(__name__)
RECENT = 10


@router.message(Command("cuatoi"))
async def mine(message: Message, session: AsyncSession, user: User) -> None:
    cases, _ = await case_service.list_cases(
        session, actor=user, filters=CaseFilter(asker_id=user.id), limit=RECENT
    )
    lines = [texts.MINE_HEADER, "", texts.MINE_CASES]
    lines += [
        texts.MINE_CASE_LINE.format(
            number=esc(c.number),
            status=STATUS_LABELS.get(CaseStatus(c.status), c.status),
            question=esc(clip(c.question, 80)),
        )
        for c in cases
    ] or [texts.MINE_NONE]
    initiatives = await initiative_service.list_for_author(session, author=user, limit=RECENT)
    lines += ["", texts.MINE_INITIATIVES]
    lines += [
        texts.MINE_INITIATIVE_LINE.format(
            number=esc(i.number),
            status=INITIATIVE_LABELS.get(i.status, i.status),
            title=esc(clip(i.title, 80)),
        )
        for i in initiatives
    ] or [texts.MINE_NONE]
    for part in render.split("\n".join(lines)):
        await message.answer(part)
