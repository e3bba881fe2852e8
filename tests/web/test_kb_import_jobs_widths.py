"""Issue 11 #9 in Chromium at 1366 and 390 px: a multi-document import's progress page shows
the counts as each committed step lands (its panel polls; the job is driven here step by step,
no sleeping), then "Đã xong" with the outcome; the knowledge-base page links the job, and
nothing scrolls sideways on a phone."""

from __future__ import annotations

import json
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import unit_of_work
from core.knowledge import imports, staging
from core.users import service as users
from tests.web.conftest import LiveServer, World, shot
from tests.web.test_console_browser import find, login_with_token, shows, text_of
from tests.web.test_console_widths import WIDTHS, no_sideways_scroll, sized

__all__ = ["sized"]  # the fixture, imported so pytest finds it here
pytestmark = [pytest.mark.browser, pytest.mark.slow]
IDS = [f"{w}px" for w in WIDTHS]
# Three laws of 100 articles: two batches of passages (200, then 100), so a middle step shows.
LAWS, ARTICLES = 3, 100
NAME = "luat-thu-nghiem-nhap-nhieu-van-ban-cung-luc.jsonl"  # long: must wrap on a phone


def jsonl() -> bytes:
    rows = (
        {
            "id": f"L{law}#{article}",
            "document": f"Luật thử nghiệm số {law}",
            "article": str(article),
            "title": f"Quy định {article}",
            "text": f"Cơ quan, tổ chức, cá nhân thực hiện quy định {article} của luật số {law}.",
        }
        for law in range(1, LAWS + 1)
        for article in range(1, ARTICLES + 1)
    )
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()


async def _queue(sm: async_sessionmaker[AsyncSession], live: LiveServer, world: World) -> int:
    """Stage the file and queue its job as the console's confirm does (not started)."""
    assert live.ctx is not None
    admin_id = world.people["admin"].id
    staged = await staging.stage(live.ctx.settings, jsonl(), NAME, admin_id)
    async with unit_of_work(sm) as s:
        admin = await users.require_user(s, user_id=admin_id)
        job = await imports.submit(
            s, live.ctx.settings, actor=admin, staged=staged, filename=NAME,
            fields={"scope": "national"},
        )  # fmt: skip
        return job.id


@pytest.mark.parametrize("sized", WIDTHS, indirect=True, ids=IDS)
async def test_import_progress_page_follows_the_job_and_the_kb_page_links_it(
    sized: Any,
    live: LiveServer,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    request: pytest.FixtureRequest,
) -> None:
    page, width = sized, request.node.callspec.params["sized"]
    ctx = live.ctx
    assert ctx is not None
    job_id = await _queue(sessionmaker, live, world)
    login_with_token(page, live, str(world.people["admin"].token), f"/kb/imports/{job_id}")
    assert text_of(page, "h1") == f"Nhập tệp: {NAME}"
    assert shows(page, "#import-status", "Đang chờ"), text_of(page, "#import-status")
    assert "Đang chờ đến lượt nhập" in text_of(page, "#import-counts")
    assert no_sideways_scroll(page)
    shot(page, f"kb-import-queued-{width}")

    # Driven on this test's engine; the index sync runs on the server's loop (its retriever).
    assert await imports.claim(sessionmaker, ctx.settings) == job_id
    steps = imports.steps(
        sessionmaker, ctx.settings, job_id,
        lambda progress=None: live.call(ctx.retriever.sync(progress=progress)),
    )  # fmt: skip
    await anext(steps)  # parsed
    assert shows(page, "#import-status", "Đang nhập"), text_of(page, "#import-status")
    assert shows(page, "#import-counts", "Đã đọc 3 văn bản, 300 điều"), text_of(
        page, "#import-counts"
    )
    assert "0/3 văn bản, 0/300 đoạn" in text_of(page, "#import-counts")
    await anext(steps)  # the first batch of passages is committed
    assert shows(page, "#import-counts", "2/3 văn bản, 200/300 đoạn"), text_of(
        page, "#import-counts"
    )
    assert page.find_element(By.ID, "import-progress").get_attribute("value") == "200"
    assert no_sideways_scroll(page)
    shot(page, f"kb-import-running-{width}")
    async for step in steps:
        last = step.job
    assert last.status == "done"

    assert shows(page, "#import-status", "Đã xong"), text_of(page, "#import-status")
    assert "3/3 văn bản, 300/300 đoạn" in text_of(page, "#import-counts")
    result = text_of(page, "#import-result")
    assert "3 văn bản (3 đã thêm mới), 300 điều, 300 đoạn" in result, result
    # Finished: the panel stops polling (no hx-trigger left on it).
    assert page.find_element(By.ID, "import-job").get_attribute("hx-trigger") is None
    assert no_sideways_scroll(page)
    shot(page, f"kb-import-done-{width}")

    # The knowledge-base page lists the job with its state, linking back to the progress page.
    page.get(live.url + "/kb")
    assert shows(page, "#import-jobs", f"{NAME} — Đã xong (300/300 đoạn)"), text_of(
        page, "#import-jobs"
    )
    link = page.find_element(By.CSS_SELECTOR, f"#import-jobs a[href='/kb/imports/{job_id}']")
    assert link.text == NAME
    assert no_sideways_scroll(page)
    page.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
    shot(page, f"kb-import-jobs-{width}")
    link.click()
    assert shows(page, "h1", f"Nhập tệp: {NAME}"), text_of(page, "h1")
    assert shows(page, "#import-status", "Đã xong")
    find(page, "logout")
