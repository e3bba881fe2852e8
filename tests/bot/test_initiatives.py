"""/sangkien step by step with a photo, surviving a bot restart half-way; /cuatoi lists it."""

from __future__ import annotations

from botkit import BotRunner
from fake_telegram import FakeTelegram
from sqlalchemy import select

from bot.storage import DatabaseStorage
from core.context import AppContext
from core.db import unit_of_work
from core.initiatives.models import Initiative


async def test_initiative_with_photo_survives_restart(
    ctx: AppContext, people, fake: FakeTelegram
) -> None:
    cadre = people.fakes["cadre"]
    first = BotRunner(ctx, fake)
    await first.start()
    mark = fake.mark()
    await fake.send_text(cadre, "/sangkien")
    await fake.wait_message(cadre.id, "bước 1/5", after=mark)
    await fake.send_text(cadre, "Sổ tay điện tử tra cứu thủ tục hộ tịch")
    await fake.wait_message(cadre.id, "Bước 2/5", after=mark)
    await fake.send_text(cadre, "Người dân phải đi lại nhiều lần vì thiếu giấy tờ")
    await fake.wait_message(cadre.id, "Bước 3/5", after=mark)

    # The process stops mid-dialogue; a new dispatcher with a new storage object carries on.
    await first.stop()
    second = BotRunner(ctx, fake)
    await second.start(storage=DatabaseStorage(ctx.sessionmaker))
    try:
        mark = fake.mark()
        await fake.send_text(cadre, "Lập mã QR dẫn tới danh mục giấy tờ cho từng thủ tục")
        results = await fake.wait_message(cadre.id, "Bước 4/5", after=mark)
        assert results.buttons()[0]["text"] == "Xong phần kết quả"
        await fake.send_text(cadre, "Số lượt đi lại giảm một nửa sau ba tháng")
        await fake.wait_message(cadre.id, "1 đoạn mô tả, 0 tệp", after=mark)
        await fake.send_photo(
            cadre, b"\xff\xd8\xff fake jpeg", caption="Ảnh bảng mã QR tại bộ phận một cửa"
        )
        added = await fake.wait_message(cadre.id, "2 đoạn mô tả, 1 tệp", after=mark)
        await fake.press(cadre, added, "Xong phần kết quả")
        fields = await fake.wait_message(cadre.id, "lĩnh vực", after=mark)
        await fake.press(cadre, fields, "Chuyển đổi số")
        done = await fake.wait_message(cadre.id, "Đã ghi nhận sáng kiến", after=mark)

        async with unit_of_work(ctx.sessionmaker) as s:
            item = await s.scalar(select(Initiative))
        assert item is not None and item.number in done.text
        assert item.title == "Sổ tay điện tử tra cứu thủ tục hộ tịch"
        assert item.actions.startswith("Lập mã QR") and "giảm một nửa" in item.results
        assert item.field == "Chuyển đổi số"
        assert [a["kind"] for a in item.attachments] == ["photo"]

        mark = fake.mark()
        await fake.send_text(cadre, "/cuatoi")
        mine = await fake.wait_message(cadre.id, item.number, after=mark)
        assert "Đã nộp" in mine.text
    finally:
        await second.stop()
