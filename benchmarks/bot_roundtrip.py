"""Bot round trip: question sent to a fake Bot API → cited answer received (real aiogram,
real dispatcher, SQLite, real retrieval with the installed model). Prints p50/p95 in ms.

    .venv/bin/python benchmarks/bot_roundtrip.py [--questions 30] [--users 50] [--quick]

With `--users N` the same questions are first asked by one user alone, then by N users at
once (each user asks `--questions` in turn), and the N-user p50/p95 are also given as a ratio
to the one-user p50 of the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
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

MODELS = Path(os.environ.get("TROLY_MODELS_DIR", REPO / "data" / "models"))
QUESTIONS = [
    "cán bộ xã nghỉ phép hằng năm được bao nhiêu ngày",
    "thủ tục chứng thực bản sao từ bản chính",
    "xử lý tình huống mới chưa có quy định thì làm gì",
    "tiêu chí đánh giá sáng kiến gồm những gì",
    "khung năng lực công chức văn phòng thống kê",
]


def pct(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def ask(fake: FakeTelegram, user_id: int, n: int, times: list[float]) -> None:
    """One user asks `n` questions one after another, each until its answer arrives."""
    user = FakeUser(user_id)
    for i in range(n):
        mark = fake.mark()
        start = time.perf_counter()
        await fake.send_text(user, QUESTIONS[(i + user_id) % len(QUESTIONS)])
        await fake.wait_for(
            lambda c: c.method == "sendMessage" and c.chat_id == user_id, after=mark, within=120
        )
        times.append((time.perf_counter() - start) * 1000)


async def main(n: int, users: int) -> None:
    fake = FakeTelegram()
    await fake.start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp), models_dir=MODELS,
            bot_token=SecretStr(fake.token), telegram_api=fake.base_url,
            rate_limit_per_minute=10_000,
        )  # fmt: skip
        ctx = await AppContext.create(settings)
        async with unit_of_work(ctx.sessionmaker) as s:
            await kb_service.seed_if_empty(s)
            unit = await user_service.create_unit(
                s, data=UnitCreate(name="Xã Đo", kind=UnitKind.COMMUNE), actor=None
            )
            for uid in range(1, users + 1):
                await user_service.create_user(
                    s, full_name=f"Người Đo {uid}", role=Role.CADRE, unit_id=unit.id,
                    actor=None, telegram_id=uid, chat_id=uid,
                )  # fmt: skip
        await ctx.retriever.sync()
        bot = create_bot(settings)
        dp = create_dispatcher(ctx)
        task = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
        await fake.wait_polling()
        alone: list[float] = []
        await ask(fake, 1, n, alone)
        together: list[float] = []
        started = time.perf_counter()
        if users > 1:
            await asyncio.gather(*(ask(fake, uid, n, together) for uid in range(1, users + 1)))
        elapsed = time.perf_counter() - started
        await dp.stop_polling()
        await task
        await ctx.close()
    await fake.stop()
    p50 = statistics.median(alone)
    print(
        f"mode={ctx.retriever.mode} 1 user: questions={n} p50={p50:.0f} ms "
        f"p95={pct(alone, 0.95):.0f} ms"
    )
    if together:
        m50, m95 = statistics.median(together), pct(together, 0.95)
        print(
            f"{users} users: questions={len(together)} {len(together) / elapsed:.1f} answers/s "
            f"p50={m50:.0f} ms ({m50 / p50:.1f}x) p95={m95:.0f} ms ({m95 / p50:.1f}x the 1-user "
            f"p50) max={max(together):.0f} ms (load average {os.getloadavg()[0]:.1f})"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=30)
    parser.add_argument("--users", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="5 questions per user, 10 users")
    args = parser.parse_args()
    if args.quick:
        args.questions, args.users = 5, min(args.users, 10) if args.users > 1 else 1
    asyncio.run(main(args.questions, args.users))
