"""Web console fixtures: the real app served by uvicorn on a free port, headless Chromium,
and helpers to seed people through the services."""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.config import Settings
from core.context import AppContext
from core.db import create_engine, create_sessionmaker, unit_of_work
from core.users.enums import Role
from retrieval.embedder import load_embedder
from retrieval.service import Retriever
from tests.factories import Person, make_ladder, make_person

T = TypeVar("T")

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    """A running console; `ctx` lives on the server thread's event loop."""

    url: str
    thread: threading.Thread
    server: uvicorn.Server | None = None
    ctx: AppContext | None = None
    loop: asyncio.AbstractEventLoop | None = None
    error: list[BaseException] = field(default_factory=list)

    async def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await `coro` on the server's event loop: its engine and retriever belong there, and
        asyncpg connections used from a second loop fail (or crash the process)."""
        assert self.loop is not None
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        self.thread.join(timeout=30)


_EMBEDDER: list[Any] = []
_EMBEDDER_LOCK = threading.Lock()


async def _context(settings: Settings) -> AppContext:
    """AppContext as AppContext.create builds it, but the model is loaded once per session."""
    with _EMBEDDER_LOCK:
        if not _EMBEDDER:
            _EMBEDDER.append(await asyncio.to_thread(load_embedder, settings))
    engine = create_engine(settings.resolved_database_url)
    sessionmaker = create_sessionmaker(engine)
    retriever = Retriever(settings, sessionmaker, _EMBEDDER[0])
    await retriever.sync()
    return AppContext(settings, engine, sessionmaker, retriever)


def start_server(settings: Settings) -> LiveServer:
    """Serve create_app(ctx) in a background thread with its own event loop."""
    from api.main import create_app

    port = _free_port()
    ready = threading.Event()
    live = LiveServer(url=f"http://127.0.0.1:{port}", thread=threading.Thread())

    async def serve() -> None:
        ctx = await _context(settings)
        try:
            app = create_app(ctx)
            config = uvicorn.Config(
                app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"
            )
            live.server = uvicorn.Server(config)
            live.ctx = ctx
            live.loop = asyncio.get_running_loop()
            ready.set()
            await live.server.serve()
        finally:
            await ctx.close()

    def run() -> None:
        try:
            asyncio.run(serve())
        except BaseException as exc:  # surfaced by the fixture
            live.error.append(exc)
        finally:
            ready.set()

    live.thread = threading.Thread(target=run, daemon=True, name=f"web-{port}")
    live.thread.start()
    ready.wait(timeout=300)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not live.error:
        try:
            httpx.get(live.url + "/login", timeout=2)
            return live
        except httpx.TransportError:
            time.sleep(0.1)
    live.stop()
    raise RuntimeError(f"web server did not start: {live.error}")


@pytest.fixture
def live(settings: Settings) -> Iterator[LiveServer]:
    """The real app on 127.0.0.1 against this test's database."""
    server = start_server(settings)
    yield server
    server.stop()


@dataclass
class World:
    """Units and one person per role, created through the users service."""

    province_id: int
    commune_id: int
    people: dict[str, Person]


async def seed_world(sm: async_sessionmaker[AsyncSession]) -> World:
    """A province, a commune and an admin, supervisor, evaluator and cadre with tokens."""
    people: dict[str, Person] = {}
    async with unit_of_work(sm) as s:
        ladder = await make_ladder(
            s,
            province="Tỉnh Thử Nghiệm",
            department="Sở Nội vụ Thử Nghiệm",
            communes=[("UBND xã Hoà Bình", ["Công chức Văn phòng - Thống kê"])],
        )
        province, other, (commune,) = ladder.province_id, ladder.department_id, ladder.commune_ids
        assert other is not None
        plan: list[tuple[str, Role, int, dict[str, Any]]] = [
            ("Nguyễn Quản Trị", Role.ADMIN, province, {}),
            ("Lê Phụ Trách", Role.SUPERVISOR, commune, {"supervises": [commune]}),
            ("Phạm Đánh Giá", Role.EVALUATOR, other, {}),
            ("Trần Cán Bộ", Role.CADRE, commune, {"position": "Công chức Văn phòng - Thống kê"}),
        ]
        for number, (name, role, unit_id, extra) in enumerate(plan, start=1):
            people[str(role)] = await make_person(
                s,
                role=role,
                unit_id=unit_id,
                name=name,
                telegram_id=700000 + number,
                token="kiểm thử web",
                **extra,
            )
    return World(province, commune, people)


@pytest.fixture
async def world(sessionmaker: async_sessionmaker[AsyncSession]) -> World:
    return await seed_world(sessionmaker)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session (cookies are cleared per test)."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    if not Path(CHROMIUM).exists() or not Path(CHROMEDRIVER).exists():
        pytest.skip("Debian chromium / chromium-driver not installed")
    profile = tempfile.mkdtemp(prefix="troly-chromium-")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1000",
        "--lang=vi",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The shared browser with no cookies; a screenshot is kept after each test."""
    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})
    yield browser
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = request.node.name.replace("/", "_").replace("[", "-").replace("]", "")
    browser.save_screenshot(str(ARTIFACTS / f"{name}-final.png"))


def shot(driver: Any, name: str) -> None:
    """Save a named screenshot as a test artefact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


# ---- plain HTTP client against the same app (no browser) -------------------------------


@pytest.fixture
async def ctx(settings: Settings) -> AsyncIterator[AppContext]:
    """The real app context, lexical-only: these tests are about the web layer, not ranking."""
    engine = create_engine(settings.resolved_database_url)
    sessionmaker = create_sessionmaker(engine)
    retriever = Retriever(settings, sessionmaker, None)
    await retriever.sync()
    yield AppContext(settings, engine, sessionmaker, retriever)
    await engine.dispose()


@pytest.fixture
async def client(ctx: AppContext) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to create_app(ctx) in-process."""
    from api.main import create_app

    transport = httpx.ASGITransport(app=create_app(ctx))
    async with httpx.AsyncClient(transport=transport, base_url="http://console.test") as c:
        yield c


@pytest.fixture
async def people(ctx: AppContext) -> World:
    """One person per role, seeded through the users service."""
    return await seed_world(ctx.sessionmaker)


def csrf(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, html[:500]
    return match.group(1)


async def login(client: httpx.AsyncClient, token: str, next_path: str = "/") -> str:
    """Sign in with an API token; returns the session's CSRF token."""
    page = await client.get("/login")
    response = await client.post(
        "/login/token", data={"csrf_token": csrf(page.text), "token": token, "next": next_path}
    )
    assert response.status_code == 303, response.text
    home = await client.get("/try")
    assert home.status_code == 200
    return csrf(home.text)
