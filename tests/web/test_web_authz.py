"""Authorization by construction in the console: every state-changing route checks the session
and its CSRF token, and a route that does not cannot even be registered."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute

from api.main import create_app
from api.web.common import UNSAFE_METHODS, Actor, Viewer, WebRoute, check_prelogin_csrf
from core.config import Settings
from tests.web.conftest import World, login

LOGIN_FORMS = {"/login/code/request", "/login/code", "/login/token"}


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every route with its full path, through included routers (eager or lazily included)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):
            inner = prefix + (route.include_context.prefix or "")
            yield from _walk(route.original_router.routes, inner)


def _console_routes() -> list[tuple[str, str, APIRoute]]:
    app = create_app(settings=Settings())
    found = []
    for path, route in _walk(app.routes):
        if path.startswith("/api/"):
            continue
        for method in sorted((route.methods or set()) & UNSAFE_METHODS):
            found.append((method, path, route))
    return found


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_a_state_changing_console_route_without_the_csrf_check_cannot_be_registered() -> None:
    router = APIRouter(route_class=WebRoute)

    async def unsafe(request: Request, auth: Viewer) -> None:  # session, but no CSRF check
        return None

    async def bare(request: Request) -> None:
        return None

    for method in sorted(UNSAFE_METHODS):
        with pytest.raises(TypeError, match="CSRF"):
            router.add_api_route("/x", unsafe, methods=[method])
        with pytest.raises(TypeError, match="CSRF"):
            router.add_api_route("/y", bare, methods=[method])

    async def checked(request: Request, auth: Actor) -> None:
        return None

    router.add_api_route("/ok", checked, methods=["POST"])
    router.add_api_route("/page", bare, methods=["GET"])  # reading needs no CSRF


def test_prelogin_forms_are_the_only_exception() -> None:
    router = APIRouter(route_class=WebRoute)

    async def form(request: Request) -> None:
        return None

    router.add_api_route(
        "/login/other", form, methods=["POST"], dependencies=[Depends(check_prelogin_csrf)]
    )


async def test_every_console_post_is_refused_without_session_and_without_csrf(
    client: httpx.AsyncClient, people: World
) -> None:
    routes = _console_routes()
    assert len(routes) >= 30, [p for _, p, _ in routes]
    for _, path, route in routes:
        assert isinstance(route, WebRoute), f"{path} is not a WebRoute"

    # Signed out: a redirect to the login page (or, for the sign-in forms, a CSRF refusal).
    for method, path, _ in routes:
        response = await client.request(method, _url(path), data={"x": "1"})
        if path in LOGIN_FORMS:
            assert response.status_code == 403, (method, path, response.status_code)
        else:
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["location"].startswith("/login"), path

    # Signed in as an admin, but without the session's CSRF token (or with a wrong one): 403.
    admin_token = people.people["admin"].token
    assert admin_token is not None
    token = await login(client, admin_token)
    for method, path, _ in routes:
        for data in ({"x": "1"}, {"csrf_token": "wrong" + token[5:]}):
            response = await client.request(method, _url(path), data=data)
            assert response.status_code == 403, (method, path, response.status_code)
            assert "CSRF" in response.text, path
    # The session is still fine: the refusals above were about the token, not the sign-in.
    assert (await client.get("/try")).status_code == 200
