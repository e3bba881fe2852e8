"""Commendations (who may commend whom, once per source, told through the outbox, on the
board, suggested) and the output record, whose figures equal the rows they count."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.cases import service as cases
from core.cases.models import Case
from core.cases.schemas import CaseAnswer
from core.config import Settings
from core.db import unit_of_work
from core.errors import DomainError, ErrorCode
from core.outbox.models import OutboxMessage
from core.recognition import service as recognition
from core.recognition.models import Commendation
from core.recognition.schemas import CommendCreate, SourceKind
from core.record.service import build, record_csv
from core.tasks import service as tasks
from core.tasks.models import HardTask
from core.tasks.schemas import TaskClose
from tests.core.cases.conftest import World, load_user, new_case

from .test_tasks import _create, vn


async def _finished(sm: async_sessionmaker[AsyncSession], settings: Settings, world: World) -> int:
    task = await _create(sm, settings, world)
    async with unit_of_work(sm) as s:
        await tasks.close_task(
            s,
            actor=await load_user(s, world.cadre),
            task_id=task.id,
            data=TaskClose(),
            now=vn(2026, 12, 8, 9),
        )
    return task.id


async def test_commend_a_finished_task_once(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    task_id = await _finished(sessionmaker, settings, world)
    data = CommendCreate(source_kind=SourceKind.TASK, source_id=task_id)
    async with unit_of_work(sessionmaker) as s:
        sup = await load_user(s, world.sup1)
        (suggested, person), *rest = await recognition.suggestions(
            s, actor=sup, now=vn(2026, 12, 8, 10)
        )
        assert rest == [] and suggested.id == task_id and person.id == world.cadre
        assert "đúng hạn" in suggested.citation
        for uid, code in (
            (world.cadre, ErrorCode.FORBIDDEN),
            (world.other_sup, ErrorCode.FORBIDDEN),
        ):
            with pytest.raises(DomainError) as err:
                await recognition.commend(s, actor=await load_user(s, uid), data=data)
            assert err.value.code == code
        first = await recognition.commend(s, actor=sup, data=data, now=vn(2026, 12, 8, 10))
        again = await recognition.commend(s, actor=sup, data=data)
        assert again.id == first.id and first.user_id == world.cadre
        assert first.citation == suggested.citation
        assert await recognition.suggestions(s, actor=sup, now=vn(2026, 12, 8, 10)) == []
        board = await recognition.board(
            s, actor=await load_user(s, world.cadre2), unit_id=world.commune
        )
        assert [c.id for c in board] == [first.id]
        with pytest.raises(DomainError):
            await recognition.board(
                s, actor=await load_user(s, world.other_cadre), unit_id=world.commune
            )
        told = list(
            await s.scalars(
                select(OutboxMessage).where(OutboxMessage.idempotency_key.like("commend:%"))
            )
        )
    assert [m.user_id for m in told] == [world.cadre] and "Biểu dương" in told[0].text


async def test_an_open_task_cannot_be_commended(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    task = await _create(sessionmaker, settings, world)
    async with unit_of_work(sessionmaker) as s:
        with pytest.raises(DomainError) as err:
            await recognition.commend(
                s,
                actor=await load_user(s, world.sup1),
                data=CommendCreate(source_kind=SourceKind.TASK, source_id=task.id),
            )
    assert err.value.code == ErrorCode.INVALID


async def test_record_figures_equal_the_rows(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    for n in range(3):
        case = await new_case(
            sessionmaker, settings, world.cadre, question=f"Câu hỏi số {n} về đất"
        )
        if n < 2:
            async with unit_of_work(sessionmaker) as s:
                when = vn(2026, 11, 23, 11) if n == 0 else vn(2026, 12, 30, 11)  # on time, late
                await cases.answer(
                    s,
                    actor=await load_user(s, world.sup1),
                    case_id=case.id,
                    data=CaseAnswer(text="Trả lời thử", legal_basis="Điều 1"),
                    now=when,
                )
    task_id = await _finished(sessionmaker, settings, world)
    await _create(sessionmaker, settings, world)  # a second, still open
    async with unit_of_work(sessionmaker) as s:
        sup = await load_user(s, world.sup1)
        await recognition.commend(
            s, actor=sup, data=CommendCreate(source_kind=SourceKind.TASK, source_id=task_id)
        )
        cadre_record = await build(s, actor=sup, user_id=world.cadre)
        sup_record = await build(s, actor=sup, user_id=world.sup1)
        figures = {f.key: f.count for f in cadre_record.figures}
        answered = {f.key: f.count for f in sup_record.figures}

        async def count(model: type, *where: object) -> int:
            return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)

        assert figures["cases_asked"] == await count(Case, Case.asker_id == world.cadre) == 3
        assert answered["cases_answered"] == await count(Case, Case.answered_by_id == world.sup1)
        assert answered["cases_answered"] == 2 and answered["cases_answered_on_time"] == 1
        assert figures["tasks_owned"] == await count(HardTask, HardTask.owner_id == world.cadre)
        assert figures["tasks_owned"] == 2 and figures["tasks_done"] == 1
        assert figures["tasks_done_on_time"] == 1
        assert (
            figures["commendations"]
            == await count(Commendation, Commendation.user_id == world.cadre)
            == 1
        )
        evidence = {f.key: [e.id for e in f.evidence] for f in cadre_record.figures}
        assert evidence["tasks_done"] == [task_id]
        assert "Việc khó hoàn thành đúng hạn,1" in record_csv(cadre_record).decode("utf-8-sig")
        # The official sees their own record; nobody outside their unit's supervision does.
        await build(s, actor=await load_user(s, world.cadre), user_id=world.cadre)
        for uid in (world.cadre2, world.other_sup):
            with pytest.raises(DomainError) as err:
                await build(s, actor=await load_user(s, uid), user_id=world.cadre)
            assert err.value.code == ErrorCode.FORBIDDEN
