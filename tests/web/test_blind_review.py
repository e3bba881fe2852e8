"""Blind review holds on every path (issue 10, defect 6): an evaluator never learns who wrote
an initiative or from which unit, through the API, the console pages, the CSV/XLSX export or a
Telegram notification, before or after scoring; admins see everything, authors their own."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.context import AppContext
from core.db import unit_of_work, utcnow
from core.initiatives import assignment, coauthors, scoring, service
from core.initiatives.models import Initiative
from core.outbox.models import OutboxMessage
from core.users.tokens import issue_token
from tests.core.initiatives.factories import SAMPLE, World, build_world, person
from tests.web.conftest import login

API = "/api/v1/initiatives"
GOOD = {"novelty": 5, "benefit": 4, "replicability": 4, "compliance": 1, "cost": 4}
# Who wrote the initiative under review, and who wrote the similar one shown next to it.
IDENTITY = ("Nguyễn Văn An", "Trần Thị Bích", "UBND xã An Phú", "Lê Văn Cường", "Bình Minh")
EVALUATORS = ["eval_1", "eval_2"]  # eval_1 has not scored; eval_2 has


@dataclass
class Review:
    ctx: AppContext
    world: World
    initiative_id: int
    number: str
    tokens: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


async def _under_review(
    s: AsyncSession, ctx: AppContext, w: World, fields: dict[str, str]
) -> Initiative:
    """cadre_a's initiative with co-author cadre_a2, assigned to eval_1 and eval_2."""
    mine, _ = await service.submit_initiative(
        s, author=await person(s, w.cadre_a), settings=ctx.settings, **fields
    )
    await coauthors.add_coauthor(
        s, actor=await person(s, w.cadre_a), initiative_id=mine.id, user_id=w.cadre_a2
    )
    await assignment.assign_evaluators(
        s, actor=await person(s, w.admin), initiative_id=mine.id, settings=ctx.settings,
        evaluator_ids=[w.eval_1, w.eval_2],
    )  # fmt: skip
    return mine


@pytest.fixture
async def review(ctx: AppContext) -> Review:
    """cadre_a's initiative (co-author cadre_a2) under evaluation by eval_1 and eval_2, with
    cadre_b's near-identical one as a similar initiative; eval_2 has scored."""
    w = await build_world(ctx.sessionmaker)
    async with unit_of_work(ctx.sessionmaker) as s:
        await service.submit_initiative(
            s, author=await person(s, w.cadre_b), settings=ctx.settings, **SAMPLE
        )
        mine = await _under_review(s, ctx, w, SAMPLE)
        await scoring.submit_scores(
            s, actor=await person(s, w.eval_2), initiative_id=mine.id, scores=GOOD
        )
        tokens = {
            who: await issue_token(s, user_id=getattr(w, who))
            for who in ("cadre_a", "eval_1", "eval_2", "admin")
        }
        return Review(ctx, w, mine.id, mine.number, tokens)


@pytest.fixture
async def console(ctx: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    """A second in-process client, so a test can hold two signed-in sessions."""
    from api.main import create_app

    transport = httpx.ASGITransport(app=create_app(ctx))
    async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as c:
        yield c


def assert_blind(text: str) -> None:
    leaked = [name for name in IDENTITY if name in text]
    assert not leaked, f"identity leaked: {leaked}"


def csv_text(content: bytes) -> str:
    return content.decode("utf-8-sig")


def xlsx_text(content: bytes) -> str:
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return "\n".join(
        "|".join("" if v is None else str(v) for v in row)
        for row in sheet.iter_rows(values_only=True)
    )


@pytest.mark.parametrize("who", EVALUATORS)
async def test_api_hides_identity_from_evaluators(
    client: httpx.AsyncClient, review: Review, who: str
) -> None:
    r = review
    one = await client.get(f"{API}/{r.initiative_id}", headers=r.auth(who))
    assert one.status_code == 200, one.text
    body = one.json()
    assert body["number"] == r.number and body["identity_hidden"] is True
    assert body["unit_id"] is None and body["unit_name"] is None
    assert body["author_id"] is None and body["authors"] == []
    listed = await client.get(API, headers=r.auth(who))
    assert [i["number"] for i in listed.json()["items"]] == [r.number]
    similar = await client.get(f"{API}/{r.initiative_id}/similar", headers=r.auth(who))
    assert similar.json() and all(s["unit_name"] is None for s in similar.json())
    for response in (one, listed, similar):
        assert_blind(response.text)
    # Filtering by unit would tell which unit an initiative comes from.
    by_unit = {"unit_id": r.world.commune_a}
    assert (await client.get(API, params=by_unit, headers=r.auth(who))).status_code == 403
    export = await client.get(f"{API}/export", params=by_unit, headers=r.auth(who))
    assert export.status_code == 403


@pytest.mark.parametrize("who", EVALUATORS)
async def test_exports_hide_identity_from_evaluators(
    client: httpx.AsyncClient, console: httpx.AsyncClient, review: Review, who: str
) -> None:
    r = review
    api_csv = await client.get(f"{API}/export", params={"format": "csv"}, headers=r.auth(who))
    api_xlsx = await client.get(f"{API}/export", params={"format": "xlsx"}, headers=r.auth(who))
    await login(console, r.tokens[who])
    web_csv = await console.get("/initiatives/export.csv")
    web_xlsx = await console.get("/initiatives/export.xlsx")
    for response in (api_csv, api_xlsx, web_csv, web_xlsx):
        assert response.status_code == 200, response.text
    for text in (csv_text(api_csv.content), csv_text(web_csv.content)):
        rows = list(csv.reader(io.StringIO(text)))
        assert [row[0] for row in rows[1:]] == [r.number]
        assert_blind(text)
    for content in (api_xlsx.content, web_xlsx.content):
        text = xlsx_text(content)
        assert r.number in text
        assert_blind(text)


@pytest.mark.parametrize("who", EVALUATORS)
async def test_console_pages_hide_identity_from_evaluators(
    console: httpx.AsyncClient, review: Review, who: str
) -> None:
    r = review
    await login(console, r.tokens[who])
    page = await console.get(f"/initiatives/{r.initiative_id}")
    assert page.status_code == 200 and r.number in page.text
    if who == "eval_1":
        assert 'id="score-form"' in page.text  # the blind scoring form itself
    assert 'id="similar"' in page.text
    listing = await console.get("/initiatives")
    assert listing.status_code == 200 and r.number in listing.text
    for html in (page.text, listing.text):
        assert_blind(html)


async def test_notifications_to_evaluators_hide_identity(review: Review) -> None:
    r = review
    async with unit_of_work(r.ctx.sessionmaker) as s:
        sent = await assignment.send_due_reminders(
            s, settings=r.ctx.settings, now=utcnow() + timedelta(days=60)
        )
        assert sent == 1  # eval_1 is overdue; eval_2 has scored
        rows = list(
            await s.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.user_id.in_([r.world.eval_1, r.world.eval_2])
                )
            )
        )
    texts = [m.text for m in rows]
    assert sum("phân công chấm" in t for t in texts) == 2 and any("quá hạn" in t for t in texts)
    for text in texts:
        assert r.number in text
        assert_blind(text)


async def test_admins_see_everything_and_authors_their_own(
    client: httpx.AsyncClient, console: httpx.AsyncClient, review: Review
) -> None:
    r = review
    for who in ("admin", "cadre_a"):
        body = (await client.get(f"{API}/{r.initiative_id}", headers=r.auth(who))).json()
        assert body["identity_hidden"] is False and body["unit_name"] == "UBND xã An Phú"
        assert body["author_id"] == r.world.cadre_a
        assert {a["full_name"] for a in body["authors"]} == {"Nguyễn Văn An", "Trần Thị Bích"}
    export = await client.get(f"{API}/export", params={"format": "csv"}, headers=r.auth("admin"))
    row = next(
        row for row in csv.reader(io.StringIO(csv_text(export.content))) if row[0] == r.number
    )
    assert row[2:5] == ["Nguyễn Văn An", "Trần Thị Bích", "UBND xã An Phú"]
    await login(console, r.tokens["admin"])
    page = (await console.get(f"/initiatives/{r.initiative_id}")).text
    assert "Nguyễn Văn An" in page and "UBND xã An Phú" in page and "Bình Minh" in page


async def test_free_text_naming_the_authors_or_unit_is_redacted_for_evaluators(
    ctx: AppContext, client: httpx.AsyncClient, console: httpx.AsyncClient
) -> None:
    """An author may name themselves or their unit in the text; evaluators read "[đã ẩn]"
    there on the API, the console page and the exports (issue 10 leftover)."""
    w = await build_world(ctx.sessionmaker)
    fields = {
        **SAMPLE,
        "title": "Sáng kiến của ubnd xa an phu về mã QR",
        "problem": "Tôi, NGUYỄN VĂN AN, cùng chị Trần Thị  Bích ở xã An Phú thấy tra cứu chậm.",
        "results": "Được UBND xã An Phú khen; an ninh trật tự giữ vững.",
    }
    async with unit_of_work(ctx.sessionmaker) as s:
        mine = await _under_review(s, ctx, w, fields)
        tokens = {who: await issue_token(s, user_id=getattr(w, who)) for who in ("eval_1", "admin")}

    def folded(text: str) -> str:
        from core.text import fold

        return fold(text)

    as_eval = {"Authorization": f"Bearer {tokens['eval_1']}"}
    body = (await client.get(f"{API}/{mine.id}", headers=as_eval)).json()
    assert body["title"] == "Sáng kiến của [đã ẩn] về mã QR"
    assert body["problem"] == "Tôi, [đã ẩn], cùng chị [đã ẩn] ở [đã ẩn] thấy tra cứu chậm."
    assert body["results"] == "Được [đã ẩn] khen; an ninh trật tự giữ vững."
    export = await client.get(f"{API}/export", params={"format": "csv"}, headers=as_eval)
    await login(console, tokens["eval_1"])
    page = (await console.get(f"/initiatives/{mine.id}")).text
    for text in (str(body), csv_text(export.content), page):
        for name in ("nguyen van an", "tran thi bich", "an phu"):
            assert name not in folded(text), name
    assert "[đã ẩn]" in page
    # Admins read the text as written.
    as_admin = {"Authorization": f"Bearer {tokens['admin']}"}
    original = (await client.get(f"{API}/{mine.id}", headers=as_admin)).json()
    assert original["problem"] == fields["problem"]
