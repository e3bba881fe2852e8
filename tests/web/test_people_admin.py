"""People admin on the console (issue 11 #10): accounts without Telegram signed in with a
one-time code shown once, revoking invitations, renaming units, searching users by name with or
without diacritics; admins only, every change audited."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from core.audit.models import AuditEntry
from core.context import AppContext
from core.db import unit_of_work
from core.errors import DomainError
from core.users import invites
from core.users import service as users
from core.users.enums import Role
from core.users.models import Unit, User
from core.web import accounts
from tests.web.conftest import World, csrf, login

CODE_RE = re.compile(r'id="signin-code">([A-Z0-9]{4}-[A-Z0-9]{4})<')


async def _sign_in_with_code(client: httpx.AsyncClient, code: str) -> httpx.Response:
    page = await client.get("/login", params={"code": code})
    assert f'value="{code.replace("-", "")}"' in page.text  # the link pre-fills the code
    return await client.post(
        "/login/code", data={"csrf_token": csrf(page.text), "code": code, "next": "/queue"}
    )


async def _audit(ctx: AppContext, action: str) -> list[AuditEntry]:
    async with unit_of_work(ctx.sessionmaker) as s:
        return list(await s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


async def test_admin_creates_a_console_account_signed_in_with_a_code_shown_once(
    client: httpx.AsyncClient, people: World, ctx: AppContext
) -> None:
    token = await login(client, people.people["admin"].token)
    created = await client.post(
        "/admin/accounts",
        data={
            "csrf_token": token,
            "full_name": "Đỗ Thị  Mới",
            "role": "supervisor",
            "unit_id": str(people.commune_id),
            "supervised": [str(people.commune_id)],
        },
    )
    assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
    match = CODE_RE.search(created.text)
    assert match, created.text[:2000]
    code = match.group(1)
    assert f"/login?code={code}" in created.text and "Đỗ Thị Mới" in created.text
    again = (await client.get("/admin/units")).text
    assert code not in again and 'id="handed-code"' not in again  # shown once

    async with unit_of_work(ctx.sessionmaker) as s:
        person = await s.scalar(select(User).where(User.full_name == "Đỗ Thị Mới"))
        assert person is not None and person.telegram_id is None
        assert person.role == Role.SUPERVISOR
        assert [u.id for u in person.supervised_units] == [people.commune_id]

    transport = httpx.ASGITransport(app=client._transport.app)  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as fresh:
        signed = await _sign_in_with_code(fresh, code)
        assert signed.status_code == 303 and signed.headers["location"] == "/queue"
        assert (await fresh.get("/queue")).status_code == 200
    async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as other:
        reused = await _sign_in_with_code(other, code)
        assert reused.status_code == 401  # single use

    entries = await _audit(ctx, "user.signin_code")
    assert [e.actor_id for e in entries] == [people.people["admin"].id]
    assert code not in str(entries[0].data) and code.replace("-", "") not in str(entries[0].data)
    assert [e.entity_id for e in await _audit(ctx, "user.create")][-1] == str(person.id)

    # A new code replaces the old one (the person lost it, or their session ended).
    reissued = await client.post(
        f"/admin/users/{person.id}/signin-code", data={"csrf_token": token}
    )
    second = CODE_RE.search(reissued.text)
    assert second and second.group(1) != code


async def test_only_admins_manage_people(
    client: httpx.AsyncClient, people: World, ctx: AppContext
) -> None:
    token = await login(client, people.people["supervisor"].token)
    for path, data in (
        ("/admin/accounts", {"full_name": "Ai Đó", "role": "admin", "unit_id": "1"}),
        (f"/admin/users/{people.people['cadre'].id}/signin-code", {}),
        ("/admin/invites/1/revoke", {}),
        ("/admin/invites", {"role": "admin", "unit_id": str(people.commune_id)}),
        ("/admin/units", {"name": "Xã Mới Lập", "kind": "commune"}),
        (f"/admin/units/{people.commune_id}", {"name": "Xã Đổi Tên"}),
    ):
        response = await client.post(path, data={"csrf_token": token, **data})
        assert response.status_code == 403, path
    async with unit_of_work(ctx.sessionmaker) as s:
        supervisor = await users.require_user(s, user_id=people.people["supervisor"].id)
        with pytest.raises(DomainError):
            await accounts.hand_code(
                s, settings=ctx.settings, actor=supervisor, user_id=people.people["cadre"].id
            )


async def test_revoke_invitation_rename_unit_and_search_people(
    client: httpx.AsyncClient, people: World, ctx: AppContext
) -> None:
    token = await login(client, people.people["admin"].token)
    async with unit_of_work(ctx.sessionmaker) as s:
        invite = await invites.create_invite(
            s, role=Role.CADRE, unit_id=people.commune_id, actor=None, uses=5
        )
    page = (await client.get("/admin/units")).text
    assert f'action="/admin/invites/{invite.id}/revoke"' in page
    revoked = await client.post(f"/admin/invites/{invite.id}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 303
    async with unit_of_work(ctx.sessionmaker) as s:
        with pytest.raises(DomainError):
            await invites.check_invite(s, code=invite.code)
    assert len(await _audit(ctx, "invite.revoke")) == 1
    assert invite.code not in (await client.get("/admin/units")).text

    renamed = await client.post(
        f"/admin/units/{people.commune_id}",
        data={"csrf_token": token, "name": "UBND xã Hòa Bình Mới", "escalates_to_id": ""},
    )
    assert renamed.status_code == 303
    async with unit_of_work(ctx.sessionmaker) as s:
        unit = await s.get(Unit, people.commune_id)
        assert unit is not None and unit.name == "UBND xã Hòa Bình Mới"
    clash = await client.post(
        f"/admin/units/{people.commune_id}",
        data={"csrf_token": token, "name": "Tỉnh Thử Nghiệm"},
    )
    assert clash.status_code == 409 and "đã tồn tại" in clash.text

    for typed in ("le phu trach", "LÊ PHỤ", "phu"):
        found = (await client.get("/admin/units", params={"q": typed})).text
        assert "Lê Phụ Trách" in found and "Trần Cán Bộ" not in found, typed
    none = (await client.get("/admin/units", params={"q": "không ai"})).text
    assert 'id="users-empty"' in none
