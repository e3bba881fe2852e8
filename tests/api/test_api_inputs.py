"""Hostile input never reaches the database: control characters, over-long texts, ids past the
integer range and dates without a zone or out of range answer 422 (or 404), never 500."""

from __future__ import annotations

import httpx
import pytest
from apikit import World, assert_error
from apistate import answered_case, new_case

from core.context import AppContext

BIG_IDS = ["2147483648", "9223372036854775808", "0", "-1"]


async def test_control_characters_are_refused_everywhere(
    client: httpx.AsyncClient, world: World
) -> None:
    cadre, admin = world.auth("cadre"), world.auth("admin")
    nul_case = await client.post(
        "/api/v1/cases", json={"question": "Xin hỏi về \u0000 hộ tịch"}, headers=cadre
    )
    message = str(assert_error(nul_case, 422, "invalid")["message"])
    assert "question" in message and "ký tự điều khiển" in message
    bell_topic = {"question": "Xin hỏi về hộ tịch", "topic": "hộ\x07tịch"}
    assert_error(await client.post("/api/v1/cases", json=bell_topic, headers=cadre), 422)
    unit = {"name": "UBND xã\u0000 Mới", "kind": "commune"}
    assert_error(await client.post("/api/v1/units", json=unit, headers=admin), 422)
    search = {"query": "nghỉ phép\u0000 năm"}
    assert_error(await client.post("/api/v1/search", json=search, headers=cadre), 422)
    for url in (
        "/api/v1/initiatives?q=a%00b",
        "/api/v1/cases?topic=%00",
        "/api/v1/knowledge/documents?search=%00",
    ):
        assert_error(await client.get(url, headers=admin), 422)
    # Nothing half-written: the refused case and unit do not exist.
    listed = await client.get("/api/v1/cases", headers=admin)
    assert listed.json()["total"] == 0
    names = [u["name"] for u in (await client.get("/api/v1/units", headers=admin)).json()]
    assert not any("Mới" in n for n in names)


async def test_multiline_text_keeps_newlines_and_folds_crlf(
    client: httpx.AsyncClient, world: World
) -> None:
    r = await client.post(
        "/api/v1/cases",
        json={"question": "Dòng một\r\nDòng hai\tcột"},
        headers=world.auth("cadre"),
    )
    assert r.status_code == 201, r.text
    assert r.json()["question"] == "Dòng một\nDòng hai\tcột"


async def test_one_text_limit_and_one_answer_limit(
    client: httpx.AsyncClient, ctx: AppContext, world: World
) -> None:
    limit = ctx.settings.max_text_chars
    too_long = {"question": "Hỏi " + "x" * limit}
    error = assert_error(
        await client.post("/api/v1/cases", json=too_long, headers=world.auth("cadre")), 422
    )
    assert f"vượt giới hạn {limit} ký tự" in str(error["message"])
    search = {"query": "y" * (limit + 1)}
    assert_error(await client.post("/api/v1/search", json=search, headers=world.auth("cadre")), 422)
    case_id = await new_case(ctx, world)
    answer = {"text": "z" * (ctx.settings.max_answer_chars + 1)}
    assert_error(
        await client.post(
            f"/api/v1/cases/{case_id}/answer", json=answer, headers=world.auth("supervisor")
        ),
        422,
    )


@pytest.mark.parametrize("big", BIG_IDS)
async def test_ids_out_of_range_are_not_server_errors(
    client: httpx.AsyncClient, world: World, big: str
) -> None:
    admin = world.auth("admin")
    for url in (
        f"/api/v1/cases/{big}",
        f"/api/v1/units/{big}",
        f"/api/v1/initiatives/{big}",
        f"/api/v1/cases?asker_id={big}",
        f"/api/v1/knowledge/documents/1/chunks?version_id={big}",
    ):
        r = await client.get(url, headers=admin)
        assert r.status_code in (404, 422), (url, r.status_code, r.text)
    forward = await client.post(
        "/api/v1/cases/1/forward", json={"to_user_id": int(big)}, headers=admin
    )
    assert forward.status_code in (404, 422), forward.text
    invite = {"role": "cadre", "unit_id": int(big)}
    r = await client.post("/api/v1/invites", json=invite, headers=admin)
    assert r.status_code in (404, 422), r.text


async def test_naive_and_out_of_range_dates(
    client: httpx.AsyncClient, ctx: AppContext, world: World
) -> None:
    await new_case(ctx, world)
    admin = world.auth("admin")
    for url in (
        "/api/v1/cases?created_from=2026-01-01",
        "/api/v1/cases?created_from=2020-01-01T08:00:00&created_to=2100-01-01T00:00:00",
        "/api/v1/stats/questions?since=2026-01-01T00:00:00&until=2026-02-01",
        "/api/v1/stats/cases?since=2026-01-01",
    ):
        r = await client.get(url, headers=admin)
        assert r.status_code == 200, (url, r.text)
    # A naive date is read in the configured timezone (Asia/Ho_Chi_Minh, UTC+7).
    listed = await client.get("/api/v1/cases?created_from=2020-01-01", headers=admin)
    assert listed.json()["total"] == 1
    for url in (
        "/api/v1/cases?created_from=0001-01-01",
        "/api/v1/cases?created_to=9999-12-31T23:59:59",
        "/api/v1/stats/questions?since=1900-01-01T00:00:00Z",
    ):
        error = assert_error(await client.get(url, headers=admin), 422)
        assert "năm phải trong khoảng" in str(error["message"])


async def test_precedent_expiry_in_year_one_is_refused(
    client: httpx.AsyncClient, ctx: AppContext, world: World
) -> None:
    case_id = await answered_case(ctx, world)
    proposed = await client.post(
        f"/api/v1/cases/{case_id}/propose-precedent", json={}, headers=world.auth("supervisor")
    )
    assert proposed.status_code == 201, proposed.text
    approve = await client.post(
        f"/api/v1/precedents/{proposed.json()['id']}/approve",
        json={"expires_on": "0001-01-01"},
        headers=world.auth("admin"),
    )
    assert_error(approve, 422)
