"""The console over plain HTTP: session cookies, CSRF, role rules, redirects, headers."""

from __future__ import annotations

import httpx
import pytest

from api.web.common import LOGIN_ATTEMPTS_PER_MINUTE
from core.context import AppContext
from core.db import unit_of_work
from core.users import service as users
from core.users.enums import Role
from tests.factories import make_person
from tests.web.conftest import World, csrf, login


async def test_session_cookie_is_httponly_samesite_signed_and_server_side(
    client: httpx.AsyncClient, people: World
) -> None:
    page = await client.get("/login")
    response = await client.post(
        "/login/token",
        data={"csrf_token": csrf(page.text), "token": people.people["admin"].token},
    )
    cookie = response.headers["set-cookie"]
    assert "troly_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http here; https requests get Secure
    value = client.cookies["troly_session"]
    raw, _, mac = value.rpartition(".")
    assert len(raw) >= 40 and len(mac) == 64
    assert (await client.get("/")).status_code == 200
    # A forged signature is ignored: back to the login page.
    client.cookies.set("troly_session", raw + "." + "0" * 64)
    assert (await client.get("/")).headers["location"].startswith("/login")
    # Logging out revokes the row on the server: the old cookie no longer works.
    client.cookies.set("troly_session", value)
    token = csrf((await client.get("/try")).text)
    assert (await client.post("/logout", data={"csrf_token": token})).status_code == 303
    client.cookies.set("troly_session", value)
    assert (await client.get("/")).status_code == 303


async def test_every_post_needs_the_session_csrf_token(
    client: httpx.AsyncClient, people: World
) -> None:
    # Login forms: a token bound to the pre-login cookie.
    page = await client.get("/login")
    data = {"token": people.people["admin"].token}
    assert (await client.post("/login/token", data=data)).status_code == 403
    bad = await client.post("/login/token", data={**data, "csrf_token": "x" * 64})
    assert bad.status_code == 403 and "CSRF" in bad.text
    assert (
        await client.post("/login/token", data={**data, "csrf_token": csrf(page.text)})
    ).status_code == 303

    token = csrf((await client.get("/try")).text)
    ask = {"question": "nghỉ phép năm"}
    assert (await client.post("/try", data=ask)).status_code == 403
    assert (await client.post("/try", data={**ask, "csrf_token": "wrong"})).status_code == 403
    assert (await client.post("/try", data={**ask, "csrf_token": token})).status_code == 200
    # htmx sends the token as a header.
    sent = await client.post(
        "/try", data=ask, headers={"X-CSRF-Token": token, "HX-Request": "true"}
    )
    assert sent.status_code == 200 and 'id="answer-card"' in sent.text
    assert (await client.post("/kb/reindex")).status_code == 403
    assert (await client.post("/logout")).status_code == 403

    # Another person's CSRF token does not work in this session.
    async with httpx.AsyncClient(
        transport=client._transport, base_url="http://console.test"
    ) as other:
        other_token = await login(other, people.people["supervisor"].token)
    assert other_token != token
    assert (await client.post("/try", data={**ask, "csrf_token": other_token})).status_code == 403


PAGES = {
    "/try": {"cadre", "supervisor", "evaluator", "admin"},
    "/queue": {"supervisor", "admin"},
    "/analytics": {"supervisor", "admin"},
    "/analytics.csv": {"supervisor", "admin"},
    "/initiatives": {"evaluator", "admin"},
    "/initiatives/export.csv": {"evaluator", "admin"},
    "/initiatives/export.xlsx": {"evaluator", "admin"},
    "/kb": {"cadre", "supervisor", "evaluator", "admin"},  # reading, as in the API
    "/kb/reindex/progress": {"admin"},
    "/precedents": {"supervisor", "admin"},  # supervisors: their own proposals
    "/admin/units": {"admin"},
    "/admin/rubric": {"admin"},
    "/admin/audit": {"admin"},
}


@pytest.mark.parametrize("role", ["cadre", "supervisor", "evaluator", "admin"])
async def test_pages_follow_the_api_role_rules(
    client: httpx.AsyncClient, people: World, role: str
) -> None:
    token = await login(client, people.people[role].token)
    for path, allowed in PAGES.items():
        response = await client.get(path)
        expected = 200 if role in allowed else 403
        assert response.status_code == expected, (role, path, response.status_code)
        if expected == 403:
            assert "Thao tác này chỉ dành cho" in response.text
    if role != "admin":
        assert 'id="upload-file"' not in (await client.get("/kb")).text
        for path in ("/kb/reindex", "/admin/units", "/admin/rubric", "/precedents/1/approve"):
            form = {"csrf_token": token, "name": "Xã Mới", "kind": "commune"}
            response = await client.post(path, data=form)
            assert response.status_code == 403, (role, path)


async def test_unauthenticated_requests_go_to_login_and_next_is_same_site_only(
    client: httpx.AsyncClient, people: World
) -> None:
    for path in ("/", "/kb", "/queue", "/admin/audit"):
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == f"/login?next={path}"
    htmx = await client.get("/queue?partial=1", headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"].startswith("/login")
    page = await client.get("/login")
    response = await client.post(
        "/login/token",
        data={
            "csrf_token": csrf(page.text),
            "token": people.people["admin"].token,
            "next": "//evil.example/steal",
        },
    )
    assert response.headers["location"] == "/"


async def test_security_headers_and_static_files(client: httpx.AsyncClient) -> None:
    page = await client.get("/login")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    htmx = await client.get("/static/htmx.min.js")
    assert htmx.status_code == 200 and len(htmx.content) > 40_000


async def test_supervisor_sees_only_their_units_cases(
    client: httpx.AsyncClient, people: World, ctx: AppContext
) -> None:
    from core.cases import service as cases
    from core.cases.schemas import CaseCreate

    async with unit_of_work(ctx.sessionmaker) as session:
        cadre = await users.require_user(session, user_id=people.people["cadre"].id)
        case = await cases.create_case(
            session,
            actor=cadre,
            data=CaseCreate(question="Xin hướng dẫn thủ tục đăng ký tạm trú cho người thuê trọ"),
            settings=ctx.settings,
        )
        outsider = await make_person(
            session,
            role=Role.SUPERVISOR,
            unit_id=people.province_id,
            name="Đỗ Phụ Trách Khác",
            supervises=[people.province_id],
            token=True,
        )
    token = await login(client, outsider.token)
    assert (await client.get(f"/cases/{case.id}")).status_code == 404
    claim = await client.post(f"/cases/{case.id}/claim", data={"csrf_token": token})
    assert claim.status_code == 404
    assert case.number not in (await client.get("/queue")).text


async def test_code_request_does_not_reveal_whether_an_account_exists(
    client: httpx.AsyncClient, people: World
) -> None:
    answers = []
    for telegram_id in (people.people["cadre"].telegram_id, 123456789):
        page = await client.get("/login")
        response = await client.post(
            "/login/code/request",
            data={"csrf_token": csrf(page.text), "telegram_id": str(telegram_id)},
        )
        answers.append((response.status_code, 'id="code-sent"' in response.text))
    assert answers == [(200, True), (200, True)]
    page = await client.get("/login")
    wrong = await client.post(
        "/login/code", data={"csrf_token": csrf(page.text), "code": "ABCD-EFGH"}
    )
    assert wrong.status_code == 401 and "không đúng" in wrong.text


async def test_sign_in_attempts_are_rate_limited_per_client(
    client: httpx.AsyncClient, people: World
) -> None:
    page = await client.get("/login")
    token = csrf(page.text)
    statuses = []
    for _ in range(LOGIN_ATTEMPTS_PER_MINUTE + 1):
        response = await client.post("/login/code", data={"csrf_token": token, "code": "ZZZZ-ZZZZ"})
        statuses.append(response.status_code)
    assert statuses[:-1] == [401] * LOGIN_ATTEMPTS_PER_MINUTE
    assert statuses[-1] == 429
    assert "quá nhanh" in response.text
