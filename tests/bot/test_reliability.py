"""Telegram failures (429, 5xx) never lose an answer; HTML is escaped; long input; the rate
limit delays or refuses with a reply but never drops a message silently."""

from __future__ import annotations

import asyncio

from fake_telegram import FakeTelegram
from sqlalchemy import select

from bot import texts
from core.context import AppContext
from core.db import unit_of_work
from core.outbox.models import OutboxMessage

QUESTION = "cong chuc xa duoc nghi phep hang nam bao nhieu ngay"


async def test_429_then_success_still_delivers(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    cadre = people.fakes["cadre"]
    fake.fail_next(2, status=429, retry_after=1, method="sendMessage")
    mark = fake.mark()
    await fake.send_text(cadre, QUESTION)
    answer = await fake.wait_message(cadre.id, "Điều 1", after=mark)
    failures = [c for c in fake.calls[mark:] if c.method == "sendMessage" and c.result is None]
    assert len(failures) == 2  # both 429s were seen, then the same reply went through
    assert "Quy chế mẫu" in answer.text


async def test_persistent_5xx_reply_goes_to_outbox_and_is_delivered(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    cadre = people.fakes["cadre"]
    # More failures than the in-process retries: the reply must be kept and sent later. Only
    # the cadre's chat fails: the worker's own sends (the audit anchor queued to the admin at
    # start-up) must not take these failures and let the reply through on the first try.
    fake.fail_next(4, status=502, retry_after=None, method="sendMessage", chat_id=cadre.id)
    mark = fake.mark()
    await fake.send_text(cadre, QUESTION)
    answer = await fake.wait_message(cadre.id, "Điều 1", after=mark)
    assert [b["text"] for b in answer.buttons()][:1] == [texts.BTN_HELPFUL]
    # The worker commits sent_at right after Telegram accepted the message.
    for _ in range(100):
        async with unit_of_work(ctx.sessionmaker) as s:
            queued = list(
                await s.scalars(
                    select(OutboxMessage).where(OutboxMessage.idempotency_key.like("reply:%"))
                )
            )
        if queued and queued[0].sent_at is not None:
            break
        await asyncio.sleep(0.1)
    assert len(queued) == 1 and queued[0].sent_at is not None


async def test_html_in_user_text_is_escaped(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    cadre = people.fakes["cadre"]
    mark = fake.mark()
    await fake.send_text(cadre, "/xinykien")
    await fake.wait_message(cadre.id, "mô tả tình huống", after=mark)
    await fake.send_text(cadre, "Hồ sơ ghi <b>sai</b> tên & <script>alert(1)</script> thì sao?")
    ask = await fake.wait_message(cadre.id, "Bạn có muốn gửi kèm", after=mark)
    await fake.press(cadre, ask, "Tiếp tục")
    confirm = await fake.wait_message(cadre.id, "Xác nhận gửi", after=mark)
    # The fake server rejects invalid HTML like Telegram does, so arriving at all proves it.
    assert "&lt;b&gt;sai&lt;/b&gt; tên &amp; &lt;script&gt;" in confirm.text
    await fake.press(cadre, confirm, "Gửi")
    sup = people.fakes["sup1"]
    new = await fake.wait_message(sup.id, "Xin ý kiến mới", after=mark)
    assert "&lt;script&gt;" in new.text and "<script>" not in new.text


async def test_over_long_input_is_refused_clearly_and_flow_kept(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    cadre = people.fakes["cadre"]
    long_text = "Tình huống rất dài. " * 200  # 4,000 characters > max_text_chars (3,000)
    mark = fake.mark()
    await fake.send_text(cadre, long_text)
    refused = await fake.wait_message(cadre.id, "vượt giới hạn", after=mark)
    assert f"{len(long_text)} ký tự" in refused.text

    await fake.send_text(cadre, "/sangkien")
    await fake.wait_message(cadre.id, "bước 1/5", after=mark)
    await fake.send_text(cadre, long_text)
    await fake.wait_message(cadre.id, "Các bước bạn đã làm vẫn được giữ nguyên", after=mark)
    await fake.send_text(cadre, "Tên ngắn gọn")
    await fake.wait_message(cadre.id, "Bước 2/5", after=mark)  # still in the same dialogue


async def test_rate_limit_delays_or_refuses_but_never_drops_silently(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    ctx.settings.rate_limit_per_minute = 2
    ctx.settings.rate_limit_window_seconds = 2.0
    # The limiter read its limit when the dispatcher was built; rebuild with the new one.
    await runner.stop()
    await runner.start()
    cadre = people.fakes["cadre"]

    def replies(after: int, text: str) -> int:
        return sum(1 for c in fake.sent_to(cadre.id) if c in fake.calls[after:] and text in c.text)

    # Two go through, the next two wait for the window (the user is told once), none is lost.
    mark = fake.mark()
    for _ in range(3):
        await fake.send_text(cadre, "/trogiup")
    await fake.send_text(cadre, "/cuatoi")
    await fake.wait_message(cadre.id, "Của tôi", after=mark, within=15)
    await fake.wait_for(lambda c: replies(mark, "hướng dẫn nhanh") == 3, after=mark, within=5)
    assert replies(mark, "sẽ được xử lý sau khoảng") == 1

    # Past one more window of waiting, every extra message is answered: not processed, retry.
    await asyncio.sleep(4.5)
    mark = fake.mark()
    for _ in range(6):
        await fake.send_text(cadre, "/cuatoi")
    await fake.wait_for(lambda c: replies(mark, "Của tôi") == 4, after=mark, within=15)
    refused = [c.text for c in fake.calls[mark:] if "chưa được xử lý" in c.text]
    assert replies(mark, "Của tôi") == 4 and len(refused) == 2
    assert all("gửi lại sau khoảng" in text for text in refused)
