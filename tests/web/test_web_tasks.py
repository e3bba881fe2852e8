"""Console: the hard-task catalogue, the commendation board and the output record over HTTP."""

from __future__ import annotations

import re

import httpx

from tests.web.conftest import World, csrf, login


async def test_catalogue_close_commend_board_and_record(
    client: httpx.AsyncClient, people: World
) -> None:
    cadre, supervisor = people.people["cadre"], people.people["supervisor"]
    token = await login(client, supervisor.token)
    page = await client.get("/tasks")
    assert page.status_code == 200 and 'id="new-task"' in page.text
    created = await client.post(
        "/tasks",
        data={
            "csrf_token": token,
            "unit_id": str(people.commune_id),
            "owner_id": str(cadre.id),
            "title": "Xử lý dứt điểm đơn thư tồn đọng về đất đai",
            "working_days": "10",
            "description": "Ba đơn từ năm trước.",
        },
    )
    assert created.status_code == 303
    task_url = created.headers["location"].split("?")[0]
    detail = await client.get(task_url)
    assert "Xử lý dứt điểm đơn thư" in detail.text and "còn 10 ngày làm việc" in detail.text
    bad = await client.post(
        "/tasks",
        data={"csrf_token": token, "unit_id": str(people.commune_id), "owner_id": str(cadre.id),
              "title": "Xử lý", "working_days": "0"},
    )  # fmt: skip
    assert bad.status_code == 422 and "Thời hạn phải từ 1 đến 250 ngày làm việc" in bad.text

    await client.post("/logout", data={"csrf_token": csrf(detail.text)})
    token = await login(client, cadre.token)
    mine = await client.get("/tasks")
    assert "Xử lý dứt điểm đơn thư" in mine.text and 'id="new-task"' not in mine.text
    noted = await client.post(
        f"{task_url}/notes", data={"csrf_token": token, "text": "Đã xác minh."}
    )
    assert noted.status_code == 303
    closed = await client.post(f"{task_url}/done", data={"csrf_token": token, "note": ""})
    assert closed.status_code == 303
    refused = await client.post(
        "/commendations", data={"csrf_token": token, "source_kind": "task", "source_id": "1"}
    )
    assert refused.status_code == 403

    await client.post("/logout", data={"csrf_token": token})
    token = await login(client, supervisor.token)
    board = await client.get("/board")
    assert 'id="suggestions"' in board.text and "Trần Cán Bộ" in board.text
    task_id = task_url.rsplit("/", 1)[1]
    commended = await client.post(
        "/commendations",
        data={"csrf_token": token, "source_kind": "task", "source_id": task_id,
              "citation": "Giải quyết dứt điểm đơn thư tồn đọng."},
    )  # fmt: skip
    assert commended.status_code == 303
    board = await client.get("/board")
    assert "Giải quyết dứt điểm đơn thư tồn đọng." in board.text
    assert 'id="suggestions"' not in board.text

    record = await client.get(f"/record/{cadre.id}")
    assert record.status_code == 200 and "Xếp hạng" not in record.text
    counts = dict(re.findall(r'id="(\w+)">\s*<h2>[^<]*: <span class="count">(\d+)', record.text))
    assert counts["tasks_owned"] == "1" and counts["commendations"] == "1"
    assert f'href="/tasks/{task_id}"' in record.text
    export = await client.get(f"/record/{cadre.id}.csv")
    assert export.headers["content-type"].startswith("text/csv")
    assert "Lần được biểu dương,1" in export.content.decode("utf-8-sig")
