"""End-to-end bot fixtures: the fake Bot API server, a seeded context with the real retriever,
people in a small unit ladder, and a runner that polls with a real aiogram dispatcher."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from botkit import BotRunner
from fake_telegram import FakeTelegram, FakeUser
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.config import Settings
from core.context import AppContext
from core.db import unit_of_work
from core.users.enums import Role
from core.users.models import User
from knowledge import service as kb_service
from knowledge.importers import parse_file
from retrieval.embedder import Embedder, load_embedder
from retrieval.service import Retriever
from tests.factories import make_ladder, make_person

DATA = Path(__file__).parent / "data"
POSITIONS = ["Công chức Tư pháp - Hộ tịch", "Công chức Văn phòng - Thống kê"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that load the real embedding model are marked slow."""
    here = Path(__file__).parent
    for item in items:
        if "embedder" in getattr(item, "fixturenames", ()) and here in item.path.parents:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def embedder(models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    """The real embedding model, loaded once for all bot tests."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("emb"), models_dir=models_dir)
    loaded = load_embedder(settings)
    if loaded is None:
        pytest.skip(f"embedding model not built in {models_dir} (run `troly models install`)")
    return loaded


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def bot_settings(settings: Settings, fake: FakeTelegram) -> Settings:
    return settings.model_copy(
        update={
            "bot_token": SecretStr(fake.token),
            "telegram_api": fake.base_url,
            "worker_interval_seconds": 0.2,
            "outbox_backoff_seconds": 0.2,
            "rate_limit_per_minute": 1000,
        }
    )


@pytest.fixture
async def ctx(
    bot_settings: Settings,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    embedder: Embedder,
) -> AppContext:
    """Context over the test database, with the sample regulation imported and indexed."""
    async with unit_of_work(sessionmaker) as session:
        parsed = parse_file((DATA / "quy_che_mau.md").read_bytes(), "quy_che_mau.md")
        await kb_service.import_parsed(session, parsed)
    retriever = Retriever(bot_settings, sessionmaker, embedder)
    await retriever.sync()
    return AppContext(bot_settings, engine, sessionmaker, retriever)


@dataclass
class People:
    """A province above a commune, and Telegram identities for the tests."""

    province_id: int
    commune_id: int
    users: dict[str, User] = field(default_factory=dict)
    fakes: dict[str, FakeUser] = field(default_factory=dict)


@pytest.fixture
async def people(ctx: AppContext) -> People:
    """Cadre, two commune supervisors, one province supervisor and an admin, all registered."""
    async with unit_of_work(ctx.sessionmaker) as s:
        ladder = await make_ladder(
            s, province="Tỉnh Thử Nghiệm", communes=[("Xã An Bình", POSITIONS)]
        )
        province, (commune,) = ladder.province_id, ladder.commune_ids
        result = People(province, commune)
        specs = [
            ("cadre", "Nguyễn Thị Cán Bộ", Role.CADRE, commune, 1001),
            ("sup1", "Trần Văn Phụ Trách", Role.SUPERVISOR, commune, 2001),
            ("sup2", "Lê Thị Giám Sát", Role.SUPERVISOR, commune, 2002),
            ("prov", "Phạm Văn Tỉnh", Role.SUPERVISOR, province, 3001),
            ("admin", "Hoàng Quản Trị", Role.ADMIN, province, 4001),
        ]
        for key, name, role, unit_id, tg in specs:
            position = POSITIONS[0] if role == Role.CADRE else None
            person = await make_person(
                s, role=role, unit_id=unit_id, name=name, position=position, telegram_id=tg
            )
            result.users[key] = person.user
            result.fakes[key] = FakeUser(tg, name.split()[-1])
    return result


@pytest.fixture
async def runner(ctx: AppContext, fake: FakeTelegram) -> AsyncIterator[BotRunner]:
    bot_runner = BotRunner(ctx, fake)
    await bot_runner.start()
    yield bot_runner
    await bot_runner.stop()
