"""FastAPI dependencies: the app context, one unit of work per request, the bearer-token user."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from api.limits import RateLimiter
from core.context import AppContext
from core.db import unit_of_work
from core.errors import DomainError, ErrorCode
from core.users import service as user_service
from core.users.access import require_role
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


async def get_session(ctx: CtxDep) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the route returns, rolled back on error."""
    async with unit_of_work(ctx.sessionmaker) as session:
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
            ErrorCode.UNAUTHENTICATED, "Mã truy cập không hợp lệ, đã bị thu hồi hoặc bị khoá."
        )
    wait = get_limiter(request).hit(user.id)
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
