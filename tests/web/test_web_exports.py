"""The console's statistics CSV neutralises cells that a spreadsheet would run as formulas."""

from __future__ import annotations

import csv
import io

import httpx

from core.context import AppContext
from core.db import unit_of_work
from core.feedback import service as feedback
from tests.web.conftest import World, login

FORMULA = '=HYPERLINK("http://evil.example","Bấm xem")'


async def test_analytics_csv_neutralises_formulas(
    client: httpx.AsyncClient, people: World, ctx: AppContext
) -> None:
    cadre = people.people["cadre"]
    async with unit_of_work(ctx.sessionmaker) as session:
        await feedback.log_question(
            session, user_id=cadre.id, unit_id=cadre.unit_id, query=FORMULA, passages=[],
            confidence=0.1, novel=True,
        )  # fmt: skip
    await login(client, people.people["supervisor"].token)
    export = (await client.get("/analytics.csv")).content.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(export)) for cell in row]
    assert "'" + FORMULA in cells and FORMULA not in cells
