"""Exported cells are safe: a title with a control character still exports, and a title that
looks like a formula stays text in the XLSX and is neutralised in the CSV (OWASP)."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.config import Settings
from core.db import unit_of_work
from core.initiatives import service
from core.initiatives.export import export_results
from core.sheets import safe_cell
from tests.core.initiatives.factories import SAMPLE, World, person

FORMULA = '=HYPERLINK("http://evil.example","Bấm xem")'


def test_safe_cell() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_cell(start + "1+1") == "'" + start + "1+1"
    assert safe_cell("Chuông\x07 báo") == "Chuông báo"
    assert safe_cell("\x07=1+1") == "'=1+1"  # dropped first, then checked
    assert (
        safe_cell(-5) == -5 and safe_cell(None) is None and safe_cell("Xã An Bình") == "Xã An Bình"
    )


async def test_hostile_titles_export_as_plain_text(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, world: World
) -> None:
    async with unit_of_work(sessionmaker) as session:
        for title in ("Chuông\x07 báo thức", FORMULA):
            await service.submit_initiative(
                session,
                author=await person(session, world.cadre_a),
                settings=settings,
                **{**SAMPLE, "title": title},
            )
    async with sessionmaker() as session:
        xlsx, _, _ = await export_results(
            session, actor=await person(session, world.admin), fmt="xlsx", settings=settings
        )
        data, _, _ = await export_results(
            session, actor=await person(session, world.admin), fmt="csv", settings=settings
        )
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet is not None
    titles = [row[1].value for row in sheet.iter_rows(min_row=2)]
    cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert "Chuông báo thức" in titles and "'" + FORMULA in titles
    assert all(c.data_type == "s" for c in cells)  # no live formula
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert "'" + FORMULA in [r[1] for r in rows[1:]]
