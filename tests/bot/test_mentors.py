"""On-the-spot support end to end over HTTP: an experienced official volunteers with
/dongnghiep; a cadre of the same position whose question is not covered taps 🤝, picks them,
and gets their reply marked as peer advice, with the formal xin ý kiến one tap away."""

from __future__ import annotations

from fake_telegram import FakeTelegram, FakeUser

from core.context import AppContext
from core.db import unit_of_work
from core.users.enums import Role
from tests.factories import make_person


async def test_peer_advice_from_a_not_covered_answer(
    ctx: AppContext, people, fake: FakeTelegram, runner
) -> None:
    cadre = people.fakes["cadre"]
    async with unit_of_work(ctx.sessionmaker) as s:
        await make_person(
            s, role=Role.CADRE, unit_id=people.commune_id, name="Vũ Thị Lâu Năm",
            position=people.users["cadre"].position, telegram_id=1003,
        )  # fmt: skip
    mentor = FakeUser(1003, "Năm")
    mark = fake.mark()
    await fake.send_text(mentor, "/dongnghiep")
    offer = await fake.wait_message(mentor.id, "Bạn có thể nhận hỗ trợ", after=mark)
    await fake.press(mentor, offer, "Nhận hỗ trợ")
    await fake.wait_message(mentor.id, "Bạn đang nhận hỗ trợ", after=mark)

    ctx.settings.novel_threshold = 1.01  # nothing counts as covered
    await fake.send_text(cadre, "thủ tục cấp phép nuôi ong lấy mật ở xã như thế nào")
    answer = await fake.wait_message(cadre.id, "chưa có hướng dẫn rõ", after=mark)
    labels = [b["text"] for b in answer.buttons()]
    assert labels[0].startswith("❓") and labels[1].startswith("🤝")  # formal route first
    await fake.press(cadre, answer, "Hỏi đồng nghiệp")
    listed = await fake.wait_message(cadre.id, "Chọn một đồng nghiệp", after=mark)
    assert "không chính thức" in listed.text
    await fake.press(cadre, listed, "Vũ Thị Lâu Năm")
    await fake.wait_message(cadre.id, "Đã gửi câu hỏi tới", after=mark)

    asked = await fake.wait_message(mentor.id, "Đồng nghiệp hỏi ý kiến", after=mark)
    assert "nuôi ong" in asked.text and "Nguyễn Thị Cán Bộ" in asked.text
    await fake.press(mentor, asked, "Trả lời")
    await fake.wait_message(mentor.id, "Gõ ý kiến", after=mark)
    await fake.send_text(mentor, "Xã tôi hướng dẫn đăng ký qua hợp tác xã, không cần giấy phép.")
    await fake.wait_message(mentor.id, "Đã gửi ý kiến", after=mark)

    advice = await fake.wait_message(cadre.id, "Ý kiến tham khảo", after=mark)
    assert "hợp tác xã" in advice.text and "không phải ý kiến của cấp trên" in advice.text
    await fake.press(cadre, advice, "Xin ý kiến chính thức")
    await fake.wait_message(cadre.id, "Xác nhận gửi xin ý kiến", after=mark)
