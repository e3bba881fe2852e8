"""Every dialogue commits its next step before the prompt for it reaches the user (issue 10, #11).

The fake Bot API looks at the stored conversation state at the very moment each prompt
arrives, through its own database connection. Had the bot sent first and committed later
(a crash in between loses the step), it would see the previous state.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from fake_telegram import Call, FakeTelegram, FakeUser
from sqlalchemy import select

from core.chatstate.models import ChatState
from core.context import AppContext
from core.db import unit_of_work
from core.users import service as user_service
from core.users.enums import Role


class StateAtSend:
    """Records (text, stored state, stored data) of each message the bot sends to a chat."""

    def __init__(self, ctx: AppContext, fake: FakeTelegram) -> None:
        self.ctx = ctx
        self.seen: list[tuple[str, str | None, dict[str, Any]]] = []
        fake.observers.append(self.observe)

    async def observe(self, call: Call) -> None:
        if call.method not in ("sendMessage", "editMessageText") or call.chat_id is None:
            return
        key = f"fsm:{call.chat_id}:{call.chat_id}:default"
        url = self.ctx.engine.url
        if url.get_backend_name() == "sqlite":
            # A plain read of the last committed snapshot (WAL): the app's sessions begin
            # IMMEDIATE, which would wait for the bot's own open write transaction.
            with sqlite3.connect(str(url.database)) as db:
                found = db.execute(
                    "SELECT state, data FROM bot_state WHERE key = ?", (key,)
                ).fetchone()
            state, data = (found[0], json.loads(found[1])) if found else (None, {})
        else:
            async with unit_of_work(self.ctx.sessionmaker) as s:
                row = await s.scalar(select(ChatState).where(ChatState.key == key))
            state, data = (row.state, dict(row.data)) if row else (None, {})
        self.seen.append((call.text, state, data))

    def at(self, text: str) -> tuple[str | None, dict[str, Any]]:
        """The committed state and data when the last message containing `text` was sent."""
        for sent, state, data in reversed(self.seen):
            if text in sent:
                return state, data
        raise AssertionError(f"no message containing {text!r}")


async def test_form_steps_are_committed_before_their_prompts(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    spy = StateAtSend(ctx, fake)
    cadre = people.fakes["cadre"]
    mark = fake.mark()

    await fake.send_text(cadre, "/sangkien")
    await fake.wait_message(cadre.id, "bước 1/5", after=mark)
    assert spy.at("bước 1/5")[0] == "Initiative:title"
    await fake.send_text(cadre, "Sổ tay điện tử tra cứu thủ tục hộ tịch")
    await fake.wait_message(cadre.id, "Bước 2/5", after=mark)
    state, data = spy.at("Bước 2/5")
    assert state == "Initiative:problem"
    assert data["title"] == "Sổ tay điện tử tra cứu thủ tục hộ tịch"
    await fake.send_text(cadre, "Người dân đi lại nhiều lần")
    await fake.wait_message(cadre.id, "Bước 3/5", after=mark)
    await fake.send_text(cadre, "Lập mã QR cho từng thủ tục")
    await fake.wait_message(cadre.id, "Bước 4/5", after=mark)
    assert spy.at("Bước 4/5")[0] == "Initiative:results"
    await fake.send_text(cadre, "Số lượt đi lại giảm một nửa")
    added = await fake.wait_message(cadre.id, "1 đoạn mô tả", after=mark)
    assert spy.at("1 đoạn mô tả")[1]["results"] == ["Số lượt đi lại giảm một nửa"]
    await fake.press(cadre, added, "Xong phần kết quả")
    await fake.wait_message(cadre.id, "Bước 5/5", after=mark)
    assert spy.at("Bước 5/5")[0] == "Initiative:field"

    await fake.send_text(cadre, "/xinykien")
    await fake.wait_message(cadre.id, "mô tả tình huống", after=mark)
    assert spy.at("mô tả tình huống") == ("Escalation:text", {})
    await fake.send_text(cadre, "Người dân xin xác nhận tình trạng hôn nhân khi ở nước ngoài về")
    ask = await fake.wait_message(cadre.id, "Bạn có muốn gửi kèm", after=mark)
    state, data = spy.at("Bạn có muốn gửi kèm")
    assert state == "Escalation:attachments" and "hôn nhân" in data["question"]
    await fake.press(cadre, ask, "Tiếp tục")
    await fake.wait_message(cadre.id, "Xác nhận gửi", after=mark)
    assert spy.at("Xác nhận gửi")[0] == "Escalation:confirm"
    await fake.send_text(cadre, "/huy")
    await fake.wait_message(cadre.id, "Đã hủy", after=mark)
    assert spy.at("Đã hủy") == (None, {})


async def test_registration_steps_are_committed_before_their_prompts(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    spy = StateAtSend(ctx, fake)
    async with unit_of_work(ctx.sessionmaker) as s:
        invite = await user_service.create_invite(
            s, role=Role.CADRE, unit_id=people.commune_id, actor=None, uses=1
        )
        code = invite.code
    newbie = FakeUser(5556, "An")
    await fake.send_text(newbie, f"/start {code}")
    await fake.wait_message(newbie.id, "họ và tên")
    assert spy.at("họ và tên") == ("Registration:full_name", {"code": code})
    await fake.send_text(newbie, "Nguyễn Văn An")
    await fake.wait_message(newbie.id, "chức danh")
    assert spy.at("chức danh") == ("Registration:position", {"code": code, "name": "Nguyễn Văn An"})


async def test_supervisor_answer_steps_are_committed_before_their_prompts(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    spy = StateAtSend(ctx, fake)
    cadre, sup = people.fakes["cadre"], people.fakes["sup1"]
    mark = fake.mark()
    await fake.send_text(cadre, "/xinykien")
    await fake.wait_message(cadre.id, "mô tả tình huống", after=mark)
    await fake.send_text(cadre, "Tổ ong vò vẽ trước cổng trụ sở, xử lý thế nào?")
    ask = await fake.wait_message(cadre.id, "Bạn có muốn gửi kèm", after=mark)
    await fake.press(cadre, ask, "Tiếp tục")
    confirm = await fake.wait_message(cadre.id, "Xác nhận gửi", after=mark)
    await fake.press(cadre, confirm, "Gửi")
    new = await fake.wait_message(sup.id, "Xin ý kiến mới", after=mark)
    await fake.press(sup, new, "Nhận xử lý")
    claimed = await fake.wait_message(sup.id, "Bạn đã nhận xử lý", after=mark)
    await fake.press(sup, claimed, "Trả lời")
    await fake.wait_message(sup.id, "nội dung trả lời", after=mark)
    assert spy.at("nội dung trả lời")[0] == "Answering:answer"
    await fake.send_text(sup, "Liên hệ đội PCCC để xử lý.")
    await fake.wait_message(sup.id, "căn cứ pháp lý", after=mark)
    state, data = spy.at("căn cứ pháp lý")
    assert state == "Answering:legal_basis" and data["answer"] == "Liên hệ đội PCCC để xử lý."
