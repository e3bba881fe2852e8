"""The FastAPI app: REST API under /api/v1 (and the web console when `api.web` is present)."""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from api.deps import read_sessionmaker
from api.errors import COMMON_RESPONSES, UnexpectedErrorMiddleware, install_error_handlers
from api.health import RequestMetricsMiddleware, follow_index
from api.health import router as health_router
from api.limits import BodyLimitMiddleware, IdempotencyMiddleware, RateLimiter
from api.retry import RetryMiddleware
from api.routes import (
    cases,
    drills,
    invites,
    knowledge,
    precedents,
    recognition,
    search,
    stats,
    tasks,
    units,
    users,
)
from core import metrics
from core.config import Settings, get_settings
from core.context import AppContext
from retrieval.freshness import watch

API_PREFIX = "/api/v1"

DESCRIPTION = """
REST API của **Trợ lý Cơ sở**: tra cứu có trích dẫn, hàng đợi xin ý kiến nhanh, tiền lệ,
kho tri thức, đơn vị, người dùng, lời mời và thống kê.

* Xác thực: `Authorization: Bearer <mã truy cập>` (cấp bằng `troly users token`).
* Vai trò: `cadre`, `supervisor`, `evaluator`, `admin`.
* Mọi lỗi có dạng `{"error": {"code", "message", "details"}}`, `message` bằng tiếng Việt.
* Gửi lại an toàn: các yêu cầu tạo mới nhận header `Idempotency-Key`; gửi lại cùng khóa sẽ
  nhận đúng phản hồi lần đầu.
"""

TAGS = [
    {"name": "search", "description": "Tra cứu kho tri thức, có trích dẫn."},
    {"name": "cases", "description": "Hàng đợi xin ý kiến nhanh."},
    {"name": "precedents", "description": "Đề xuất tiền lệ chờ phê duyệt."},
    {"name": "knowledge", "description": "Văn bản trong kho tri thức và chỉ mục tìm kiếm."},
    {"name": "units", "description": "Đơn vị hành chính và tuyến chuyển cấp trên."},
    {"name": "users", "description": "Người dùng, vai trò, mã truy cập."},
    {"name": "invites", "description": "Mã mời đăng ký qua Telegram."},
    {"name": "stats", "description": "Thống kê hàng đợi và câu hỏi."},
    {"name": "initiatives", "description": "Sáng kiến và đánh giá theo tiêu chí."},
    {"name": "tasks", "description": "Danh mục việc khó và người chịu trách nhiệm."},
    {"name": "recognition", "description": "Biểu dương kịp thời và hồ sơ công vụ."},
    {"name": "drills", "description": "Luyện tập tình huống và chủ đề còn yếu."},
]


def _optional_router(module_name: str) -> APIRouter | None:
    """`module.router` when another owner's module exists (initiatives API, web console)."""
    if importlib.util.find_spec(module_name) is None:
        return None
    router = getattr(importlib.import_module(module_name), "router", None)
    return router if isinstance(router, APIRouter) else None


def api_router() -> APIRouter:
    """Every /api/v1 resource router, with the common error responses documented."""
    router = APIRouter(prefix=API_PREFIX, responses=COMMON_RESPONSES)
    for module in (
        search,
        cases,
        precedents,
        knowledge,
        units,
        users,
        invites,
        stats,
        tasks,
        recognition,
        drills,
    ):
        router.include_router(module.router)
    initiatives = _optional_router("api.routes.initiatives")
    if initiatives is not None:
        router.include_router(initiatives)
    return router


def create_app(ctx: AppContext | None = None, settings: Settings | None = None) -> FastAPI:
    """The app. With `ctx` (tests, `troly run`) it is used as is and left open; without, the
    lifespan creates one from `settings` (default: the environment) and closes it at exit."""
    settings = ctx.settings if ctx is not None else (settings or get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if ctx is not None:
            yield
            return
        # Serve at once: the index on disk is used (lexical-only until the model has loaded in
        # the background) while a background catch-up (and then a watcher following other
        # replicas' imports) brings it up to date; /readyz tells.
        own = await AppContext.create(settings, sync_index=False, model_in_background=True)
        app.state.ctx = own
        stop = asyncio.Event()
        watcher = asyncio.create_task(
            watch(lambda: follow_index(own), stop, settings.worker_interval_seconds)
        )
        try:
            yield
        finally:
            stop.set()
            await watcher
            await own.retriever.catchup.stop()
            await own.retriever.model_load.stop()
            await own.close()
            metrics.process_exit()

    app = FastAPI(
        title="Trợ lý Cơ sở API",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.state.settings = settings
    app.state.read_sessionmaker = read_sessionmaker(settings.resolved_database_url)
    app.state.limiter = RateLimiter("api", settings.api_rate_limit_per_minute)
    install_error_handlers(app)
    app.include_router(health_router)
    app.include_router(api_router())
    web = _optional_router("api.web")
    if web is not None:
        app.include_router(web)
        # Errors outside /api (unknown page, 413, 500) are console pages with the menu.
        app.state.html_error = importlib.import_module("api.web").html_error
    # Run-time order, outermost first: request timing, the 500 answer for anything unexpected,
    # size limit (on the raw stream), idempotency (remembers only the final answer), retry of
    # rolled-back transactions, then the routes.
    app.add_middleware(RetryMiddleware)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        upload_limit=settings.max_upload_bytes,
        json_limit=settings.max_json_bytes,
    )
    app.add_middleware(UnexpectedErrorMiddleware)
    app.add_middleware(RequestMetricsMiddleware)  # outermost: sees every final status
    return app
