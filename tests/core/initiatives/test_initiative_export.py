"""Council exports: CSV and XLSX parse back with Vietnamese headers; blindness holds."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.config import Settings
from core.db import unit_of_work
from core.errors import DomainError, ErrorCode
from core.initiatives import assignment, coauthors, scoring, service
from core.initiatives.export import HEADERS, export_results
from tests.core.initiatives.factories import SAMPLE, World, person

SM = async_sessionmaker[AsyncSession]
GOOD = {"novelty": 5, "benefit": 4, "replicability": 4, "compliance": 1, "cost": 4}


async def _prepare(sm: SM, settings: Settings, world: World) -> tuple[str, str]:
    async with unit_of_work(sm) as session:
        scored, _ = await service.submit_initiative(
            session, author=await person(session, world.cadre_a), settings=settings, **SAMPLE
        )
        waiting, _ = await service.submit_initiative(
            session, author=await person(session, world.cadre_b), settings=settings,
            **{**SAMPLE, "title": "Sổ tay tiếp dân, \"một cửa\"; bản điện tử"},
        )  # fmt: skip
        await coauthors.add_coauthor(
            session,
            actor=await person(session, world.cadre_a),
            initiative_id=scored.id,
            user_id=world.cadre_a2,
        )
        await assignment.assign_evaluators(
            session,
            actor=await person(session, world.admin),
            initiative_id=scored.id, settings=settings,
            evaluator_ids=[world.eval_1, world.eval_2],
        )  # fmt: skip
    for who, novelty in ((world.eval_1, 5), (world.eval_2, 1)):
        async with unit_of_work(sm) as session:
            await scoring.submit_scores(
                session, actor=await person(session, who), initiative_id=scored.id,
                scores={**GOOD, "novelty": novelty},
            )  # fmt: skip
    return scored.number, waiting.number


async def test_csv_and_xlsx_round_trip(sessionmaker: SM, settings: Settings, world: World) -> None:
    scored, waiting = await _prepare(sessionmaker, settings, world)
    async with sessionmaker() as session:
        data, media, name = await export_results(
            session, actor=await person(session, world.admin), fmt="csv", settings=settings
        )
        xlsx, xmedia, xname = await export_results(
            session, actor=await person(session, world.admin), fmt="xlsx", settings=settings
        )
    assert media.startswith("text/csv") and name.endswith(".csv")
    assert data.startswith(b"\xef\xbb\xbf")  # BOM for Excel
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == HEADERS
    by_number = {r[0]: dict(zip(HEADERS, r, strict=True)) for r in rows[1:]}
    row = by_number[scored]
    # Totals 82.5 and 52.5: mean 67.5, spread 30 > 20 -> disagreement.
    assert row["Tác giả"] == "Nguyễn Văn An"
    assert row["Đồng tác giả"] == "Trần Thị Bích"
    assert row["Trạng thái"] == "Đã chấm xong"
    assert (row["Số phiếu đã chấm"], row["Điểm trung bình (0-100)"]) == ("2", "67.5")
    assert (row["Độ lệch giữa người chấm"], row["Chênh lệch vượt ngưỡng"]) == ("30.0", "Có")
    assert row["Không đạt tiêu chí bắt buộc"] == "Không"
    assert "Tính mới: 3" in row["Điểm trung bình theo tiêu chí"]
    assert by_number[waiting]["Tên sáng kiến"] == 'Sổ tay tiếp dân, "một cửa"; bản điện tử'
    assert by_number[waiting]["Điểm trung bình (0-100)"] == ""

    assert xmedia.startswith("application/vnd.openxml") and xname.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == HEADERS
    xrow = next(dict(zip(HEADERS, v, strict=True)) for v in values[1:] if v[0] == scored)
    assert xrow["Điểm trung bình (0-100)"] == 67.5 and xrow["Số phiếu đã chấm"] == 2


async def test_export_access_and_blindness(
    sessionmaker: SM, settings: Settings, world: World
) -> None:
    scored, _ = await _prepare(sessionmaker, settings, world)
    async with sessionmaker() as session:
        with pytest.raises(DomainError) as err:
            await export_results(
                session, actor=await person(session, world.cadre_a), fmt="csv", settings=settings
            )
        assert err.value.code is ErrorCode.FORBIDDEN
        with pytest.raises(DomainError) as err:
            await export_results(
                session, actor=await person(session, world.admin), fmt="pdf", settings=settings
            )
        assert err.value.code is ErrorCode.INVALID
        # An evaluator exports only what is assigned to them.
        data, _, _ = await export_results(
            session, actor=await person(session, world.eval_1), fmt="csv", settings=settings
        )
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]
        assert [r[0] for r in rows] == [scored]
        data, _, _ = await export_results(
            session, actor=await person(session, world.eval_3), fmt="csv", settings=settings
        )
        assert list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:] == []


async def test_export_is_blind_for_an_evaluator_who_has_not_scored(
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
    async with unit_of_work(sessionmaker) as session:
        await scoring.submit_scores(
            session,
            actor=await person(session, world.eval_1),
            initiative_id=initiative.id,
            scores=GOOD,
        )
    async with sessionmaker() as session:
        blind, _, _ = await export_results(
            session, actor=await person(session, world.eval_2), fmt="csv", settings=settings
        )
        seen, _, _ = await export_results(
            session, actor=await person(session, world.eval_1), fmt="csv", settings=settings
        )
    blind_row = list(csv.reader(io.StringIO(blind.decode("utf-8-sig"))))[1]
    seen_row = list(csv.reader(io.StringIO(seen.decode("utf-8-sig"))))[1]
    col = HEADERS.index("Điểm trung bình (0-100)")
    assert blind_row[col] == "" and seen_row[col] == "82.5"
