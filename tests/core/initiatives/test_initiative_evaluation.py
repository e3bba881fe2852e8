"""Assignment with conflict-of-interest rules, blind scoring, disagreement, gates, decisions,
status notifications and deadline reminders."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.audit.models import AuditEntry
from core.config import Settings
from core.db import unit_of_work
from core.errors import DomainError, ErrorCode
from core.initiatives import assignment, coauthors, scoring, service
from core.initiatives.enums import InitiativeStatus
from core.initiatives.models import Initiative
from core.outbox.models import OutboxMessage
from tests.core.initiatives.factories import SAMPLE, World, person

SM = async_sessionmaker[AsyncSession]
GOOD = {"novelty": 5, "benefit": 4, "replicability": 4, "compliance": 1, "cost": 4}
# (5-1)/4*30 + (4-1)/4*30 + (4-1)/4*20 + (4-1)/4*20 = 30 + 22.5 + 15 + 15 = 82.5
GOOD_TOTAL = 82.5


async def _submit(sm: SM, settings: Settings, author: int) -> Initiative:
    async with unit_of_work(sm) as session:
        initiative, _ = await service.submit_initiative(
            session, author=await person(session, author), settings=settings, **SAMPLE
        )
        return initiative


async def _assign(sm: SM, settings: Settings, world: World, iid: int, ids: list[int]) -> None:
    async with unit_of_work(sm) as session:
        await assignment.assign_evaluators(
            session,
            actor=await person(session, world.admin),
            initiative_id=iid,
            settings=settings,
            evaluator_ids=ids,
        )


async def _score(sm: SM, who: int, iid: int, scores: dict[str, int]) -> None:
    async with unit_of_work(sm) as session:
        await scoring.submit_scores(
            session, actor=await person(session, who), initiative_id=iid, scores=scores
        )


async def _status(sm: SM, iid: int) -> str:
    async with sm() as session:
        initiative = await session.get(Initiative, iid)
        assert initiative is not None
        return initiative.status


@pytest.mark.parametrize(
    ("evaluator", "reason"),
    [
        ("eval_a", "cùng đơn vị với tác giả"),
        ("supervisor_a", "không có vai trò người đánh giá"),
        ("cadre_b", "không có vai trò người đánh giá"),
    ],
)
async def test_conflicts_of_interest_are_refused(
    sessionmaker: SM, settings: Settings, world: World, evaluator: str, reason: str
) -> None:
    initiative = await _submit(sessionmaker, settings, world.cadre_a)
    with pytest.raises(DomainError) as err:
        await _assign(
            sessionmaker, settings, world, initiative.id, [world.eval_1, getattr(world, evaluator)]
        )
    assert err.value.code is ErrorCode.INVALID
    assert reason in err.value.message and "xung đột lợi ích" in err.value.message
    assert await _status(sessionmaker, initiative.id) == InitiativeStatus.SUBMITTED


async def test_supervisor_of_authors_unit_and_coauthors_unit_are_excluded(
    sessionmaker: SM, settings: Settings, world: World
) -> None:
    initiative = await _submit(sessionmaker, settings, world.cadre_a)
    async with unit_of_work(sessionmaker) as session:
        # An evaluator who also supervises commune A (the author's unit) is the author's supervisor.
        from core.users.models import supervisor_units

        await session.execute(
            supervisor_units.insert().values(user_id=world.eval_1, unit_id=world.commune_a)
        )
        # A co-author from commune B makes commune B's evaluator conflicted too.
        await coauthors.add_coauthor(
            session,
            actor=await person(session, world.cadre_a),
            initiative_id=initiative.id,
            user_id=world.cadre_b,
        )
    for conflicted, reason in ((world.eval_1, "phụ trách đơn vị"), (world.eval_3, "cùng đơn vị")):
        with pytest.raises(DomainError) as err:
            await _assign(sessionmaker, settings, world, initiative.id, [world.eval_2, conflicted])
        assert reason in err.value.message
    async with sessionmaker() as session:
        suggested = await assignment.suggest_evaluators(
            session, actor=await person(session, world.admin), initiative_id=initiative.id, count=5
        )
    assert [u.id for u in suggested] == [world.eval_2]


async def test_at_least_two_evaluators_and_admin_only(
    sessionmaker: SM, settings: Settings, world: World
) -> None:
    initiative = await _submit(sessionmaker, settings, world.cadre_a)
    with pytest.raises(DomainError) as err:
        await _assign(sessionmaker, settings, world, initiative.id, [world.eval_1])
    assert "ít nhất 2" in err.value.message
    async with unit_of_work(sessionmaker) as session:
        with pytest.raises(DomainError) as err:
            await assignment.assign_evaluators(
                session,
                actor=await person(session, world.eval_1),
                initiative_id=initiative.id,
                settings=settings,
            )
        assert err.value.code is ErrorCode.FORBIDDEN


async def test_full_flow_blind_scoring_and_recognition(
    sessionmaker: SM, settings: Settings, world: World
) -> None:
    initiative = await _submit(sessionmaker, settings, world.cadre_a)
    async with unit_of_work(sessionmaker) as session:
        await service.start_screening(
            session, actor=await person(session, world.admin), initiative_id=initiative.id
        )
        # Automatic suggestion: two conflict-free evaluators, least loaded first.
        made = await assignment.assign_evaluators(
            session,
            actor=await person(session, world.admin),
            initiative_id=initiative.id,
            settings=settings,
        )
        assert sorted(e.evaluator_id for e in made) == [world.eval_1, world.eval_2]
        assert all(e.due_at > e.assigned_at for e in made)
    assert await _status(sessionmaker, initiative.id) == InitiativeStatus.UNDER_EVALUATION

    async with sessionmaker() as session:
        mine = await assignment.my_assignments(session, actor=await person(session, world.eval_1))
        assert [e.initiative_id for e in mine] == [initiative.id]
        assert (
            await assignment.my_assignments(session, actor=await person(session, world.eval_3))
            == []
        )
        # eval_3 is not assigned: the initiative does not exist for them.
        with pytest.raises(DomainError) as err:
            await service.get_initiative(
                session, actor=await person(session, world.eval_3), initiative_id=initiative.id
            )
        assert err.value.code is ErrorCode.NOT_FOUND

    await _score(sessionmaker, world.eval_1, initiative.id, GOOD)
    async with sessionmaker() as session:
        # eval_2 has not submitted: sees only their own (empty) sheet, no result.
        sheets = await scoring.score_sheets(
            session, actor=await person(session, world.eval_2), initiative_id=initiative.id
        )
        assert [(s.evaluator_id, s.scores) for s in sheets] == [(world.eval_2, {})]
        with pytest.raises(DomainError) as err:
            await scoring.result(
                session,
                actor=await person(session, world.eval_2),
                initiative_id=initiative.id,
                settings=settings,
            )
        assert err.value.code is ErrorCode.FORBIDDEN
        # eval_1 submitted: sees sheets, but eval_2's is not submitted so is not shown.
        sheets = await scoring.score_sheets(
            session, actor=await person(session, world.eval_1), initiative_id=initiative.id
        )
        assert [s.evaluator_id for s in sheets] == [world.eval_1]
        assert sheets[0].total == GOOD_TOTAL
        # The author sees no score before the decision.
        with pytest.raises(DomainError):
            await scoring.result(
                session,
                actor=await person(session, world.cadre_a),
                initiative_id=initiative.id,
                settings=settings,
            )
        assert (
            await scoring.score_sheets(
                session, actor=await person(session, world.cadre_a), initiative_id=initiative.id
            )
            == []
        )

    with pytest.raises(DomainError) as err:  # a sheet is final once submitted
        await _score(sessionmaker, world.eval_1, initiative.id, GOOD)
    assert err.value.code is ErrorCode.CONFLICT

    await _score(sessionmaker, world.eval_2, initiative.id, {**GOOD, "novelty": 4})
    assert await _status(sessionmaker, initiative.id) == InitiativeStatus.EVALUATED
    async with sessionmaker() as session:
        sheets = await scoring.score_sheets(
            session, actor=await person(session, world.eval_2), initiative_id=initiative.id
        )
        assert sorted(s.evaluator_id for s in sheets) == [world.eval_1, world.eval_2]
        res = await scoring.result(
            session,
            actor=await person(session, world.admin),
            initiative_id=initiative.id,
            settings=settings,
        )
    assert (res.submitted, res.mean_total, res.spread) == (2, 78.75, 7.5)
    assert not res.disagreement and not res.gate_failed
    assert res.criteria_means["novelty"] == 4.5

    async with unit_of_work(sessionmaker) as session:
        await scoring.decide(
            session,
            actor=await person(session, world.admin),
            initiative_id=initiative.id,
            outcome="recognised",
            note="Hội đồng đánh giá cao",
            settings=settings,
        )
    assert await _status(sessionmaker, initiative.id) == InitiativeStatus.RECOGNISED
    async with sessionmaker() as session:
        res = await scoring.result(
            session,
            actor=await person(session, world.cadre_a),
            initiative_id=initiative.id,
            settings=settings,
        )
        assert res.mean_total == 78.75
        to_author = [
            m.text
            for m in await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.user_id == world.cadre_a)
                .order_by(OutboxMessage.id)
            )
        ]
        keys = list(await session.scalars(select(OutboxMessage.idempotency_key)))
    # One message per status change: screening, under evaluation, evaluated, recognised.
    assert len(to_author) == 4
    for fragment, text in zip(
        ["Đang sơ loại", "Đang chấm điểm", "Đã chấm xong", "Được công nhận"],
        to_author,
        strict=True,
    ):
        assert fragment in text and initiative.number in text
    assert "Hội đồng đánh giá cao" in to_author[-1]
    assert len(keys) == len(set(keys))
    # Both evaluators were told about their assignment.
    assert sum(k.startswith(f"initiative:{initiative.id}:assigned:") for k in keys) == 2


async def _evaluated(
    sm: SM, settings: Settings, world: World, first: dict[str, int], second: dict[str, int]
) -> int:
    initiative = await _submit(sm, settings, world.cadre_a)
    await _assign(sm, settings, world, initiative.id, [world.eval_1, world.eval_2])
    await _score(sm, world.eval_1, initiative.id, first)
    await _score(sm, world.eval_2, initiative.id, second)
    return initiative.id


async def test_gate_failure_blocks_recognition_whatever_the_total(
    sessionmaker: SM, settings: Settings, world: World
) -> None:
    full = {"novelty": 5, "benefit": 5, "replicability": 5, "compliance": 1, "cost": 5}
    iid = await _evaluated(sessionmaker, settings, world, full, {**full, "compliance": 0})
    async with sessionmaker() as session:
        res = await scoring.result(
            session, actor=await person(session, world.admin), initiative_id=iid, settings=settings
        )
    assert res.mean_total == 100.0 and res.gate_failed and res.failed_gates == ["compliance"]
    for council in (False, True):
        async with unit_of_work(sessionmaker) as session:
            with pytest.raises(DomainError) as err:
                await scoring.decide(
                    session,
                    actor=await person(session, world.admin),
                    initiative_id=iid, outcome="recognised",
                    council=council, settings=settings,
                )  # fmt: skip
            assert "tiêu chí bắt buộc" in err.value.message
    async with unit_of_work(sessionmaker) as session:
        await scoring.decide(
            session,
            actor=await person(session, world.admin),
            initiative_id=iid, outcome="not_accepted",
            note="Cách làm chưa đúng quy trình", settings=settings,
        )  # fmt: skip
    assert await _status(sessionmaker, iid) == InitiativeStatus.NOT_ACCEPTED


async def test_disagreement_needs_third_evaluator_or_council(
    sessionmaker: SM, settings: Settings, world: World
) -> None:
    low = {"novelty": 2, "benefit": 2, "replicability": 2, "compliance": 1, "cost": 2}  # 25.0
    iid = await _evaluated(sessionmaker, settings, world, GOOD, low)
    async with sessionmaker() as session:
        res = await scoring.result(
            session, actor=await person(session, world.admin), initiative_id=iid, settings=settings
        )
    assert res.spread == GOOD_TOTAL - 25.0 and res.disagreement
    async with unit_of_work(sessionmaker) as session:
        with pytest.raises(DomainError) as err:
            await scoring.decide(
                session,
                actor=await person(session, world.admin),
                initiative_id=iid, outcome="recognised",
                settings=settings,
            )  # fmt: skip
        assert "người chấm thứ ba" in err.value.message
    # A third evaluator reopens the evaluation; automatic choice skips commune A's evaluator.
    async with unit_of_work(sessionmaker) as session:
        third = await assignment.assign_evaluators(
            session, actor=await person(session, world.admin), initiative_id=iid, settings=settings
        )
        assert [e.evaluator_id for e in third] == [world.eval_3]
    assert await _status(sessionmaker, iid) == InitiativeStatus.UNDER_EVALUATION
    await _score(sessionmaker, world.eval_3, iid, GOOD)
    assert await _status(sessionmaker, iid) == InitiativeStatus.EVALUATED
    async with unit_of_work(sessionmaker) as session:
        res = await scoring.result(
            session, actor=await person(session, world.admin), initiative_id=iid, settings=settings
        )
        assert res.submitted == 3 and res.disagreement  # still apart: the council decides
        await scoring.decide(
            session,
            actor=await person(session, world.admin),
            initiative_id=iid, outcome="recognised",
            council=True, note="Hội đồng biểu quyết công nhận", settings=settings,
        )  # fmt: skip
    async with sessionmaker() as session:
        decided = await session.get(Initiative, iid)
        assert decided is not None and decided.council_decision


def test_disagreement_threshold_is_strict() -> None:
    from core.initiatives.models import Evaluation
    from core.initiatives.rubric import Criterion

    crit = [Criterion("x", "X", "", 1, 0, 100)]
    sheets = [
        Evaluation(status="submitted", scores={"x": 50}),
        Evaluation(status="submitted", scores={"x": 70}),
        Evaluation(status="withdrawn", scores={"x": 0}),
    ]
    at = scoring.aggregate(sheets, crit, threshold=20.0)
    assert at.spread == 20.0 and not at.disagreement and at.assigned == 2
    assert scoring.aggregate(sheets, crit, threshold=19.9).disagreement


async def test_needs_info_round_trip_and_transitions(
    sessionmaker: SM, settings: Settings, world: World
) -> None:
    initiative = await _submit(sessionmaker, settings, world.cadre_a)
    async with unit_of_work(sessionmaker) as session:
        with pytest.raises(DomainError) as err:  # a reason is required
            await scoring.decide(
                session, actor=await person(session, world.admin), initiative_id=initiative.id,
                outcome="needs_info", settings=settings,
            )  # fmt: skip
        assert err.value.code is ErrorCode.INVALID
        with pytest.raises(DomainError) as err:  # nothing evaluated yet
            await scoring.decide(
                session, actor=await person(session, world.admin), initiative_id=initiative.id,
                outcome="recognised", settings=settings,
            )  # fmt: skip
        assert err.value.code is ErrorCode.CONFLICT
        await scoring.decide(
            session, actor=await person(session, world.admin), initiative_id=initiative.id,
            outcome="needs_info", note="Bổ sung số liệu <trước/sau>", settings=settings,
        )  # fmt: skip
    async with unit_of_work(sessionmaker) as session:
        with pytest.raises(DomainError):  # only authors answer
            await service.provide_info(
                session,
                actor=await person(session, world.cadre_b),
                initiative_id=initiative.id,
                changes={},
            )
        updated = await service.provide_info(
            session,
            actor=await person(session, world.cadre_a),
            initiative_id=initiative.id,
            changes={"results": "Giảm từ 20 phút xuống 3 phút; 1.200 hồ sơ trong 6 tháng."},
        )
        assert updated.status == InitiativeStatus.SUBMITTED
    async with sessionmaker() as session:
        texts = [
            m.text
            for m in await session.scalars(
                select(OutboxMessage).where(OutboxMessage.user_id == world.cadre_a)
            )
        ]
    assert any("Bổ sung số liệu &lt;trước/sau&gt;" in t for t in texts)
    assert len(texts) == 2  # needs info, submitted again


async def test_reminders_at_50_80_100_percent_once(
    sessionmaker: SM, settings: Settings, world: World
) -> None:
    initiative = await _submit(sessionmaker, settings, world.cadre_a)
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 08:00 in Hà Nội
    async with unit_of_work(sessionmaker) as session:
        made = await assignment.assign_evaluators(
            session,
            actor=await person(session, world.admin),
            initiative_id=initiative.id, settings=settings,
            evaluator_ids=[world.eval_1, world.eval_2], now=start,
        )  # fmt: skip
        due = made[0].due_at
    # 85 working hours = 10 working days of 8.5 h: two weeks later, same time.
    assert due == datetime(2026, 3, 16, 1, 0, tzinfo=UTC)
    await _score(sessionmaker, world.eval_2, initiative.id, GOOD)

    async def sweep(at: datetime) -> int:
        return await assignment.sweep_reminders(sessionmaker, settings, now=at)

    assert await sweep(start + timedelta(days=2)) == 0
    assert await sweep(datetime(2026, 3, 9, 6, 0, tzinfo=UTC)) == 1  # past half-way
    assert await sweep(datetime(2026, 3, 9, 7, 0, tzinfo=UTC)) == 0  # not twice
    assert await sweep(datetime(2026, 3, 12, 6, 0, tzinfo=UTC)) == 1  # past 80 %
    assert await sweep(due + timedelta(minutes=1)) == 1  # overdue
    assert await sweep(due + timedelta(days=3)) == 0
    async with sessionmaker() as session:
        keys = sorted(
            await session.scalars(
                select(OutboxMessage.idempotency_key).where(
                    OutboxMessage.idempotency_key.like(f"initiative:{initiative.id}:%")
                )
            )
        )
    iid = initiative.id
    assert f"initiative:{iid}:remind:{world.eval_1}:1" in keys
    assert f"initiative:{iid}:remind:{world.eval_1}:2" in keys
    assert f"initiative:{iid}:remind:{world.eval_1}:3" in keys
    assert f"initiative:{iid}:overdue:{world.eval_1}:{world.admin}" in keys
    assert not any(k.startswith(f"initiative:{iid}:remind:{world.eval_2}") for k in keys)


async def test_simultaneous_last_scores_complete_the_evaluation_once(
    sessionmaker: SM, settings: Settings, world: World
) -> None:
    initiative = await _submit(sessionmaker, settings, world.cadre_a)
    await _assign(sessionmaker, settings, world, initiative.id, [world.eval_1, world.eval_2])
    await asyncio.gather(
        _score(sessionmaker, world.eval_1, initiative.id, GOOD),
        _score(sessionmaker, world.eval_2, initiative.id, GOOD),
    )
    assert await _status(sessionmaker, initiative.id) == InitiativeStatus.EVALUATED
    async with sessionmaker() as session:
        moves = list(
            await session.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.entity == "initiative",
                    AuditEntry.action == "initiative.evaluated",
                )
            )
        )
    assert moves == ["initiative.evaluated"]


async def test_new_coauthor_may_not_conflict_with_assigned_evaluators(
    sessionmaker: SM, settings: Settings, world: World
) -> None:
    initiative = await _submit(sessionmaker, settings, world.cadre_a)
    await _assign(sessionmaker, settings, world, initiative.id, [world.eval_1, world.eval_3])
    async with unit_of_work(sessionmaker) as session:
        # cadre_b works in commune B, like the assigned evaluator eval_3.
        with pytest.raises(DomainError) as err:
            await coauthors.add_coauthor(
                session,
                actor=await person(session, world.cadre_a),
                initiative_id=initiative.id,
                user_id=world.cadre_b,
            )
        assert err.value.code is ErrorCode.CONFLICT and "Đặng Văn Khoa" in err.value.message
        # A colleague from the author's own unit is fine.
        await coauthors.add_coauthor(
            session,
            actor=await person(session, world.cadre_a),
            initiative_id=initiative.id,
            user_id=world.cadre_a2,
        )


async def test_reminder_loop_sends_then_stops(
    sessionmaker: SM, settings: Settings, world: World
) -> None:
    initiative = await _submit(sessionmaker, settings, world.cadre_a)
    async with unit_of_work(sessionmaker) as session:
        await assignment.assign_evaluators(
            session,
            actor=await person(session, world.admin),
            initiative_id=initiative.id, settings=settings,
            evaluator_ids=[world.eval_1, world.eval_2],
            now=datetime(2026, 1, 5, 1, 0, tzinfo=UTC),  # long overdue by now
        )  # fmt: skip
    stop = asyncio.Event()
    loop = asyncio.create_task(assignment.run_reminder_loop(sessionmaker, settings, stop))
    key = f"initiative:{initiative.id}:remind:{world.eval_1}:3"
    for _ in range(200):  # the first pass runs at once; allow a slow machine some time
        async with sessionmaker() as session:
            if await session.scalar(
                select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)
            ):
                break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(loop, 10)
    async with sessionmaker() as session:
        sent = set(await session.scalars(select(OutboxMessage.idempotency_key)))
    assert key in sent and f"initiative:{initiative.id}:remind:{world.eval_2}:3" in sent
