"""Near-duplicate open cases are linked per level; one answer resolves the whole group."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.cases import service
from core.cases.duplicates import lexical_similarity
from core.cases.enums import CaseStatus
from core.cases.models import Case
from core.cases.schemas import CaseAnswer
from core.config import Settings
from core.db import unit_of_work
from core.outbox.models import OutboxMessage

from .conftest import World, load_user, new_case

Q = "Xã có được chi tiền hỗ trợ cho người có công vượt định mức của tỉnh không?"
Q_COPY = "xa co duoc chi tien ho tro cho nguoi co cong vuot dinh muc cua tinh khong"
Q_PARAPHRASE = "Ủy ban xã có được chi hỗ trợ người có công cao hơn định mức tỉnh quy định không?"
Q_OTHER = "Thủ tục đăng ký khai sinh cho trẻ bị bỏ rơi thực hiện thế nào?"


def test_lexical_similarity_folds_diacritics() -> None:
    assert lexical_similarity(Q, Q_COPY) > 0.92
    assert lexical_similarity(Q, Q_OTHER) < 0.3


async def test_group_linking_and_one_answer_for_all(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    first = await new_case(sessionmaker, settings, world.cadre, question=Q)
    copy = await new_case(sessionmaker, settings, world.cadre2, question=Q_COPY)
    other = await new_case(sessionmaker, settings, world.cadre2, question=Q_OTHER)
    elsewhere = await new_case(sessionmaker, settings, world.other_cadre, question=Q)
    assert copy.duplicate_group_id == first.id
    assert other.duplicate_group_id is None
    assert elsewhere.duplicate_group_id is None  # another commune's queue: not the same scope
    async with sessionmaker() as s:
        anchor = await s.get(Case, first.id)
        assert anchor is not None and anchor.duplicate_group_id == first.id

    async with unit_of_work(sessionmaker) as s:
        sup2 = await load_user(s, world.sup2)
        await service.claim(s, actor=sup2, case_id=copy.id)  # someone else holds the copy
    async with unit_of_work(sessionmaker) as s:
        await service.answer(
            s,
            actor=await load_user(s, world.sup1),
            case_id=first.id,
            data=CaseAnswer(
                text="Không, chỉ chi trong định mức.", legal_basis="Nghị quyết HĐND tỉnh"
            ),
        )
    async with sessionmaker() as s:
        cases = {c.id: c for c in await s.scalars(select(Case))}
        receipts = list(
            await s.scalars(
                select(OutboxMessage).where(OutboxMessage.idempotency_key.contains(":answered:"))
            )
        )
        told = list(
            await s.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.idempotency_key.contains(":group_resolved:")
                )
            )
        )
    assert cases[copy.id].status == CaseStatus.ANSWERED
    assert cases[copy.id].answer == "Không, chỉ chi trong định mức."
    assert cases[other.id].status == CaseStatus.NEW
    assert cases[elsewhere.id].status == CaseStatus.NEW
    assert sorted(m.user_id for m in receipts) == sorted([world.cadre, world.cadre2])
    assert [m.user_id for m in told] == [world.sup2]


@pytest.mark.slow
async def test_paraphrases_linked_with_real_model(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    from retrieval.embedder import load_embedder

    embedder = load_embedder(settings)
    if embedder is None:
        pytest.skip("embedding model not installed (troly models install)")
    first = await new_case(sessionmaker, settings, world.cadre, question=Q, embedder=embedder)
    para = await new_case(
        sessionmaker, settings, world.cadre2, question=Q_PARAPHRASE, embedder=embedder
    )
    other = await new_case(
        sessionmaker, settings, world.cadre2, question=Q_OTHER, embedder=embedder
    )
    assert first.embedding is not None and len(first.embedding) == embedder.dim
    assert lexical_similarity(Q, Q_PARAPHRASE) < settings.duplicate_similarity  # needs the model
    assert para.duplicate_group_id == first.id
    assert other.duplicate_group_id is None
