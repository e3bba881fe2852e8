"""Console: drill pages over HTTP. A supervisor edits a proposed draft (3–4 options or none)
and publishes it; a cadre it was sent to reads it (with the approved answer) from their record
but cannot open the list, the editor or the weak-topic view; an evaluator cannot see it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from core.cases import precedents
from core.cases import service as cases
from core.cases.calendar import calendar_for
from core.cases.schemas import CaseAnswer, CaseCreate, PrecedentApprove, PrecedentPropose
from core.context import AppContext
from core.db import unit_of_work
from core.drills import service as drills
from core.drills.models import Drill, DrillDelivery
from core.drills.scheduled import sweep_drills
from core.drills.schemas import DrillAnswer
from core.users import service as users
from tests.web.conftest import World, csrf, login

POSITION = "Công chức Văn phòng - Thống kê"
ANSWER = "Hướng dẫn công dân về nơi cư trú hiện tại để được xác nhận."


async def _draft(ctx: AppContext, people: World) -> int:
    async with unit_of_work(ctx.sessionmaker) as s:
        cadre = await users.require_user(s, user_id=people.people["cadre"].id)
        supervisor = await users.require_user(s, user_id=people.people["supervisor"].id)
        admin = await users.require_user(s, user_id=people.people["admin"].id)
        case = await cases.create_case(
            s, actor=cadre, settings=ctx.settings,
            data=CaseCreate(question="Xác nhận lý lịch cho người đã chuyển khẩu đi nơi khác?"),
        )  # fmt: skip
        await cases.answer(
            s, actor=supervisor, case_id=case.id,
            data=CaseAnswer(text=ANSWER, legal_basis="Luật Cư trú 2020, Điều 11"),
        )  # fmt: skip
        proposal = await precedents.propose(
            s, actor=supervisor, case_id=case.id, data=PrecedentPropose()
        )
        await precedents.approve(
            s, actor=admin, proposal_id=proposal.id, data=PrecedentApprove(scope="unit")
        )
        drill = await s.scalar(select(Drill).where(Drill.precedent_id == proposal.id))
        assert drill is not None
        return drill.id


async def test_edit_publish_and_who_sees_a_drill(
    client: httpx.AsyncClient, ctx: AppContext, people: World
) -> None:
    drill_id = await _draft(ctx, people)
    token = await login(client, people.people["supervisor"].token)
    listed = await client.get("/drills")
    assert listed.status_code == 200 and f'id="drill-{drill_id}"' in listed.text
    form = {
        "csrf_token": token, "title": "Xác nhận lý lịch khi đã chuyển khẩu",
        "situation": "Công dân đã chuyển khẩu đi nơi khác xin xác nhận lý lịch. Xử lý?",
        "answer": ANSWER, "citation": "Luật Cư trú 2020, Điều 11", "positions": POSITION,
    }  # fmt: skip
    two = await client.post(
        f"/drills/{drill_id}", data={**form, "option": ["Từ chối", "Hướng dẫn"], "correct": "1"}
    )
    assert two.status_code == 422 and "Cần 3–4 phương án" in two.text
    saved = await client.post(
        f"/drills/{drill_id}",
        data={**form, "option": ["Từ chối", "Hướng dẫn nơi cư trú", "Xác nhận luôn", ""],
              "correct": "1"},
    )  # fmt: skip
    assert saved.status_code == 303
    published = await client.post(f"/drills/{drill_id}/publish", data={"csrf_token": token})
    assert published.status_code == 303
    page = await client.get(f"/drills/{drill_id}")
    assert "Đã xuất bản" in page.text and 'value="Hướng dẫn nơi cư trú"' in page.text

    calendar = calendar_for(ctx.settings)
    day = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).replace(hour=10, minute=0) + timedelta(1)
    while not calendar.is_working_day(day.date()):
        day += timedelta(days=1)
    assert (await sweep_drills(ctx.sessionmaker, ctx.settings, day.astimezone(UTC))).delivered
    async with unit_of_work(ctx.sessionmaker) as s:
        cadre = await users.require_user(s, user_id=people.people["cadre"].id)
        delivery = await s.scalar(select(DrillDelivery).where(DrillDelivery.user_id == cadre.id))
        assert delivery is not None
        await drills.answer(s, actor=cadre, delivery_id=delivery.id, data=DrillAnswer(choice=1))

    await client.post("/logout", data={"csrf_token": csrf(page.text)})
    token = await login(client, people.people["cadre"].token)
    assert (await client.get("/drills")).status_code == 403
    assert (await client.get("/drills/weak")).status_code == 403
    record = await client.get(f"/record/{people.people['cadre'].id}")
    assert f'href="/drills/{drill_id}"' in record.text
    mine = await client.get(f"/drills/{drill_id}")
    assert mine.status_code == 200 and ANSWER in mine.text and 'id="drill-form"' not in mine.text
    refused = await client.post(f"/drills/{drill_id}/publish", data={"csrf_token": token})
    assert refused.status_code == 403

    await client.post("/logout", data={"csrf_token": token})
    await login(client, people.people["evaluator"].token)
    assert (await client.get(f"/drills/{drill_id}")).status_code == 404
