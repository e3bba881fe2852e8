"""The console's case page and the bot's case buttons offer the same actions for each role and
state, because both ask core.cases.actions (issue 11, one home per concept)."""

from __future__ import annotations

import httpx
from fake_telegram import FakeTelegram

from core.cases import service as cases
from core.cases.schemas import CaseAnswer, CaseCreate, CaseForward
from core.context import AppContext
from core.db import unit_of_work
from core.users import service as user_service
from tests.web.conftest import login

ROLES = ("sup1", "sup2", "prov", "admin")
CONSOLE_IDS = {
    "claim": "claim",
    "send-answer": "answer",
    "forward": "forward",
    "propose": "propose",
}


def _console_actions(html: str) -> set[str]:
    return {verb for element, verb in CONSOLE_IDS.items() if f'id="{element}"' in html}


def _bot_actions(buttons: list[dict[str, str]], case_id: int) -> set[str]:
    verbs = set()
    for button in buttons:
        _, verb, target = button["callback_data"].split(":")
        if int(target) == case_id:
            verbs.add(verb)
    return verbs


async def _seed(ctx: AppContext, people) -> dict[str, int]:
    """Four cases: new, claimed by sup1, answered by sup1, forwarded up by sup2."""
    u = people.users
    ids: dict[str, int] = {}
    async with unit_of_work(ctx.sessionmaker) as s:
        cadre = await user_service.require_user(s, user_id=u["cadre"].id)
        for key in ("new", "claimed", "answered", "forwarded"):
            case = await cases.create_case(
                s,
                actor=cadre,
                data=CaseCreate(question=f"Hỏi về thủ tục đăng ký khai sinh ({key})"),
                settings=ctx.settings,
            )
            ids[key] = case.id
    async with unit_of_work(ctx.sessionmaker) as s:
        sup1 = await user_service.require_user(s, user_id=u["sup1"].id)
        sup2 = await user_service.require_user(s, user_id=u["sup2"].id)
        await cases.claim(s, actor=sup1, case_id=ids["claimed"])

        await cases.answer(
            s, actor=sup1, case_id=ids["answered"], data=CaseAnswer(text="Làm theo Điều 16.")
        )
        await cases.forward(
            s, actor=sup2, case_id=ids["forwarded"], data=CaseForward(), settings=ctx.settings
        )
    return ids


async def test_console_and_bot_offer_the_same_case_actions(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    from api.main import create_app

    ids = await _seed(ctx, people)
    tokens = {}
    async with unit_of_work(ctx.sessionmaker) as s:
        for role in ROLES:
            tokens[role] = await user_service.issue_token(
                s, user_id=people.users[role].id, label="web"
            )
    console: dict[tuple[str, str], set[str]] = {}
    bot: dict[tuple[str, str], set[str]] = {}
    app = create_app(ctx)
    for role in ROLES:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as c:
            await login(c, tokens[role])
            for key, case_id in ids.items():
                page = await c.get(f"/cases/{case_id}")
                console[role, key] = (
                    _console_actions(page.text) if page.status_code == 200 else set()
                )
        mark = fake.mark()
        await fake.send_text(people.fakes[role], "/hangdoi")
        queue = await fake.wait_message(people.fakes[role].id, "Hàng đợi", after=mark)
        for key, case_id in ids.items():
            bot[role, key] = _bot_actions(queue.buttons(), case_id)
        # Up to three buttons share a row: each names the case by its serial, short enough
        # for a phone ("Nhận xử lý 000001").
        assert all(len(b["text"]) <= 20 for b in queue.buttons()), queue.buttons()

    # The queue lists open cases only; an answered case is offered for proposal on both fronts
    # (the bot offers it under its receipt, checked below).
    open_console = {k: v - {"propose"} for k, v in console.items()}
    assert open_console == bot
    expected = {
        ("sup1", "new"): {"claim", "answer", "forward"},
        ("sup1", "claimed"): {"answer", "forward"},
        ("sup2", "claimed"): set(),
        ("admin", "claimed"): {"answer", "forward"},
        ("sup1", "forwarded"): set(),
        ("prov", "forwarded"): {"claim", "answer", "forward"},
        ("prov", "new"): set(),
    }
    assert {k: bot[k] for k in expected} == expected
    assert console["sup1", "answered"] == {"propose"}
    assert console["prov", "answered"] == set()  # cannot see a commune's case it never held

    # Answering in Telegram: the receipt's buttons are the console's actions for that state.
    sup1 = people.fakes["sup1"]
    mark = fake.mark()
    await fake.send_text(sup1, "/hangdoi")
    queue = await fake.wait_message(sup1.id, "Hàng đợi", after=mark)
    number = next(
        b["text"].split()[-1] for b in queue.buttons() if f":{ids['new']}" in b["callback_data"]
    )
    await fake.press(sup1, queue, f"Trả lời {number}")
    ask = await fake.wait_message(sup1.id, "nội dung trả lời", after=mark)
    await fake.send_text(sup1, "Đăng ký tại UBND xã nơi cư trú.")
    basis = await fake.wait_message(sup1.id, "căn cứ pháp lý", after=mark)
    await fake.press(sup1, basis, "Bỏ qua")
    done = await fake.wait_message(sup1.id, "Đã gửi trả lời", after=mark)
    assert ask and _bot_actions(done.buttons(), ids["new"]) == {"propose"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as c:
        await login(c, tokens["sup1"])
        page = await c.get(f"/cases/{ids['new']}")
    assert _console_actions(page.text) == {"propose"}
