"""A hard task end to end over HTTP: created for a cadre, updated from Telegram (/viec_kho),
reminded when overdue by the sweep `troly run` starts, closed, commended in one tap, and the
commendation reaches the official and their output record."""

from __future__ import annotations

from datetime import timedelta

from fake_telegram import FakeTelegram
from sqlalchemy import select

from core.context import AppContext
from core.db import unit_of_work, utcnow
from core.record.service import build
from core.tasks import service as tasks
from core.tasks.models import HardTask, TaskNote
from core.tasks.schemas import TaskCreate


async def test_hard_task_from_assignment_to_commendation(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    cadre, sup1 = people.fakes["cadre"], people.fakes["sup1"]
    mark = fake.mark()
    async with unit_of_work(ctx.sessionmaker) as s:
        # Listed three weeks ago with two working days: overdue by now.
        task = await tasks.create_task(
            s,
            actor=people.users["sup1"],
            data=TaskCreate(
                unit_id=people.commune_id,
                title="Giải quyết dứt điểm tranh chấp lối đi chung thôn Đông",
                owner_id=people.users["cadre"].id,
                working_days=2,
            ),
            settings=ctx.settings,
            now=utcnow() - timedelta(days=21),
        )
    assigned = await fake.wait_message(cadre.id, "Bạn được giao chịu trách nhiệm", after=mark)
    assert f"#{task.id}" in assigned.text

    # The sweep reminds the owner and tells the unit's supervisors.
    await fake.wait_message(cadre.id, "đã quá hạn", after=mark)
    overdue = await fake.wait_message(sup1.id, "quá hạn từ", after=mark)
    assert "Nguyễn Thị Cán Bộ" in overdue.text

    mark = fake.mark()
    await fake.send_text(cadre, "/viec_kho")
    listed = await fake.wait_message(cadre.id, f"Việc khó #{task.id}</b>", after=mark)
    assert "quá hạn" in listed.text
    await fake.press(cadre, listed, "Ghi tiến độ")
    await fake.wait_message(cadre.id, "Nhập <b>tiến độ</b>", after=mark)
    await fake.send_text(cadre, "Đã mời hai hộ lên hòa giải lần 2, thống nhất mở lối đi 2 m.")
    await fake.wait_message(cadre.id, "Đã ghi tiến độ", after=mark)

    await fake.press(cadre, listed, "Hoàn thành")
    await fake.wait_message(cadre.id, "Đã báo hoàn thành", after=mark)
    finished = await fake.wait_message(sup1.id, "đã hoàn thành", after=mark)
    assert finished.buttons()[0]["text"] == "🏅 Biểu dương"

    await fake.press(sup1, finished, "Biểu dương")
    ask = await fake.wait_message(sup1.id, "lời biểu dương ngắn", after=mark)
    assert "Nguyễn Thị Cán Bộ" in ask.text
    await fake.send_text(sup1, "Kiên trì hòa giải, giải quyết dứt điểm vụ việc tồn đọng.")
    await fake.wait_message(sup1.id, "Đã biểu dương", after=mark)
    told = await fake.wait_message(cadre.id, "Biểu dương", after=mark)
    assert "Kiên trì hòa giải" in told.text and "Trần Văn Phụ Trách" in told.text

    async with unit_of_work(ctx.sessionmaker) as s:
        stored = await s.get(HardTask, task.id)
        notes = list(await s.scalars(select(TaskNote.text).where(TaskNote.task_id == task.id)))
        record = await build(s, actor=people.users["cadre"], user_id=people.users["cadre"].id)
    assert stored is not None and stored.status == "done" and stored.overdue_at is not None
    assert notes == ["Đã mời hai hộ lên hòa giải lần 2, thống nhất mở lối đi 2 m."]
    figures = {f.key: f for f in record.figures}
    assert figures["tasks_done"].count == 1 and figures["commendations"].count == 1
    assert "Kiên trì hòa giải" in figures["commendations"].evidence[0].label
