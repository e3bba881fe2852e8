"""While writing the legal basis of an answer, a supervisor finds knowledge-base citations by a
few words and inserts them into the field (issue 11 #11)."""

from __future__ import annotations

import html

import httpx

from core.cases import service as cases
from core.cases.schemas import CaseCreate
from core.context import AppContext
from core.db import unit_of_work
from core.users import service as users
from knowledge import service as kb
from knowledge.importers import parse_file
from tests.web.conftest import World, login

LAW = """# Quy chế thử về hộ tịch

Điều 1. Đăng ký khai sinh
1. Cha hoặc mẹ đăng ký khai sinh cho con tại Ủy ban nhân dân xã nơi cư trú.
2. Thời hạn đăng ký khai sinh là 60 ngày kể từ ngày sinh.

Điều 2. Đăng ký kết hôn
Hai bên nam nữ cùng có mặt khi đăng ký kết hôn.
"""


async def _case(ctx: AppContext, people: World) -> int:
    async with unit_of_work(ctx.sessionmaker) as s:
        await kb.import_parsed(s, parse_file(LAW.encode(), "ho-tich.md"))
        cadre = await users.require_user(s, user_id=people.people["cadre"].id)
        case = await cases.create_case(
            s,
            actor=cadre,
            data=CaseCreate(question="Cháu bé sinh đã 70 ngày, còn đăng ký khai sinh được không?"),
            settings=ctx.settings,
        )
    await ctx.retriever.sync()
    return case.id


async def test_citation_search_finds_and_inserts_a_clause(
    client: httpx.AsyncClient, people: World, ctx: AppContext
) -> None:
    case_id = await _case(ctx, people)
    await login(client, people.people["supervisor"].token)
    page = (await client.get(f"/cases/{case_id}")).text
    assert f'hx-get="/cases/{case_id}/citations"' in page and 'id="legal-basis-input"' in page

    found = await client.get(f"/cases/{case_id}/citations", params={"cq": "thoi han khai sinh"})
    assert found.status_code == 200
    text = html.unescape(found.text)
    assert "Quy chế thử về hộ tịch, Điều 1, khoản 2" in text, text
    assert 'class="secondary insert-citation"' in found.text
    nothing = await client.get(f"/cases/{case_id}/citations", params={"cq": "zzzz qqqq"})
    assert 'id="citation-none"' in nothing.text

    inserted = await client.get(
        f"/cases/{case_id}/citations/insert",
        params={"citation": "Quy chế thử về hộ tịch, Điều 1, khoản 2", "legal_basis": "Điều 3"},
    )
    assert 'value="Điều 3; Quy chế thử về hộ tịch, Điều 1, khoản 2"' in html.unescape(inserted.text)
    twice = await client.get(
        f"/cases/{case_id}/citations/insert",
        params={"citation": "Điều 3", "legal_basis": "Điều 3"},
    )
    assert 'value="Điều 3"' in twice.text  # not added twice


async def test_citation_search_follows_the_case_page_access(
    client: httpx.AsyncClient, people: World, ctx: AppContext
) -> None:
    case_id = await _case(ctx, people)
    await login(client, people.people["cadre"].token)
    response = await client.get(f"/cases/{case_id}/citations", params={"cq": "khai sinh"})
    assert response.status_code == 403
