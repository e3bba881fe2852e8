"""After sign-in the console only redirects to a path on this site (no open redirect)."""

from __future__ import annotations

import httpx
import pytest

from api.web.auth import _safe_next
from tests.web.conftest import World, csrf

HOSTILE = [
    "/\\evil.example",
    "/%09/evil.example",
    "/%5Cevil.example",
    "/%2F/evil.example",
    "/%252F%252Fevil.example",
    "//evil.example",
    "/\t/evil.example",
    "https://evil.example",
    "/\u3000/evil.example",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_next_falls_back_to_home(target: str) -> None:
    assert _safe_next(target) == "/"


def test_site_paths_are_kept() -> None:
    for path in ("/", "/cases?status=new", "/initiatives/3#diem", "/admin/units"):
        assert _safe_next(path) == path


async def test_sign_in_never_redirects_off_site(client: httpx.AsyncClient, people: World) -> None:
    page = await client.get("/login")
    signed_in = await client.post(
        "/login/token",
        data={
            "csrf_token": csrf(page.text),
            "token": people.people["cadre"].token,
            "next": "/\\evil.example",
        },
    )
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/"
