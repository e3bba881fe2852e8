"""The hard-task catalogue, a task page, the commendation board and the output record in
Chromium at desk width (1366 px) and phone width (390 px): content in view, no sideways scroll,
and the supervisor commends from the task page."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.db import unit_of_work
from core.tasks import service as tasks
from core.tasks.schemas import TaskClose, TaskCreate, TaskNoteCreate
from core.users import service as users
from tests.web.conftest import LiveServer, World, shot
from tests.web.test_console_browser import find, login_with_token, shows, text_of
from tests.web.test_console_widths import WIDTHS, inside_viewport, no_sideways_scroll, sized

pytestmark = [pytest.mark.browser, pytest.mark.slow]
__all__ = ["sized"]  # the fixture, imported so pytest finds it here


async def _seed(sm: async_sessionmaker[AsyncSession], live: LiveServer, world: World) -> int:
    assert live.ctx is not None
    async with unit_of_work(sm) as session:
        supervisor = await users.require_user(session, user_id=world.people["supervisor"].id)
        cadre = await users.require_user(session, user_id=world.people["cadre"].id)
        ids = []
        for n in range(3):
            task = await tasks.create_task(
                session,
                actor=supervisor,
                data=TaskCreate(
                    unit_id=world.commune_id,
                    title=f"Việc khó thử số {n}: giải quyết dứt điểm đơn thư tranh chấp đất "
                    "đai kéo dài nhiều năm giữa các hộ ở thôn Đông",
                    description="Mô tả dài " * 40,
                    owner_id=cadre.id,
                    working_days=5 + n,
                ),
                settings=live.ctx.settings,
            )
            ids.append(task.id)
        await tasks.add_note(
            session, actor=cadre, task_id=ids[0], data=TaskNoteCreate(text="Đã xác minh " * 30)
        )
        await tasks.close_task(session, actor=cadre, task_id=ids[0], data=TaskClose())
    return ids[0]


@pytest.mark.parametrize("sized", WIDTHS, indirect=True, ids=[f"{w}px" for w in WIDTHS])
async def test_task_pages_fit_and_commend(
    sized: Any,
    live: LiveServer,
    world: World,
    sessionmaker: async_sessionmaker[AsyncSession],
    request: pytest.FixtureRequest,
) -> None:
    page = sized
    width = request.node.callspec.params["sized"]
    done_id = await _seed(sessionmaker, live, world)
    login_with_token(page, live, world.people["supervisor"].token, "/tasks?view=all")
    assert shows(page, "#tasks", "Việc khó thử số 2"), text_of(page, "#tasks")
    assert len(page.find_elements(By.CSS_SELECTOR, "#tasks tbody tr")) == 3
    assert inside_viewport(page, "#tasks .deadline .left")
    assert inside_viewport(page, "#new-task button")
    assert no_sideways_scroll(page)
    shot(page, f"tasks-{width}")

    page.get(f"{live.url}/tasks/{done_id}")
    assert shows(page, "#notes", "Đã xác minh")
    assert inside_viewport(page, "#commend button")
    assert no_sideways_scroll(page)
    find(page, "commend").find_element(By.CSS_SELECTOR, "button").click()
    assert shows(page, "#board", "Trần Cán Bộ"), text_of(page, "#board")
    assert no_sideways_scroll(page)
    shot(page, f"board-{width}")

    page.get(f"{live.url}/record/{world.people['cadre'].id}")
    assert shows(page, "#commendations .count", "1")
    assert shows(page, "#tasks_owned .count", "3")
    assert inside_viewport(page, "#export")
    assert no_sideways_scroll(page)
    shot(page, f"record-{width}")
