"""FastAPI dependencies: the app context, one unit of work per request, the bearer-token user."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from api.limits import RateLimiter
from core.context import AppContext
from core.db import create_sessionmaker, unit_of_work
from core.errors import DomainError, ErrorCode
from core.users import service as user_service
from core.users.authz import require_role
from core.users.enums import Role
from core.users.models import User


def get_ctx(request: Request) -> AppContext:
    """The composition root the app was created with (or that its lifespan created)."""
    ctx = getattr(request.app.state, "ctx", None)
    if ctx is None:
        raise DomainError(ErrorCode.UNAVAILABLE)
    assert isinstance(ctx, AppContext)
    return ctx


CtxDep = Annotated[AppContext, Depends(get_ctx)]


def read_sessionmaker(url: str) -> async_sessionmaker[AsyncSession] | None:
    """For SQLite, sessions whose transactions start DEFERRED, used by GET requests.

    The main engine begins every transaction IMMEDIATE (taking SQLite's single write lock), which
    is right for writers but would queue every read behind every write. In WAL mode a deferred
    reader sees the last committed state and neither waits for nor blocks the writer. A GET that
    does write (rare: a first-use default) still works; SQLite upgrades its lock on that write.
    Connections are not pooled, so nothing outlives a request. None for other databases.
    """
    if not url.startswith("sqlite"):
        return None
    engine = create_async_engine(url, connect_args={"timeout": 30}, poolclass=NullPool)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy, not pysqlite, opens transactions
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")

    return create_sessionmaker(engine)


async def get_session(request: Request, ctx: CtxDep) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the route returns, rolled back on error."""
    maker = ctx.sessionmaker
    readers = getattr(request.app.state, "read_sessionmaker", None)
    if readers is not None and request.method in ("GET", "HEAD"):
        maker = readers
    async with unit_of_work(maker) as session:
        yield session


# scope="function": the commit happens before the response is sent, so a client that got a
# 2xx can rely on the change being durable (and a failed commit becomes an error response).
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def end_transaction(session: AsyncSession) -> None:
    """Commit what the request did so far, before the retriever opens its own session.

    SQLite has one writer and every transaction takes the write lock up front, so a second
    session opened while this one is in a transaction would wait for it forever.
    The session stays usable: its next statement starts a new transaction.
    """
    await session.commit()


async def publish_to_search(session: AsyncSession, ctx: AppContext) -> None:
    """Commit a knowledge-base change, then bring the search index up to it, so the change is
    searchable when the request answers (commit first: see `end_transaction`)."""
    await end_transaction(session)
    await ctx.retriever.sync()


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="BearerToken",
    description="Mã truy cập cấp bằng `troly users token` hoặc `POST /api/v1/users/{id}/tokens`.",
)


def get_limiter(request: Request) -> RateLimiter:
    """The app's per-user rate limiter."""
    limiter = request.app.state.limiter
    assert isinstance(limiter, RateLimiter)
    return limiter


async def get_current_user(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    """The active user owning the bearer token; 401 without one, 429 when over the rate."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise DomainError(ErrorCode.UNAUTHENTICATED)
    user = await user_service.authenticate_token(session, credentials.credentials)
    if user is None:
        raise DomainError(
            ErrorCode.UNAUTHENTICATED, "Mã truy cập không hợp lệ, đã bị thu hồi hoặc bị khóa."
        )
    wait = await get_limiter(request).hit(get_ctx(request).shared, user.id)
    if wait is not None:
        raise DomainError(ErrorCode.RATE_LIMITED, retry_after=math.ceil(wait))
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def roles(*allowed: Role) -> Callable[[User], Awaitable[User]]:
    """A dependency admitting only users with one of `allowed` roles (403 otherwise)."""

    async def dependency(user: CurrentUser) -> User:
        return require_role(user, *allowed)

    return dependency


AdminUser = Annotated[User, Depends(roles(Role.ADMIN))]
StaffUser = Annotated[User, Depends(roles(Role.SUPERVISOR, Role.ADMIN))]


class PageParams(BaseModel):
    """Pagination parameters."""

    limit: int
    offset: int


def page_params(
    limit: Annotated[int, Query(ge=1, le=200, description="Số mục mỗi trang")] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Bỏ qua bao nhiêu mục")] = 0,
) -> PageParams:
    """`limit` (1-200, default 50) and `offset` query parameters."""
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(page_params)]
