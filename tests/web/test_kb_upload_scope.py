"""Upload scope (issue 10, defect 9): a commune's own regulation uploaded through the console
with unit scope answers that commune's cadres only; its scope, unit, issuer, number, dates and
positions are set on the preview and can be edited later (console form and API PATCH), and
search follows the edit at once."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select

from core.audit.models import AuditEntry
from core.context import AppContext
from core.db import unit_of_work
from core.users.enums import Role
from knowledge.models import Document
from tests.factories import make_ladder, make_person
from tests.web.conftest import csrf, login

QUY_CHE = """# Quy chế làm việc của UBND xã An Bình

Điều 1. Trực ban ngày lễ
Công chức trực ban ngày lễ tại trụ sở UBND xã An Bình từ 7 giờ đến 17 giờ, ghi sổ trực ban
và báo cáo Chủ tịch UBND xã những việc phát sinh.
"""
QUESTION = "trực ban ngày lễ ghi sổ trực ban"


@dataclass
class Place:
    an_binh: int
    hoa_lac: int
    tokens: dict[str, str]


@pytest.fixture
async def place(ctx: AppContext) -> Place:
    async with unit_of_work(ctx.sessionmaker) as s:
        ladder = await make_ladder(
            s, province="Tỉnh Mẫu", communes=[("Xã An Bình", []), ("Phường Hòa Lạc", [])]
        )
        an_binh, hoa_lac = ladder.commune_ids
        people = {
            "admin": await make_person(
                s, role=Role.ADMIN, unit_id=ladder.province_id, name="Quản Trị", token=True
            ),
            "an_binh": await make_person(
                s, role=Role.CADRE, unit_id=an_binh, name="Cán Bộ An Bình", token=True
            ),
            "hoa_lac": await make_person(
                s, role=Role.CADRE, unit_id=hoa_lac, name="Cán Bộ Hòa Lạc", token=True
            ),
        }
    return Place(an_binh, hoa_lac, {k: str(p.token) for k, p in people.items()})


async def found_by(client: httpx.AsyncClient, token: str, document_id: int) -> bool:
    """Whether a cadre's search returns a passage of the document."""
    response = await client.post(
        "/api/v1/search",
        json={"query": QUESTION, "k": 5},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return any(hit["document_id"] == document_id for hit in response.json()["hits"])


async def test_console_upload_scope_and_later_edits_drive_search(
    client: httpx.AsyncClient, ctx: AppContext, place: Place
) -> None:
    token = await login(client, place.tokens["admin"], "/kb")
    preview = await client.post(
        "/kb/upload",
        data={"csrf_token": token},
        files={"file": ("quy-che-an-binh.md", QUY_CHE.encode(), "text/markdown")},
    )
    assert preview.status_code == 200, preview.text
    assert 'name="scope"' in preview.text and 'name="scope_unit_id"' in preview.text
    staged = preview.text.split('name="staged" value="')[1].split('"')[0]
    imported = await client.post(
        "/kb/import",
        data={
            "csrf_token": csrf(preview.text), "staged": staged, "filename": "quy-che-an-binh.md",
            "scope": "unit", "scope_unit_id": str(place.an_binh), "issuer": "UBND xã An Bình",
            "number": "12/QC-UBND", "issued_on": "2026-01-05", "effective_from": "2026-01-15",
            "positions": "",
        },
    )  # fmt: skip
    assert imported.status_code == 303, imported.text
    document_id = int(imported.headers["location"].split("/kb/")[1].split("?")[0])
    async with unit_of_work(ctx.sessionmaker) as s:
        doc = await s.get(Document, document_id)
        assert doc is not None
        assert (doc.scope, doc.scope_unit_id) == ("unit", place.an_binh)
        assert (doc.issuer, doc.number, str(doc.effective_from)) == (
            "UBND xã An Bình", "12/QC-UBND", "2026-01-15",
        )  # fmt: skip

    assert await found_by(client, place.tokens["an_binh"], document_id)
    assert not await found_by(client, place.tokens["hoa_lac"], document_id)

    # Edited on the document page: nationwide now, so Hòa Lạc finds it too.
    page = await client.get(f"/kb/{document_id}")
    assert 'id="meta-form"' in page.text
    edited = await client.post(
        f"/kb/{document_id}/meta",
        data={
            "csrf_token": csrf(page.text), "scope": "national", "scope_unit_id": "",
            "issuer": "UBND xã An Bình", "number": "12/QC-UBND", "issued_on": "2026-01-05",
            "effective_from": "2026-01-15", "expires_on": "", "positions": "",
        },
    )  # fmt: skip
    assert edited.status_code == 303, edited.text
    assert await found_by(client, place.tokens["hoa_lac"], document_id)

    # Edited over the API: only Hòa Lạc's now.
    patched = await client.patch(
        f"/api/v1/knowledge/documents/{document_id}",
        json={"scope": "unit", "scope_unit_id": place.hoa_lac, "expires_on": "2030-01-01"},
        headers={"Authorization": f"Bearer {place.tokens['admin']}"},
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["scope"], body["scope_unit_id"], body["expires_on"]) == (
        "unit", place.hoa_lac, "2030-01-01",
    )  # fmt: skip
    assert body["issuer"] == "UBND xã An Bình"  # fields not sent are kept
    assert await found_by(client, place.tokens["hoa_lac"], document_id)
    assert not await found_by(client, place.tokens["an_binh"], document_id)

    async with unit_of_work(ctx.sessionmaker) as s:
        actions = list(
            await s.scalars(
                select(AuditEntry.action).where(
                    AuditEntry.entity == "document", AuditEntry.entity_id == str(document_id)
                )
            )
        )
    assert actions.count("kb.metadata") == 2


async def test_metadata_edits_are_for_admins_and_validated(
    client: httpx.AsyncClient, ctx: AppContext, place: Place
) -> None:
    admin = {"Authorization": f"Bearer {place.tokens['admin']}"}
    uploaded = await client.post(
        "/api/v1/knowledge/documents",
        files={"file": ("quy-che.md", QUY_CHE.encode(), "text/markdown")},
        data={"scope": "unit", "scope_unit_id": str(place.an_binh), "issuer": "UBND xã"},
        headers=admin,
    )
    assert uploaded.status_code == 201, uploaded.text
    document_id = uploaded.json()[0]["document_id"]
    url = f"/api/v1/knowledge/documents/{document_id}"
    got = (await client.get(url, headers=admin)).json()
    assert (got["scope"], got["scope_unit_id"], got["issuer"]) == ("unit", place.an_binh, "UBND xã")
    cadre = {"Authorization": f"Bearer {place.tokens['an_binh']}"}
    assert (await client.patch(url, json={"scope": "national"}, headers=cadre)).status_code == 403
    no_unit = await client.patch(
        url, json={"scope": "province", "scope_unit_id": None}, headers=admin
    )
    assert no_unit.status_code == 422, no_unit.text
    unknown = await client.patch(url, json={"scope_unit_id": 99999}, headers=admin)
    assert unknown.status_code == 422, unknown.text
