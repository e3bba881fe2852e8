"""Answer → precedent: propose, approve (edited, scoped) into a searchable document, or reject."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit.models import AuditEntry
from core.audit.service import verify
from core.cases import precedents, service
from core.cases.enums import ProposalStatus
from core.cases.schemas import CaseAnswer, PrecedentApprove, PrecedentPropose
from core.config import Settings
from core.db import unit_of_work
from core.errors import DomainError, ErrorCode
from core.outbox.models import OutboxMessage
from knowledge.models import Document
from retrieval.models import SearchRequest
from retrieval.service import Retriever

from .conftest import World, load_user, new_case

QUESTION = "Trưởng thôn tự ý thu quỹ khuyến học theo đầu hộ thì xã xử lý thế nào?"
ANSWER = "Không được bắt buộc thu; quỹ khuyến học chỉ vận động tự nguyện, xã phải chấn chỉnh."


async def _answered(sm: async_sessionmaker[AsyncSession], settings: Settings, w: World) -> int:
    case = await new_case(sm, settings, w.cadre, question=QUESTION)
    async with unit_of_work(sm) as s:
        await service.answer(
            s,
            actor=await load_user(s, w.sup1),
            case_id=case.id,
            data=CaseAnswer(text=ANSWER, legal_basis="Quy chế dân chủ ở cơ sở"),
        )
    return case.id


async def test_propose_approve_publishes_searchable_precedent(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    world: World,
    tmp_path: Path,
) -> None:
    case_id = await _answered(sessionmaker, settings, world)
    async with unit_of_work(sessionmaker) as s:
        with pytest.raises(DomainError) as err:
            await precedents.propose(
                s, actor=await load_user(s, world.cadre), case_id=case_id, data=PrecedentPropose()
            )
        assert err.value.code is ErrorCode.FORBIDDEN
    async with unit_of_work(sessionmaker) as s:
        proposal = await precedents.propose(
            s,
            actor=await load_user(s, world.sup1),
            case_id=case_id,
            data=PrecedentPropose(note="Nhiều xã gặp"),
        )
    async with sessionmaker() as s:
        to_admin = await s.scalar(
            select(OutboxMessage).where(OutboxMessage.idempotency_key.startswith("prec:"))
        )
        assert to_admin is not None and to_admin.user_id == world.admin
    # Lexical-only retriever (an empty models dir) keeps this test quick.
    lexical = settings.model_copy(update={"models_dir": tmp_path / "no-models"})
    retriever = await Retriever.create(lexical, sessionmaker)
    async with unit_of_work(sessionmaker) as s:
        approved = await precedents.approve(
            s,
            actor=await load_user(s, world.admin),
            proposal_id=proposal.id,
            data=PrecedentApprove(
                title="Thu quỹ khuyến học theo đầu hộ",
                scope="province",
                expires_on=date(2027, 12, 31),
            ),
        )
    await retriever.sync()
    assert approved.status == ProposalStatus.APPROVED
    assert approved.scope_unit_id == world.province  # province of the asker's commune
    async with sessionmaker() as s:
        doc = await s.get(Document, approved.document_id)
        assert doc is not None and doc.kind == "precedent"
        assert doc.scope == "province" and doc.expires_on == date(2027, 12, 31)
    response = await retriever.search(
        SearchRequest(query="thu quỹ khuyến học theo đầu hộ", k=3, unit_id=world.commune)
    )
    assert response.hits and response.hits[0].document_id == approved.document_id
    assert response.hits[0].kind == "precedent"
    # The answer leads with the approved guidance and its source, not the situation.
    lead = response.hits[0].lead_text.split("\n")
    assert lead[0].startswith("Hướng dẫn: ") and lead[-1].startswith("Nguồn: ")
    assert "Tình huống" not in response.hits[0].lead_text
    async with unit_of_work(sessionmaker) as s:  # a second admin click changes nothing
        again = await precedents.approve(
            s,
            actor=await load_user(s, world.admin),
            proposal_id=proposal.id,
            data=PrecedentApprove(),
        )
        assert again.document_id == approved.document_id
    async with sessionmaker() as s:  # case and knowledge-base changes share one intact chain
        actions = set(await s.scalars(select(AuditEntry.action)))
        assert {"case.create", "case.answer", "precedent.approve", "kb.precedent"} <= actions
        assert (await verify(s)).ok


async def test_reject_and_access(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    case_id = await _answered(sessionmaker, settings, world)
    async with unit_of_work(sessionmaker) as s:
        sup = await load_user(s, world.sup1)
        proposal = await precedents.propose(s, actor=sup, case_id=case_id, data=PrecedentPropose())
        assert (
            await precedents.propose(s, actor=sup, case_id=case_id, data=PrecedentPropose())
            is proposal
        )  # repeated tap
    async with unit_of_work(sessionmaker) as s:
        with pytest.raises(DomainError) as err:
            await precedents.reject(
                s, actor=await load_user(s, world.sup1), proposal_id=proposal.id
            )
        assert err.value.code is ErrorCode.FORBIDDEN
    async with unit_of_work(sessionmaker) as s:
        rejected = await precedents.reject(
            s, actor=await load_user(s, world.admin), proposal_id=proposal.id, note="Chưa đủ căn cứ"
        )
        assert rejected.status == ProposalStatus.REJECTED
        with pytest.raises(DomainError) as err:
            await precedents.approve(
                s,
                actor=await load_user(s, world.admin),
                proposal_id=proposal.id,
                data=PrecedentApprove(),
            )
        assert err.value.code is ErrorCode.CONFLICT
        mine, _ = await precedents.list_proposals(s, actor=await load_user(s, world.sup1))
        assert [p.id for p in mine] == [proposal.id]
        assert await precedents.list_proposals(s, actor=await load_user(s, world.sup2)) == ([], 0)
