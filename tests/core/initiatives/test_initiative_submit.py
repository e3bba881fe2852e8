"""Submitting initiatives: numbering, authors, access rules, similar ones, notifications."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit.models import AuditEntry
from core.config import Settings
from core.db import unit_of_work
from core.errors import DomainError, ErrorCode
from core.initiatives import coauthors, service
from core.initiatives.enums import InitiativeStatus
from core.initiatives.views import author_ids
from core.outbox.models import OutboxMessage
from tests.core.initiatives.factories import SAMPLE, World, person

SM = async_sessionmaker[AsyncSession]


async def _submit(sm: SM, settings: Settings, author: int, **over: object):  # type: ignore[no-untyped-def]
    async with unit_of_work(sm) as session:
        fields = {**SAMPLE, **over}
        return await service.submit_initiative(
            session, author=await person(session, author), settings=settings, **fields
        )  # type: ignore[arg-type]


async def test_submit_numbers_records_and_notifies(
    sessionmaker: SM, settings: Settings, world: World
) -> None:
    attachments = [
        {"kind": "photo", "file_id": "AgACAgIAAxk", "name": "anh.jpg"},
        {"kind": "document", "path": "initiatives/bang-thong-ke.pdf", "name": "bảng.pdf"},
    ]
    initiative, similar = await _submit(
        sessionmaker,
        settings,
        world.cadre_a,
        attachments=attachments,
        title="Mã QR <b>sổ</b>",
        notify_author=True,
    )
    assert re.fullmatch(r"SK-\d{4}-\d{6}", initiative.number)
    assert initiative.number.endswith(f"{initiative.id:06d}")
    assert initiative.status == InitiativeStatus.SUBMITTED
    assert initiative.unit_id == world.commune_a
    assert [a["kind"] for a in initiative.attachments] == ["photo", "document"]
    assert similar == []
    async with sessionmaker() as session:
        messages = (await session.scalars(select(OutboxMessage))).all()
        audit = (await session.scalars(select(AuditEntry))).all()
    assert [m.user_id for m in messages] == [world.cadre_a]
    assert initiative.number in messages[0].text
    assert "&lt;b&gt;sổ&lt;/b&gt;" in messages[0].text  # the title is escaped
    assert [a.action for a in audit] == ["initiative.submit"]
    # The bot shows the number itself, so by default no second (outbox) receipt is queued.
    await _submit(sessionmaker, settings, world.cadre_a2)
    async with sessionmaker() as session:
        assert len((await session.scalars(select(OutboxMessage))).all()) == 1


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"title": "  "}, "tên sáng kiến"),
        ({"results": ""}, "kết quả"),
        ({"attachments": [{"kind": "video", "file_id": "x"}]}, "Loại tệp"),
        ({"attachments": [{"kind": "photo", "name": "no id"}]}, "thiếu mã tệp"),
    ],
)
async def test_submit_validates(
    sessionmaker: SM, settings: Settings, world: World, over: dict[str, object], message: str
) -> None:
    with pytest.raises(DomainError) as err:
        await _submit(sessionmaker, settings, world.cadre_a, **over)
    assert err.value.code is ErrorCode.INVALID
    assert message in err.value.message


async def test_evaluators_and_admins_do_not_submit(
    sessionmaker: SM, settings: Settings, world: World
) -> None:
    for user in (world.eval_1, world.admin):
        with pytest.raises(DomainError) as err:
            await _submit(sessionmaker, settings, user)
        assert err.value.code is ErrorCode.FORBIDDEN


async def test_similar_found_across_units_lexically(
    sessionmaker: SM, settings: Settings, world: World
) -> None:
    first, _ = await _submit(sessionmaker, settings, world.cadre_a)
    await _submit(
        sessionmaker,
        settings,
        world.cadre_a2,
        title="Ứng dụng Zalo nhắc lịch tiêm chủng",
        problem="Phụ huynh quên lịch tiêm cho trẻ.",
        actions="Lập nhóm Zalo theo thôn, nhắn nhắc trước ngày tiêm hai hôm.",
        results="Tỷ lệ tiêm đúng lịch tăng từ 80% lên 97%.",
    )
    # Same idea, different unit, typed without diacritics: still found.
    second, similar = await _submit(
        sessionmaker,
        settings,
        world.cadre_b,
        title="Gan ma QR cho so ho tich de tra cuu nhanh",
        problem="Tra cuu so ho tich giay mat nhieu thoi gian.",
        actions="Gan ma QR cho tung quyen so va lap bang tra cuu dien tu.",
        results="Thoi gian tra cuu giam con vai phut.",
    )
    assert [s.number for s in similar] == [first.number]
    assert similar[0].method == "lexical"
    assert similar[0].unit_name == "UBND xã An Phú"
    async with sessionmaker() as session:
        # The evaluators of the first see the newer, similar one as well.
        back = await service.similar_for(
            session,
            actor=await person(session, world.cadre_a),
            initiative_id=first.id,
            settings=settings,
        )
    assert second.number in [s.number for s in back]


async def test_listing_and_access(sessionmaker: SM, settings: Settings, world: World) -> None:
    mine, _ = await _submit(sessionmaker, settings, world.cadre_a)
    theirs, _ = await _submit(sessionmaker, settings, world.cadre_b, field="Đất đai")
    async with sessionmaker() as session:
        own, total = await service.list_initiatives(
            session, actor=await person(session, world.cadre_a)
        )
        assert [i.id for i in own] == [mine.id] and total == 1
        everything, total = await service.list_initiatives(
            session, actor=await person(session, world.admin)
        )
        assert total == 2 and [i.id for i in everything] == [theirs.id, mine.id]
        filtered, total = await service.list_initiatives(
            session, actor=await person(session, world.admin), field="Đất đai"
        )
        assert [i.id for i in filtered] == [theirs.id]
        page2, total = await service.list_initiatives(
            session, actor=await person(session, world.admin), limit=1, offset=1
        )
        assert total == 2 and [i.id for i in page2] == [mine.id]
        # An evaluator with no assignment sees nothing; a stranger gets 404.
        assigned, total = await service.list_initiatives(
            session, actor=await person(session, world.eval_1)
        )
        assert assigned == [] and total == 0
        with pytest.raises(DomainError) as err:
            await service.get_initiative(
                session, actor=await person(session, world.cadre_b), initiative_id=mine.id
            )
        assert err.value.code is ErrorCode.NOT_FOUND
        for_bot = await service.list_for_author(
            session, author=await person(session, world.cadre_b)
        )
        assert [i.number for i in for_bot] == [theirs.number]


async def test_coauthoring(sessionmaker: SM, settings: Settings, world: World) -> None:
    initiative, _ = await _submit(sessionmaker, settings, world.cadre_a)
    async with unit_of_work(sessionmaker) as session:
        await coauthors.request_to_join(
            session, actor=await person(session, world.cadre_b), initiative_id=initiative.id
        )
    async with sessionmaker() as session:
        # A pending request grants no access yet.
        with pytest.raises(DomainError):
            await service.get_initiative(
                session, actor=await person(session, world.cadre_b), initiative_id=initiative.id
            )
    async with unit_of_work(sessionmaker) as session:
        with pytest.raises(DomainError) as err:
            await coauthors.add_coauthor(
                session,
                actor=await person(session, world.cadre_a2),
                initiative_id=initiative.id,
                user_id=world.cadre_b,
            )
        assert err.value.code is ErrorCode.FORBIDDEN
        await coauthors.add_coauthor(
            session,
            actor=await person(session, world.cadre_a),
            initiative_id=initiative.id,
            user_id=world.cadre_b,
        )
    async with sessionmaker() as session:
        got = await service.get_initiative(
            session, actor=await person(session, world.cadre_b), initiative_id=initiative.id
        )
        assert author_ids(got) == {world.cadre_a, world.cadre_b}
        texts = [(m.user_id, m.text) for m in (await session.scalars(select(OutboxMessage)))]
    assert any(u == world.cadre_a and "Lê Văn Cường đề nghị tham gia" in t for u, t in texts)
    assert any(u == world.cadre_b and "Bạn đã trở thành đồng tác giả" in t for u, t in texts)
