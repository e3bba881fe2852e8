"""Shared plumbing of the web console: templates, signed session cookie, CSRF, login guard.

Every web route uses `WebRoute`, which turns a missing login into a redirect to /login and a
`DomainError` into a Vietnamese HTML error page, whatever the API's JSON handlers do.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Depends, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import SessionDep, end_transaction, get_ctx
from api.limits import RateLimiter
from core.audit.labels import action_label, data_text, entity_label
from core.context import AppContext
from core.db import unit_of_work
from core.errors import DomainError, ErrorCode
from core.users.authz import ROLE_LABELS_VI
from core.users.enums import Role
from core.users.models import User
from core.web import service as web_service
from retrieval.excerpt import clip

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
SESSION_COOKIE = "troly_session"
PRELOGIN_COOKIE = "troly_prelogin"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
LOGIN_ATTEMPTS_PER_MINUTE = 10

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


# The console reads the composition root exactly as the API does.
ctx_of = get_ctx


class LoginRequired(Exception):
    """Raised by the guard; WebRoute answers with a redirect to the login page."""


class CsrfRejected(Exception):
    """Raised when a state-changing request lacks the session's CSRF token."""


def _sign(ctx: AppContext, value: str) -> str:
    key = ctx.settings.signing_key()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def sign_cookie(ctx: AppContext, raw_id: str) -> str:
    """Cookie value: the random session id plus an HMAC, so forged ids are dropped unread."""
    return f"{raw_id}.{_sign(ctx, 'session:' + raw_id)}"


def unsign_cookie(ctx: AppContext, value: str | None) -> str | None:
    """The raw session id of a well-signed cookie, else None."""
    if not value or "." not in value:
        return None
    raw_id, _, mac = value.rpartition(".")
    if not hmac.compare_digest(mac, _sign(ctx, "session:" + raw_id)):
        return None
    return raw_id


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    """HttpOnly, SameSite=Lax, Secure whenever the console is reached over HTTPS."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def prelogin_csrf(request: Request, response: Response | None = None) -> str:
    """CSRF token for the login forms (no session yet), tied to a random pre-login cookie."""
    ctx = ctx_of(request)
    nonce = request.cookies.get(PRELOGIN_COOKIE) or ""
    if len(nonce) < 20:
        nonce = secrets.token_urlsafe(24)
        if response is not None:
            set_cookie(request, response, PRELOGIN_COOKIE, nonce, 3600)
        request.state.new_prelogin = nonce
    return _sign(ctx, "prelogin:" + nonce)


def _login_limiter(request: Request) -> RateLimiter:
    state = request.app.state
    if not hasattr(state, "web_login_limiter"):
        state.web_login_limiter = RateLimiter("web-login", LOGIN_ATTEMPTS_PER_MINUTE)
    limiter: RateLimiter = state.web_login_limiter
    return limiter


async def check_prelogin_csrf(request: Request) -> None:
    """Reject a login POST whose token does not match the pre-login cookie, and slow down
    guessing: at most LOGIN_ATTEMPTS_PER_MINUTE sign-in attempts a minute per client address."""
    client = request.client.host if request.client else "?"
    if await _login_limiter(request).hit(ctx_of(request).shared, client) is not None:
        raise DomainError(ErrorCode.RATE_LIMITED)
    nonce = request.cookies.get(PRELOGIN_COOKIE) or ""
    form = await request.form()
    sent = str(form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or "")
    expected = _sign(ctx_of(request), "prelogin:" + nonce)
    if len(nonce) < 20 or not hmac.compare_digest(sent, expected):
        raise CsrfRejected()


@dataclass(frozen=True)
class WebAuth:
    """The signed-in person of this request and their session's CSRF token."""

    user: User
    csrf: str
    raw_session_id: str


async def _resolve(request: Request, session: AsyncSession) -> WebAuth | None:
    raw_id = unsign_cookie(ctx_of(request), request.cookies.get(SESSION_COOKIE))
    if raw_id is None:
        return None
    record = await web_service.resolve_session(session, raw_id=raw_id)
    if record is None:
        return None
    return WebAuth(user=record.user, csrf=record.csrf_token, raw_session_id=raw_id)


async def current_auth(request: Request, session: SessionDep) -> WebAuth:
    """The session cookie's signed-in person, or LoginRequired. Resolved in the request's own
    unit of work (api.deps.SessionDep), which the route then shares."""
    auth = await _resolve(request, session)
    if auth is None:
        raise LoginRequired()
    # The look-up is its own transaction, as a separate unit of work was: a route that still
    # opens one (the knowledge pages) must not wait behind SQLite's write lock held here.
    await end_transaction(session)
    return auth


async def checked_auth(
    request: Request, auth: Annotated[WebAuth, Depends(current_auth)]
) -> WebAuth:
    """Like current_auth, and the request must carry the session's CSRF token (form or header)."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        sent = str(form.get(CSRF_FIELD) or "")
    if not hmac.compare_digest(sent, auth.csrf):
        raise CsrfRejected()
    return auth


Viewer = Annotated[WebAuth, Depends(current_auth)]
Actor = Annotated[WebAuth, Depends(checked_auth)]


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def error_page(
    request: Request, status: int, message: str, auth: WebAuth | None = None
) -> Response:
    """A small Vietnamese error page with the menu (or a fragment, for htmx requests)."""
    name = "_error_fragment.html" if _is_htmx(request) else "error.html"
    response = templates.TemplateResponse(
        request, name, {"status": status, "message": message, "auth": auth}, status_code=status
    )
    if _is_htmx(request):
        # htmx ignores 4xx bodies by default; retarget so the message is actually shown.
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
        response.status_code = 200
    _harden(response)
    return response


async def html_error(request: Request, status: int, message: str) -> Response:
    """The error page for any console path, with the menu when someone is signed in (an
    unknown URL, a too-large upload, an unexpected failure, as well as the routes' own errors)."""
    # Its own unit of work: the request's one has been rolled back, or there was no route.
    try:
        async with unit_of_work(ctx_of(request).sessionmaker) as session:
            auth = await _resolve(request, session)
    except Exception:  # signed out, or the database is what failed: the page without a menu
        auth = None
    return error_page(request, status, message, auth)


def form_problem(
    errors: Sequence[Any], default: str = "Dữ liệu gửi lên chưa đủ hoặc không hợp lệ."
) -> str:
    """The console's words for invalid form input: the core.inputs reason when there is one."""
    for error in errors:
        if error.get("type") == "input_invalid":
            return f"Dữ liệu gửi lên không hợp lệ: nội dung {error['ctx']['reason']}."
    return default


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _depends_on(dependant: Dependant, guards: frozenset[Callable[..., Any]]) -> bool:
    return dependant.call in guards or any(_depends_on(d, guards) for d in dependant.dependencies)


class WebRoute(APIRoute):
    """Route class of the console: HTML answers for login, CSRF and domain errors.

    A state-changing route must depend on `checked_auth` (session + CSRF, e.g. via `Actor`) or,
    for the sign-in forms only, `check_prelogin_csrf`; registering one without fails at once.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        guards: frozenset[Callable[..., Any]] = frozenset({checked_auth, check_prelogin_csrf})
        methods = self.methods or set()
        if methods & UNSAFE_METHODS and not _depends_on(self.dependant, guards):
            raise TypeError(
                f"Console route {sorted(methods)} {path} changes state without the "
                "session and CSRF check: depend on Actor (checked_auth)."
            )

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                response = await handler(request)
            except LoginRequired:
                target = "/login?next=" + quote(request.url.path)
                if _is_htmx(request):
                    return Response(status_code=204, headers={"HX-Redirect": target})
                return RedirectResponse(target, status_code=303)
            except CsrfRejected:
                return await html_error(
                    request, 403, "Phiên làm việc không hợp lệ (CSRF). Hãy tải lại trang."
                )
            except DomainError as exc:
                return await html_error(request, exc.code.status, exc.message)
            except RequestValidationError as exc:
                # A missing or malformed form field: a page, not the API's JSON error.
                return await html_error(request, 422, form_problem(exc.errors()))
            nonce = getattr(request.state, "new_prelogin", None)
            if nonce:
                set_cookie(request, response, PRELOGIN_COOKIE, nonce, 3600)
            _harden(response)
            return response

        return run


def _harden(response: Response) -> None:
    # Everything is served from this origin; inline scripts and frames are never needed.
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if isinstance(response, HTMLResponse) or response.media_type == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")


def render(
    request: Request, name: str, auth: WebAuth | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render a template with the signed-in person, their CSRF token and the nav."""
    return templates.TemplateResponse(
        request, name, {"auth": auth, **context}, status_code=status_code
    )


def redirect(url: str) -> RedirectResponse:
    """Post/Redirect/Get."""
    return RedirectResponse(url, status_code=303)


# ---- formatting helpers exposed to templates ------------------------------------------------


def local_time(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A UTC timestamp in Vietnam's time zone."""
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime(fmt)


def role_label(role: str) -> str:
    """Vietnamese label of a role."""
    try:
        return ROLE_LABELS_VI[Role(role)]
    except ValueError:
        return role


templates.env.filters["vntime"] = local_time
templates.env.filters["action_label"] = action_label
templates.env.filters["entity_label"] = entity_label
templates.env.filters["audit_data"] = data_text
templates.env.filters["role_label"] = role_label
templates.env.filters["clip"] = clip
templates.env.globals["CSRF_FIELD"] = CSRF_FIELD
templates.env.globals["Role"] = Role
