"""A recognised initiative becomes good-practice guidance in the knowledge base, citing it."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.config import Settings
from core.db import unit_of_work
from core.errors import DomainError, ErrorCode
from core.initiatives import assignment, publish, scoring, service
from core.initiatives.models import Initiative
from knowledge.models import Chunk, Document
from tests.core.initiatives.factories import SAMPLE, World, person

SM = async_sessionmaker[AsyncSession]
GOOD = {"novelty": 5, "benefit": 4, "replicability": 4, "compliance": 1, "cost": 4}


async def test_publish_recognised_initiative(
    sessionmaker: SM, settings: Settings, world: World
) -> None:
    async with unit_of_work(sessionmaker) as session:
        initiative, _ = await service.submit_initiative(
            session, author=await person(session, world.cadre_a), settings=settings, **SAMPLE
        )
        await assignment.assign_evaluators(
            session,
            actor=await person(session, world.admin),
            initiative_id=initiative.id, settings=settings,
            evaluator_ids=[world.eval_1, world.eval_2],
        )  # fmt: skip
    iid = initiative.id
    async with unit_of_work(sessionmaker) as session:
        with pytest.raises(DomainError) as err:  # not recognised yet
            await publish.publish_good_practice(
                session, actor=await person(session, world.admin), initiative_id=iid
            )
        assert err.value.code is ErrorCode.CONFLICT
    for who in (world.eval_1, world.eval_2):
        async with unit_of_work(sessionmaker) as session:
            await scoring.submit_scores(
                session, actor=await person(session, who), initiative_id=iid, scores=GOOD
            )
    async with unit_of_work(sessionmaker) as session:
        await scoring.decide(
            session,
            actor=await person(session, world.admin),
            initiative_id=iid, outcome="recognised",
            settings=settings,
        )  # fmt: skip
    async with unit_of_work(sessionmaker) as session:
        with pytest.raises(DomainError) as err:
            await publish.publish_good_practice(
                session, actor=await person(session, world.eval_1), initiative_id=iid
            )
        assert err.value.code is ErrorCode.FORBIDDEN
        document_id = await publish.publish_good_practice(
            session, actor=await person(session, world.admin), initiative_id=iid
        )
    async with sessionmaker() as session:
        document = await session.get(Document, document_id)
        stored = await session.get(Initiative, iid)
        texts = list(
            await session.scalars(select(Chunk.text).where(Chunk.document_id == document_id))
        )
    assert document is not None and stored is not None
    assert document.kind == "guidance"
    assert document.number == stored.number and stored.number in document.title
    assert stored.published_document_id == document_id
    assert texts and any(stored.number in t for t in texts)
    async with unit_of_work(sessionmaker) as session:
        with pytest.raises(DomainError) as err:  # only once
            await publish.publish_good_practice(
                session, actor=await person(session, world.admin), initiative_id=iid
            )
        assert err.value.code is ErrorCode.CONFLICT
