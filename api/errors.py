"""One error format for every failure: `{"error": {"code", "message" (Vietnamese), "details"}}`.

DomainError, request validation, HTTP errors (404 route, 405, 413, ...) and unexpected
exceptions are all translated here; services never raise HTTP exceptions.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import DomainError, ErrorCode

log = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    """Machine-readable code, a Vietnamese message safe to show, optional details."""

    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["Không tìm thấy dữ liệu yêu cầu."])
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorResponse(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


INTERNAL_MESSAGE = "Hệ thống gặp lỗi ngoài dự kiến. Vui lòng thử lại sau hoặc báo quản trị viên."
VALIDATION_MESSAGE = "Dữ liệu gửi lên không hợp lệ"

# HTTP statuses raised by the framework itself (unknown route, wrong method, ...).
_HTTP_CODES: dict[int, tuple[str, str]] = {
    400: ("bad_request", "Yêu cầu không hợp lệ."),
    401: ("unauthenticated", ErrorCode.UNAUTHENTICATED.default_message),
    403: ("forbidden", ErrorCode.FORBIDDEN.default_message),
    404: ("not_found", "Không tìm thấy đường dẫn yêu cầu."),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ cho đường dẫn này."),
    413: ("too_large", ErrorCode.TOO_LARGE.default_message),
    415: ("unsupported_file", ErrorCode.UNSUPPORTED_FILE.default_message),
    429: ("rate_limited", ErrorCode.RATE_LIMITED.default_message),
}

# Vietnamese wording of pydantic's error types (the rest fall back to a generic phrase).
_VALIDATION_VI: dict[str, str] = {
    "missing": "thiếu trường bắt buộc",
    "string_too_short": "quá ngắn (tối thiểu {min_length} ký tự)",
    "string_too_long": "quá dài (tối đa {max_length} ký tự)",
    "too_short": "quá ít phần tử (tối thiểu {min_length})",
    "too_long": "quá nhiều phần tử (tối đa {max_length})",
    "greater_than": "phải lớn hơn {gt}",
    "greater_than_equal": "phải lớn hơn hoặc bằng {ge}",
    "less_than": "phải nhỏ hơn {lt}",
    "less_than_equal": "phải nhỏ hơn hoặc bằng {le}",
    "int_parsing": "phải là số nguyên",
    "int_type": "phải là số nguyên",
    "float_parsing": "phải là số",
    "float_type": "phải là số",
    "bool_parsing": "phải là true hoặc false",
    "bool_type": "phải là true hoặc false",
    "string_type": "phải là chuỗi ký tự",
    "list_type": "phải là danh sách",
    "dict_type": "phải là đối tượng JSON",
    "model_type": "phải là đối tượng JSON",
    "enum": "giá trị không hợp lệ (chấp nhận: {expected})",
    "literal_error": "giá trị không hợp lệ (chấp nhận: {expected})",
    "date_parsing": "phải là ngày dạng YYYY-MM-DD",
    "date_from_datetime_parsing": "phải là ngày dạng YYYY-MM-DD",
    "datetime_parsing": "phải là thời điểm dạng ISO 8601",
    "datetime_from_date_parsing": "phải là thời điểm dạng ISO 8601",
    "json_invalid": "JSON không hợp lệ",
    "extra_forbidden": "trường không được phép",
    "value_error": "giá trị không hợp lệ",
    "input_invalid": "{reason}",  # core.inputs checks (control characters, limits, years)
}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON body of an error response."""
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A JSON error response in the one format."""
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


# The web console's error page, registered on `app.state.html_error` when the console is part
# of the app: errors on console paths (anything outside /api) are pages with the menu.
HtmlError = Callable[[Request, int, str], Awaitable[Response]]


def _html_renderer(request: Request) -> HtmlError | None:
    if request.url.path.startswith("/api"):
        return None
    app = request.scope.get("app")
    render: HtmlError | None = getattr(app.state, "html_error", None) if app else None
    return render


async def error_answer(
    request: Request,
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The error in the one JSON format under /api, as the console's HTML page elsewhere."""
    render = _html_renderer(request)
    if render is not None:
        try:
            response = await render(request, status, message)
        except Exception:  # the page itself failed (e.g. no database): the JSON answer
            log.exception("error page failed on %s", request.url.path)
        else:
            response.headers.update(headers or {})
            return response
    return error_response(status, code, message, details, headers)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    # ("body", "question") -> "question"; ("query", "limit") -> "limit"
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "body"


def _vi(error: dict[str, Any]) -> str:
    kind = str(error.get("type"))
    if kind == "too_long" and isinstance(error.get("input"), str):
        kind = "string_too_long"  # a length bound on an optional checked string
    template = _VALIDATION_VI.get(kind, "giá trị không hợp lệ")
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return template.split(" (")[0]


def validation_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One Vietnamese message per invalid field."""
    return [
        {"field": _field(e.get("loc", ())), "type": str(e.get("type")), "message": _vi(e)}
        for e in errors
    ]


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = None
    if exc.code is ErrorCode.RATE_LIMITED and "retry_after" in exc.details:
        headers = {"Retry-After": str(exc.details["retry_after"])}
    if exc.code is ErrorCode.UNAUTHENTICATED:
        headers = {"WWW-Authenticate": "Bearer"}
    details = {k: v for k, v in exc.details.items()}
    return error_response(exc.code.status, exc.code.name.lower(), exc.message, details, headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = validation_details(list(exc.errors()))
    first = fields[0] if fields else None
    message = f"{VALIDATION_MESSAGE}: {first['field']} — {first['message']}." if first else ""
    return error_response(422, "invalid", message or f"{VALIDATION_MESSAGE}.", {"fields": fields})


_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> str:
    # The router names only the first route with this path (GET and POST are often two routes):
    # ask every route whether it would take the path with each method.
    routes = request.app.router.routes
    return ", ".join(
        method
        for method in _METHODS
        if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in routes)
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code, message = _HTTP_CODES.get(
        exc.status_code, ("http_error", "Yêu cầu không thực hiện được.")
    )
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    return await error_answer(request, exc.status_code, code, message, headers=headers)


class TrackedSend:
    """An ASGI `send` that notes whether the response has started: a middleware can answer a
    failure with a response of its own only before that."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        self.started = self.started or message["type"] == "http.response.start"
        await self._send(message)


class UnexpectedErrorMiddleware:
    """Answers an unexpected exception with the 500 error and does not re-raise it.

    Starlette's own last-resort handler re-raises after answering, and the server then closes
    the connection, so a keep-alive client's next request was reset. Outermost of our
    middlewares, so retries and idempotency still see the exception.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tracked = TrackedSend(send)
        try:
            await self.app(scope, receive, tracked)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if not tracked.started:  # else the answer is half sent; the server ends it
                answer = await error_answer(Request(scope), 500, "internal", INTERNAL_MESSAGE)
                await answer(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Register the translators on the app."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)


def _example(status: int, code: str, message: str) -> dict[str, Any]:
    return {
        "model": ErrorResponse,
        "description": message,
        "content": {"application/json": {"example": error_body(code, message)}},
    }


# Error responses documented on every /api/v1 route (OpenAPI), with examples.
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _example(400, *_HTTP_CODES[400]),
    401: _example(401, "unauthenticated", ErrorCode.UNAUTHENTICATED.default_message),
    403: _example(403, "forbidden", ErrorCode.FORBIDDEN.default_message),
    413: _example(413, "too_large", ErrorCode.TOO_LARGE.default_message),
    422: _example(422, "invalid", f"{VALIDATION_MESSAGE}: question — thiếu trường bắt buộc."),
    429: _example(429, "rate_limited", ErrorCode.RATE_LIMITED.default_message),
    500: _example(500, "internal", INTERNAL_MESSAGE),
    503: _example(503, "unavailable", "Hệ thống đang bận, vui lòng thử lại sau giây lát."),
}
NOT_FOUND_RESPONSE: dict[int | str, dict[str, Any]] = {
    404: _example(404, "not_found", ErrorCode.NOT_FOUND.default_message)
}
CONFLICT_RESPONSE: dict[int | str, dict[str, Any]] = {
    409: _example(409, "conflict", ErrorCode.CONFLICT.default_message)
}
