"""Operations endpoints: /healthz (alive), /readyz (can serve correctly), /metrics
(Prometheus), and the middleware timing every request by route template.

They sit outside /api/v1 and the OpenAPI document. They reveal no secret and no question
text, but the reverse proxy should keep /metrics and /readyz on the internal network.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core import metrics
from core.context import AppContext
from core.logs import new_request_id, request_id
from retrieval.freshness import IndexLag

router = APIRouter(include_in_schema=False)


def _ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process runs and its event loop answers (no dependency is checked)."""
    return {"status": "ok"}


async def readiness(ctx: AppContext) -> tuple[bool, dict[str, Any]]:
    """Every check with its state, and the reasons (Vietnamese) the process is not ready."""
    reasons: list[str] = []
    checks: dict[str, Any] = {}
    try:
        async with ctx.sessionmaker() as session:
            await session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"error: {type(error).__name__}"
        reasons.append("Không kết nối được cơ sở dữ liệu.")
    status = ctx.retriever.status()
    checks["search_mode"] = status.mode
    checks["model"] = "loading" if status.model_loading else status.model
    if status.model_loading:
        reasons.append("Đang tải mô hình ngữ nghĩa (model loading): tạm thời chỉ tìm theo từ khóa.")
    if checks["database"] == "ok":
        lag = await ctx.retriever.lag()
        checks["index"] = {
            "kb_revision": lag.kb_revision,
            "index_revision": lag.index_revision,
            "revisions_behind": lag.revisions_behind,
            "catching_up": lag.catching_up,
            "chunks": status.chunks,
        }
        if lag.index_revision is None:
            reasons.append("Đang nạp chỉ mục tìm kiếm (index loading).")
        elif not lag.current:
            reasons.append(
                f"Chỉ mục tìm kiếm chậm {lag.revisions_behind} phiên bản so với cơ sở tri thức "
                "(đang cập nhật; tìm kiếm dùng chỉ mục nhất quán gần nhất)."
            )
    if ctx.settings.redis_url:
        try:
            await ctx.shared.ping()
            checks["redis"] = "ok"
        except Exception as error:
            checks["redis"] = f"error: {type(error).__name__}"
            reasons.append("Không kết nối được Redis.")
    return not reasons, {"ready": not reasons, "reasons": reasons, "checks": checks}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """200 when the database (and Redis, if configured) answer and the search index matches
    the knowledge base; 503 with the reasons otherwise."""
    ready, body = await readiness(_ctx(request))
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics")
async def prometheus_metrics(request: Request) -> Response:
    """Prometheus text format: request and search-stage latencies, queue and outbox figures,
    index lag, search mode and process memory."""
    ctx = _ctx(request)
    await metrics.refresh_queue_and_outbox(ctx.sessionmaker)
    await follow_index(ctx)
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


async def follow_index(ctx: AppContext) -> IndexLag:
    """Check the index against the knowledge base (starting a catch-up when behind) and
    record this process's index figures. Also run periodically, so the figures of a process
    that is not the one scraped stay current (`--workers N`)."""
    lag = await ctx.retriever.lag()
    status = ctx.retriever.status()
    metrics.set_index(
        kb_revision=lag.kb_revision,
        index_revision=lag.index_revision,
        catching_up=lag.catching_up,
        chunks=status.chunks,
        mode=status.mode,
        model_loading=status.model_loading,
    )
    return lag


class RequestMetricsMiddleware:
    """Observes every HTTP request's latency under its route template (/api/v1/cases/{case_id},
    never the concrete URL, so the label set stays small); unmatched paths share one label."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        offered = next((v for k, v in scope.get("headers", []) if k == b"x-request-id"), b"")
        rid = new_request_id(offered.decode("latin-1"))
        token = request_id.set(rid)

        async def tracking_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        finally:
            request_id.reset(token)
            seconds = time.perf_counter() - started
            metrics.observe_request(scope["method"], route_template(scope), status, seconds)


def route_template(scope: Scope) -> str:
    """The matched route's full template. The route may know only its path inside the router
    that included it ("/cases/{case_id}"), so the prefix is taken from the concrete path's
    leading segments ("/api/v1")."""
    tail = getattr(scope.get("route"), "path", None)
    if tail is None:
        return "(unmatched)"
    if ":path}" in tail:
        return str(tail)
    parts = str(scope.get("path", "")).split("/")
    keep = len(parts) - tail.count("/")
    return "/".join(parts[:keep]) + tail if keep > 0 else str(tail)
