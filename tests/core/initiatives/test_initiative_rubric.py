"""Rubric arithmetic: weights, scales, normalisation to 0-100, gates; versioning by admins."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import unit_of_work
from core.errors import DomainError, ErrorCode
from core.initiatives.rubric import (
    DEFAULT_CRITERIA,
    Criterion,
    check_scores,
    current_rubric,
    failed_gates,
    parse_criteria,
    update_rubric,
    weighted_total,
)
from tests.core.initiatives.factories import World, person

TWO = [
    Criterion("a", "A", "", weight=3, scale_min=1, scale_max=5),
    Criterion("b", "B", "", weight=1, scale_min=0, scale_max=10),
]


def test_normalisation_and_weights() -> None:
    # a: (4-1)/(5-1) = 0.75, weight 3; b: 2/10 = 0.2, weight 1 -> (2.25 + 0.2) / 4 = 61.25 %
    assert weighted_total(TWO, {"a": 4, "b": 2}) == 61.25
    assert weighted_total(TWO, {"a": 1, "b": 0}) == 0.0
    assert weighted_total(TWO, {"a": 5, "b": 10}) == 100.0
    # Weights are relative: scaling them all changes nothing.
    doubled = [Criterion(c.key, c.name, "", c.weight * 2, c.scale_min, c.scale_max) for c in TWO]
    assert weighted_total(doubled, {"a": 4, "b": 2}) == 61.25


def test_default_rubric_gate_blocks_but_adds_no_points() -> None:
    criteria = list(DEFAULT_CRITERIA)
    best = {"novelty": 5, "benefit": 5, "replicability": 5, "cost": 5, "compliance": 1}
    assert weighted_total(criteria, best) == 100.0
    assert failed_gates(criteria, best) == []
    shortcut = {**best, "compliance": 0}
    # Full marks everywhere else, yet outside the rules: the total is unchanged, the gate fails.
    assert weighted_total(criteria, shortcut) == 100.0
    assert failed_gates(criteria, shortcut) == ["compliance"]


def test_gate_with_pass_mark() -> None:
    gate = Criterion("legal", "Pháp lý", "", weight=1, scale_min=1, scale_max=5, gate=True,
                     pass_mark=3)  # fmt: skip
    assert failed_gates([gate], {"legal": 2}) == ["legal"]
    assert failed_gates([gate], {"legal": 3}) == []


@pytest.mark.parametrize(
    ("scores", "fragment"),
    [
        ({"a": 6, "b": 1}, "phải từ 1 đến 5"),
        ({"a": 3}, "Thiếu điểm"),
        ({"a": 3, "b": 2.5}, "số nguyên"),
        ({"a": True, "b": 1}, "số nguyên"),
        ({"a": 3, "b": 1, "z": 1}, "không có trong bộ tiêu chí"),
    ],
)
def test_score_validation(scores: dict[str, object], fragment: str) -> None:
    with pytest.raises(DomainError) as err:
        check_scores(TWO, scores)
    assert fragment in err.value.message


@pytest.mark.parametrize(
    ("criteria", "fragment"),
    [
        ([], "ít nhất một"),
        ([{"key": "a", "name": "A", "weight": 1, "scale_min": 3, "scale_max": 3}], "Thang điểm"),
        ([{"key": "a", "name": "A", "weight": -1, "scale_min": 0, "scale_max": 1}], "âm"),
        ([{"key": "a", "name": "A", "weight": 0, "scale_min": 0, "scale_max": 1}], "Tổng trọng"),
        (
            [
                {"key": "a", "name": "A", "weight": 1, "scale_min": 0, "scale_max": 1},
                {"key": "a", "name": "B", "weight": 1, "scale_min": 0, "scale_max": 1},
            ],
            "không trùng",
        ),
        ([{"key": "a", "name": "A"}], "Trọng số của tiêu chí “A” phải là số"),
        (
            [{"key": "a", "name": "Tính mới", "weight": "abc", "scale_min": 1, "scale_max": 5}],
            "Trọng số của tiêu chí “Tính mới” phải là số (đang nhập “abc”)",
        ),
        (
            [{"key": "a", "name": "A", "weight": 1, "scale_min": "một", "scale_max": 5}],
            "Điểm tối thiểu của tiêu chí “A” phải là số nguyên",
        ),
        (["a"], "thiếu mã hoặc tên"),
    ],
)
def test_rubric_validation(criteria: list[dict[str, object]], fragment: str) -> None:
    with pytest.raises(DomainError) as err:
        parse_criteria(criteria)
    assert err.value.code is ErrorCode.INVALID
    assert fragment in err.value.message


async def test_versions_are_kept_and_only_admins_edit(
    sessionmaker: async_sessionmaker[AsyncSession], world: World
) -> None:
    async with unit_of_work(sessionmaker) as session:
        first = await current_rubric(session)
        assert first.version == 1
        assert [c["key"] for c in first.criteria] == [c.key for c in DEFAULT_CRITERIA]
    new = [c.as_dict() for c in DEFAULT_CRITERIA]
    new[0]["weight"] = 50
    async with unit_of_work(sessionmaker) as session:
        with pytest.raises(DomainError) as err:
            await update_rubric(session, actor=await person(session, world.eval_1), criteria=new)
        assert err.value.code is ErrorCode.FORBIDDEN
        # Weights are shares of 100: 50 + 30 + 20 + 20 is refused, saying the sum.
        with pytest.raises(DomainError) as err:
            await update_rubric(session, actor=await person(session, world.admin), criteria=new)
        assert "Tổng trọng số phải bằng 100 (hiện là 120)" in err.value.message
        new[1]["weight"] = 10
        second = await update_rubric(
            session, actor=await person(session, world.admin), criteria=new, note="Tăng tính mới"
        )
    async with sessionmaker() as session:
        latest = await current_rubric(session)
        assert latest.version == 2 and latest.id == second.id
        assert latest.criteria[0]["weight"] == 50
        old = await session.get(type(first), first.id)
        assert old is not None and old.criteria[0]["weight"] == 30


async def test_concurrent_saves_get_distinct_versions(
    sessionmaker: async_sessionmaker[AsyncSession], world: World
) -> None:
    criteria = [c.as_dict() for c in DEFAULT_CRITERIA]

    async def save(note: str) -> int:
        async with unit_of_work(sessionmaker) as session:
            admin = await person(session, world.admin)
            saved = await update_rubric(session, actor=admin, criteria=criteria, note=note)
            return saved.version

    versions = await asyncio.gather(*(save(f"lần {n}") for n in range(4)))
    assert sorted(versions) == [2, 3, 4, 5]  # version 1 (the default) created exactly once
