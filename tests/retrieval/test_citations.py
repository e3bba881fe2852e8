"""A question that is only "Điều N" (no document named) is answered, names the other documents
the asker may see that have that article, and is never shown as certain (issue 9)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.config import Settings
from core.db import unit_of_work
from knowledge import service as kb
from retrieval.models import SearchRequest
from retrieval.service import Retriever

UNIT_DOC = "Lịch trực lũ bão của xã An Bình"
PROVINCE_DOC = "Hướng dẫn hỗ trợ nông dân chuyển đổi cây trồng của tỉnh Thử Nghiệm"


async def test_a_bare_article_citation_names_the_other_documents(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    units: dict[str, int],
    documents: list[int],
) -> None:
    retriever = await Retriever.create(settings, sessionmaker)
    bare = SearchRequest(query="điều 1 nói gì", k=3, unit_id=units["commune"])
    answer = await retriever.search(bare)
    lead = answer.hits[0]
    assert lead.article == "1"
    assert {UNIT_DOC, PROVINCE_DOC} - {lead.document_title} <= set(answer.also_in)
    assert lead.document_title not in answer.also_in
    assert answer.confidence <= settings.novel_threshold

    # Asked from a commune of another province, its documents are not offered.
    elsewhere = await retriever.search(
        SearchRequest(query="điều 1 nói gì", k=3, unit_id=units["elsewhere"])
    )
    assert not {UNIT_DOC, PROVINCE_DOC} & set(elsewhere.also_in)


async def test_a_citation_with_its_subject_is_answered_as_usual(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    units: dict[str, int],
    documents: list[int],
) -> None:
    retriever = await Retriever.create(settings, sessionmaker)
    answer = await retriever.search(
        SearchRequest(query="điều 1 về nghỉ phép hằng năm của cán bộ xã", k=3)
    )
    assert answer.hits[0].article == "1" and answer.also_in == ()
    assert answer.confidence > settings.novel_threshold


async def test_a_confident_guess_between_documents_is_held_at_the_threshold(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """The starter knowledge base's three documents each have an Điều 3: ranked alone, the
    citation gave one of them 96 %."""
    async with unit_of_work(sessionmaker) as session:
        await kb.seed_if_empty(
            session, chunk_words=settings.chunk_words, chunk_step=settings.chunk_step
        )
    retriever = await Retriever.create(settings, sessionmaker)
    answer = await retriever.search(SearchRequest(query="Điều 3 nói gì?", k=3))
    assert answer.hits[0].article == "3" and len(answer.also_in) == 2
    assert answer.confidence == settings.novel_threshold and not answer.novel
