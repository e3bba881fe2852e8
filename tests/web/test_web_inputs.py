"""The console refuses control characters, over-long texts and ids past the integer range
with a Vietnamese HTML page, and writes nothing."""

from __future__ import annotations

import httpx

from core.cases import service as cases
from core.cases.schemas import CaseCreate
from core.context import AppContext
from core.db import unit_of_work
from core.users import service as users
from tests.web.conftest import World, login


async def test_console_forms_refuse_hostile_text(
    client: httpx.AsyncClient, people: World, ctx: AppContext
) -> None:
    cadre = people.people["cadre"]
    async with unit_of_work(ctx.sessionmaker) as session:
        asker = await users.require_user(session, user_id=cadre.id)
        case = await cases.create_case(
            session, actor=asker, data=CaseCreate(question="Xin hỏi về hộ tịch?"),
            settings=ctx.settings,
        )  # fmt: skip
    token = await login(client, people.people["admin"].token)
    nul = await client.post(
        f"/cases/{case.id}/answer", data={"csrf_token": token, "text": "Trả lời \x00 ngay"}
    )
    assert nul.status_code == 422 and "text/html" in nul.headers["content-type"]
    assert "ký tự điều khiển" in nul.text
    long = "x" * (ctx.settings.max_answer_chars + 1)
    too_long = await client.post(
        f"/cases/{case.id}/answer", data={"csrf_token": token, "text": long}
    )
    assert too_long.status_code == 422 and "vượt giới hạn" in too_long.text
    unit = await client.post(
        "/admin/units", data={"csrf_token": token, "name": "UBND\x00 xã Mới", "kind": "commune"}
    )
    assert unit.status_code == 422 and "ký tự điều khiển" in unit.text
    asked = await client.post("/try", data={"csrf_token": token, "question": "nghỉ\x00 phép"})
    assert asked.status_code == 422
    for url in ("/kb?q=%00", "/initiatives?q=%00", "/cases/2147483648", "/kb/9223372036854775808"):
        page = await client.get(url)
        assert page.status_code in (404, 422), (url, page.status_code)
        assert "text/html" in page.headers["content-type"]
    async with unit_of_work(ctx.sessionmaker) as session:
        same = await cases.get_case(session, actor=asker, case_id=case.id)
        assert same.answer is None
        assert not [u for u in await users.list_units(session) if "Mới" in u.name]
