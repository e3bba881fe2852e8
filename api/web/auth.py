"""Sign-in (one-time code from the bot, or an API token) and sign-out."""

from __future__ import annotations

import unicodedata
from typing import Annotated
from urllib.parse import unquote, urlsplit

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import SessionDep
from api.web.common import (
    SESSION_COOKIE,
    Actor,
    WebRoute,
    check_prelogin_csrf,
    ctx_of,
    prelogin_csrf,
    redirect,
    render,
    set_cookie,
    sign_cookie,
)
from core.errors import DomainError
from core.inputs import Line
from core.users import tokens as token_service
from core.users.models import User
from core.web import service as web_service

router = APIRouter(route_class=WebRoute)

PreloginChecked = Depends(check_prelogin_csrf)


def _unsafe(char: str) -> bool:
    # Browsers drop whitespace and control characters and read a backslash as a slash.
    return char == "\\" or char.isspace() or unicodedata.category(char) == "Cc"


def _safe_next(target: str | None) -> str:
    """`target` when it is a path on this site, else "/": no open redirect after sign-in."""
    if not target or not target.startswith("/"):
        return "/"
    decoded = target
    for _ in range(3):  # double-encoded input decodes again
        decoded = unquote(decoded)
    if decoded.startswith("//") or any(_unsafe(c) for c in decoded):
        return "/"
    parts = urlsplit(decoded)
    return "/" if parts.scheme or parts.netloc else target


def _login_page(
    request: Request,
    *,
    next_url: str,
    step: str = "start",
    error: str = "",
    status: int = 200,
    code: str = "",
) -> HTMLResponse:
    return render(
        request,
        "login.html",
        None,
        status_code=status,
        login_csrf=prelogin_csrf(request),
        next_url=_safe_next(next_url),
        step=step,
        error=error,
        code=code,
    )


@router.get("/login")
async def login_form(request: Request, next: str = "/", code: Line = "") -> HTMLResponse:
    """The sign-in page; `code` pre-fills a one-time code handed out by an admin (signing in
    still takes a press, so a link preview cannot use the code up)."""
    return _login_page(
        request, next_url=next, code=web_service.normalize_code(code)[: web_service.CODE_LENGTH]
    )


async def _sign_in(
    request: Request, session: AsyncSession, user: User, via: str, next_url: str
) -> Response:
    ctx = ctx_of(request)
    opened = await web_service.open_session(session, settings=ctx.settings, user=user, via=via)
    response = redirect(_safe_next(next_url))
    set_cookie(
        request,
        response,
        SESSION_COOKIE,
        sign_cookie(ctx, opened.raw_id),
        ctx.settings.web_session_hours * 3600,
    )
    return response


@router.post("/login/code/request", dependencies=[PreloginChecked])
async def request_code(
    request: Request,
    session: SessionDep,
    telegram_id: Annotated[Line, Form()],
    next: Annotated[str, Form()] = "/",
) -> HTMLResponse:
    """Ask the bot to send a one-time code; the answer never reveals whether the user exists."""
    ctx = ctx_of(request)
    if not telegram_id.strip().isdigit():
        return _login_page(request, next_url=next, error="Telegram ID gồm các chữ số.", status=422)
    await web_service.request_login_code(
        session, settings=ctx.settings, telegram_id=int(telegram_id.strip())
    )
    return _login_page(request, next_url=next, step="code")


@router.post("/login/code", dependencies=[PreloginChecked])
async def login_with_code(
    request: Request,
    session: SessionDep,
    code: Annotated[Line, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Redeem a one-time code and open a session."""
    ctx = ctx_of(request)
    try:
        user = await web_service.redeem_login_code(session, settings=ctx.settings, code=code)
    except DomainError as exc:
        return _login_page(request, next_url=next, step="code", error=exc.message, status=401)
    return await _sign_in(request, session, user, "code", next)


@router.post("/login/token", dependencies=[PreloginChecked])
async def login_with_token(
    request: Request,
    session: SessionDep,
    token: Annotated[Line, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Open a session with an API token (the same tokens the REST API accepts)."""
    user = await token_service.authenticate_token(session, token.strip())
    if user is None:
        return _login_page(
            request,
            next_url=next,
            error="Mã truy cập không đúng hoặc đã bị thu hồi.",
            status=401,
        )
    return await _sign_in(request, session, user, "token", next)


@router.post("/logout")
async def logout(request: Request, auth: Actor, session: SessionDep) -> Response:
    """End the session on the server and drop the cookie."""
    await web_service.close_session(session, raw_id=auth.raw_session_id)
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
