"""A long paste, which Telegram delivers in 4096-character parts, is one message with one reply
(issue 11, Telegram #3)."""

from __future__ import annotations

from fake_telegram import FakeTelegram

from core.context import AppContext

SENTENCE = "Công dân đề nghị xác nhận nơi cư trú để làm hồ sơ vay vốn ưu đãi tại ngân hàng. "


def _parts(length: int) -> list[str]:
    text = (SENTENCE * (length // len(SENTENCE) + 1))[:length]
    return [text[i : i + 4096] for i in range(0, length, 4096)]


async def test_a_long_paste_gets_one_clear_reply(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    cadre = people.fakes["cadre"]
    parts = _parts(10_000)
    assert [len(p) for p in parts] == [4096, 4096, 1808]
    mark = fake.mark()
    for part in parts:
        await fake.send_text(cadre, part)
    refused = await fake.wait_message(cadre.id, "vượt giới hạn", after=mark)
    assert "10000 ký tự" in refused.text
    assert "giữ nguyên" not in refused.text  # not in a form: no steps to keep
    await fake.send_text(cadre, "/trogiup")
    await fake.wait_message(cadre.id, "hướng dẫn nhanh", after=mark)
    sent = [c for c in fake.calls[mark:] if c.method == "sendMessage" and c.chat_id == cadre.id]
    assert [c.text for c in sent] == [refused.text, sent[-1].text]  # one reply per message

    # Inside a form the paste is refused once too, the step is kept, and the form goes on.
    mark = fake.mark()
    await fake.send_text(cadre, "/xinykien")
    await fake.wait_message(cadre.id, "mô tả tình huống", after=mark)
    for part in _parts(5_000):
        await fake.send_text(cadre, part)
    refused = await fake.wait_message(cadre.id, "vượt giới hạn", after=mark)
    assert "5000 ký tự" in refused.text and "giữ nguyên" in refused.text
    await fake.send_text(cadre, "Người dân xin xác nhận nơi cư trú để vay vốn, cần giấy tờ gì?")
    await fake.wait_message(cadre.id, "Bạn có muốn gửi kèm", after=mark)
    refusals = [c for c in fake.calls[mark:] if "vượt giới hạn" in c.text]
    assert len(refusals) == 1
