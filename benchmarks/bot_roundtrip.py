"""Bot round trip: question sent to a fake Bot API → cited answer received (real aiogram,
real dispatcher, SQLite, real retrieval with the installed model). Prints p50/p95 in ms.

    .venv/bin/python benchmarks/bot_roundtrip.py [--questions 30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pydantic import SecretStr

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "bot"))

from fake_telegram import FakeTelegram, FakeUser  # noqa: E402

from bot.main import create_bot, create_dispatcher  # noqa: E402
from core.config import Settings  # noqa: E402
from core.context import AppContext  # noqa: E402
from core.db import unit_of_work  # noqa: E402
from core.users import service as user_service  # noqa: E402
from core.users.enums import Role, UnitKind  # noqa: E402
from core.users.schemas import UnitCreate  # noqa: E402
from knowledge import service as kb_service  # noqa: E402

QUESTIONS = [
    "cán bộ xã nghỉ phép hằng năm được bao nhiêu ngày",
    "thủ tục chứng thực bản sao từ bản chính",
    "xử lý tình huống mới chưa có quy định thì làm gì",
    "tiêu chí đánh giá sáng kiến gồm những gì",
    "khung năng lực công chức văn phòng thống kê",
]


async def main(n: int) -> None:
    fake = FakeTelegram()
    await fake.start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp), models_dir=REPO / "data" / "models",
            bot_token=SecretStr(fake.token), telegram_api=fake.base_url,
            rate_limit_per_minute=10_000,
        )  # fmt: skip
        ctx = await AppContext.create(settings)
        async with unit_of_work(ctx.sessionmaker) as s:
            await kb_service.seed_if_empty(s)
            unit = await user_service.create_unit(
                s, data=UnitCreate(name="Xã Đo", kind=UnitKind.COMMUNE), actor_id=None
            )
            await user_service.create_user(
                s, full_name="Người Đo", role=Role.CADRE, unit_id=unit.id, actor_id=None,
                telegram_id=1, chat_id=1,
            )  # fmt: skip
        await ctx.retriever.sync()
        bot = create_bot(settings)
        dp = create_dispatcher(ctx)
        task = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
        await fake.wait_polling()
        user, times = FakeUser(1), []
        for i in range(n):
            mark = fake.mark()
            start = time.perf_counter()
            await fake.send_text(user, QUESTIONS[i % len(QUESTIONS)])
            await fake.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == 1, after=mark)
            times.append((time.perf_counter() - start) * 1000)
        await dp.stop_polling()
        await task
        await ctx.close()
    await fake.stop()
    times.sort()
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    p50 = statistics.median(times)
    print(f"mode={ctx.retriever.mode} questions={n} p50={p50:.0f} ms p95={p95:.0f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=30)
    asyncio.run(main(parser.parse_args().questions))
