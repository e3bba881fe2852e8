"""Files sent with /xinykien reach the supervisors in Telegram and the console's case page,
under the case's access rules (issue 11, Telegram #2)."""

from __future__ import annotations

import httpx
from fake_telegram import FakeTelegram
from sqlalchemy import select

from core.cases.models import Case
from core.context import AppContext
from core.db import unit_of_work
from core.users import tokens
from core.users.enums import Role
from tests.factories import make_ladder, make_person
from tests.web.conftest import login

PHOTO = b"\xff\xd8\xff\xe0 fake jpeg bytes"
PDF = b"%PDF-1.4 fake form"


async def test_attachments_reach_supervisors_and_the_console(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    cadre, sup1, sup2 = people.fakes["cadre"], people.fakes["sup1"], people.fakes["sup2"]
    mark = fake.mark()
    await fake.send_text(cadre, "/xinykien")
    await fake.wait_message(cadre.id, "mô tả tình huống", after=mark)
    photo_id = await fake.send_photo(cadre, PHOTO, caption="Giấy tờ bị rách, có cấp lại không?")
    await fake.wait_message(cadre.id, "Bạn có muốn gửi kèm", after=mark)
    doc_id = await fake.send_document(cadre, "to_khai.pdf", PDF, "application/pdf")
    more = await fake.wait_message(cadre.id, "Đã nhận tệp (2)", after=mark)
    await fake.press(cadre, more, "Tiếp tục")
    confirm = await fake.wait_message(cadre.id, "Tệp đính kèm: 2", after=mark)
    await fake.press(cadre, confirm, "Gửi")
    await fake.wait_message(cadre.id, "Đã gửi xin ý kiến", after=mark)

    async with unit_of_work(ctx.sessionmaker) as s:
        case = await s.scalar(select(Case))
    assert case is not None
    for sup in (sup1, sup2):
        new = await fake.wait_message(sup.id, "Xin ý kiến mới", after=mark)
        assert "Kèm 2 tệp đính kèm" in new.text
        photo = await fake.wait_for(
            lambda c, chat=sup.id: c.method == "sendPhoto" and c.chat_id == chat, after=mark
        )
        document = await fake.wait_for(
            lambda c, chat=sup.id: c.method == "sendDocument" and c.chat_id == chat, after=mark
        )
        assert photo.params["photo"] == photo_id and case.number in photo.params["caption"]
        assert document.params["document"] == doc_id
        assert "to_khai.pdf" in document.params["caption"]
        assert fake.calls.index(new) < fake.calls.index(photo)  # the files follow the notice

    # The console: previews the photo, offers both for download, to those who may see the case.
    assert all(a.get("path") for a in case.attachments)
    async with unit_of_work(ctx.sessionmaker) as s:
        sup_token = await tokens.issue_token(s, user_id=people.users["sup1"].id)
        cadre_token = await tokens.issue_token(s, user_id=people.users["cadre"].id)
        other = await make_ladder(s, province="Tỉnh Khác", communes=[("Xã Khác", [])])
        outsider = await make_person(
            s, role=Role.SUPERVISOR, unit_id=other.commune_ids[0], name="Người Ngoài", token=True
        )
    from api.main import create_app

    app = create_app(ctx)
    base = "http://console.test"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base) as web:
        await login(web, sup_token)
        page = await web.get(f"/cases/{case.id}")
        assert f'<img src="/cases/{case.id}/files/0"' in page.text
        assert f'href="/cases/{case.id}/files/1" download' in page.text
        image = await web.get(f"/cases/{case.id}/files/0")
        assert image.status_code == 200 and image.content == PHOTO
        assert image.headers["content-type"] == "image/jpeg"
        pdf = await web.get(f"/cases/{case.id}/files/1")
        assert pdf.content == PDF and pdf.headers["content-disposition"].startswith("attachment")
        assert (await web.get(f"/cases/{case.id}/files/2")).status_code == 404
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base) as web:
        assert outsider.token is not None
        await login(web, outsider.token)
        assert (await web.get(f"/cases/{case.id}/files/0")).status_code == 404
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base) as web:
        await login(web, cadre_token)
        assert (await web.get(f"/cases/{case.id}/files/0")).status_code == 403
