"""Notification buttons: core queues actions (core.outbox.buttons), the bot draws them.

Every action core can queue must become callback data that a registered handler takes from any
state (a notification arrives whatever the user is doing), in the wire format of the buttons
already sent; rows queued in the old drawn shape (text + callback_data) are still delivered.
"""

from __future__ import annotations

import pytest
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.filters.state import StateFilter
from aiogram.fsm.state import State
from fake_telegram import FakeTelegram

from bot import keyboards
from bot.main import routers
from core.context import AppContext
from core.db import unit_of_work
from core.outbox.buttons import Action, button
from core.outbox.service import enqueue
from core.tasks import service as tasks
from core.tasks.schemas import TaskCreate

# The callback data each action was queued as before core wrote actions: buttons already in
# people's chats carry it, so drawing an action must not change it.
WIRE = {
    Action.CASE_CLAIM: ("Nhận xử lý", "case:claim:7"),
    Action.CASE_ANSWER: ("Trả lời", "case:answer:7"),
    Action.CASE_FORWARD: ("Chuyển", "case:forward:7"),
    Action.CASE_PROPOSE: ("Đề xuất thành hướng dẫn", "case:propose:7"),
    Action.CASE_HELPFUL: ("👍 Hữu ích", "case:helpful:7"),
    Action.CASE_UNHELPFUL: ("👎 Chưa đúng", "case:unhelpful:7"),
    Action.PRECEDENT_APPROVE: ("Phê duyệt", "prec:approve:7"),
    Action.PRECEDENT_REJECT: ("Từ chối", "prec:reject:7"),
    Action.TASK_NOTE: ("📝 Ghi tiến độ", "task:note:7"),
    Action.TASK_DONE: ("✅ Hoàn thành", "task:done:7"),
    Action.COMMEND_TASK: ("🏅 Biểu dương", "rec:start:task:7"),
    Action.COMMEND_CASE: ("🏅 Biểu dương", "rec:start:case:7"),
    Action.DRILL_PICK: ("B", "drill:pick:7:1"),
    Action.DRILL_WRITE: ("✍️ Trả lời", "drill:write:7:0"),
    Action.DRILL_PUBLISH: ("📣 Xuất bản", "drill:publish:7:0"),
    Action.MENTOR_REPLY: ("✍️ Trả lời", "mtr:reply:7:0"),
    Action.QUESTION_ESCALATE: ("❓ Xin ý kiến chính thức", "q:esc:7"),
}


def _takers(data: str) -> list[str]:
    """The handlers of the bot's routers whose button filter takes `data` in any state (a
    bare `XCb.filter()` catch-all, which only says the button is stale, does not count)."""
    found = []
    for router in routers():
        for handler in router.observers["callback_query"].handlers:
            filters = [f.callback for f in handler.filters or []]
            if any(isinstance(f, State | StateFilter) for f in filters):
                continue
            for f in filters:
                if isinstance(f, CallbackQueryFilter) and f.rule is not None:
                    try:
                        payload = f.callback_data.unpack(data)
                    except (TypeError, ValueError):
                        continue
                    if f.rule.resolve(payload):
                        found.append(handler.callback.__qualname__)
    return found


@pytest.mark.parametrize("action", list(Action))
def test_every_action_core_queues_is_drawn_for_a_handler(action: Action) -> None:
    drawn = keyboards.draw(button(action, 7, 1 if action == Action.DRILL_PICK else None))
    assert (drawn.text, drawn.callback_data) == WIRE[action]
    assert drawn.callback_data and _takers(drawn.callback_data), f"no handler takes {action}"


def test_the_check_finds_buttons_no_handler_takes() -> None:
    assert _takers("case:claim:7") == ["claim"]
    assert _takers("case:archive:7") == []  # no such verb
    assert _takers("prec:national:7") == []  # only inside the review dialogue
    assert _takers("imp:no:0") == []  # likewise (the catch-all only says it is stale)


def test_old_rows_and_bot_drawn_buttons_pass_through() -> None:
    old = {"text": "Nhận xử lý", "callback_data": "case:claim:7"}
    markup = keyboards.from_rows([[old], [button(Action.TASK_DONE, 3)]])
    assert markup is not None
    assert [(b.text, b.callback_data) for row in markup.inline_keyboard for b in row] == [
        ("Nhận xử lý", "case:claim:7"),
        ("✅ Hoàn thành", "task:done:3"),
    ]
    assert keyboards.from_rows([]) is None


async def test_actions_and_an_old_row_are_delivered_and_work(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    cadre = people.fakes["cadre"]
    mark = fake.mark()
    async with unit_of_work(ctx.sessionmaker) as s:
        task = await tasks.create_task(
            s,
            actor=people.users["sup1"],
            data=TaskCreate(
                unit_id=people.commune_id,
                title="Rà soát hồ sơ hộ tịch tồn đọng",
                owner_id=people.users["cadre"].id,
                working_days=5,
            ),
            settings=ctx.settings,
        )
        # Queued by an older version, in the drawn shape.
        await enqueue(
            s,
            user_id=people.users["cadre"].id,
            text="Nhắc việc (bản cũ)",
            idempotency_key="old-shape-row",
            buttons=[[{"text": "📝 Ghi tiến độ", "callback_data": f"task:note:{task.id}"}]],
        )
    assigned = await fake.wait_message(cadre.id, "Bạn được giao chịu trách nhiệm", after=mark)
    assert [(b["text"], b["callback_data"]) for b in assigned.buttons()] == [
        ("📝 Ghi tiến độ", f"task:note:{task.id}"),
        ("✅ Hoàn thành", f"task:done:{task.id}"),
    ]
    old = await fake.wait_message(cadre.id, "Nhắc việc (bản cũ)", after=mark)
    assert [b["callback_data"] for b in old.buttons()] == [f"task:note:{task.id}"]
    await fake.press(cadre, old, "Ghi tiến độ")
    await fake.wait_message(cadre.id, "Nhập <b>tiến độ</b>", after=mark)
