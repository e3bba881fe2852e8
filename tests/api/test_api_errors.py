"""Every failure has the one error shape with a Vietnamese message: 404, 405, 409, 413, 422,
429, 500 and domain errors raised by services."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from apikit import World, assert_error
from apistate import document_text, new_document
from sqlalchemy.exc import DBAPIError, OperationalError

from api.main import create_app
from core.context import AppContext


async def test_not_found_shapes(client: httpx.AsyncClient, world: World) -> None:
    error = assert_error(
        await client.get("/api/v1/cases/999999", headers=world.auth("admin")), 404, "not_found"
    )
    assert "xin ý kiến" in str(error["message"])
    assert_error(await client.get("/api/v1/khong-co-duong-dan", headers=world.auth("admin")), 404)
    assert_error(
        await client.get("/api/v1/units/4242", headers=world.auth("cadre")), 404, "not_found"
    )
    assert_error(
        await client.delete("/api/v1/units", headers=world.auth("admin")),
        405,
        "method_not_allowed",
    )


async def test_validation_errors_are_vietnamese(client: httpx.AsyncClient, world: World) -> None:
    short = assert_error(
        await client.post("/api/v1/cases", json={"question": "a"}, headers=world.auth("cadre")),
        422,
        "invalid",
    )
    assert "question" in str(short["message"]) and "quá ngắn" in str(short["message"])
    fields = short["details"]["fields"]  # type: ignore[index]
    assert fields[0]["field"] == "question" and "tối thiểu 3" in fields[0]["message"]

    missing = assert_error(
        await client.post("/api/v1/invites", json={}, headers=world.auth("admin")), 422
    )
    assert "thiếu trường bắt buộc" in str(missing["message"])
    enum = assert_error(
        await client.post(
            "/api/v1/invites",
            json={"role": "vua", "unit_id": world.commune_id},
            headers=world.auth("admin"),
        ),
        422,
    )
    assert "chấp nhận" in str(enum["message"])
    bad_query = assert_error(
        await client.get("/api/v1/cases?limit=0", headers=world.auth("admin")), 422
    )
    assert "limit" in str(bad_query["message"])
    broken = await client.post(
        "/api/v1/units",
        content=b'{"name": ',
        headers={**world.auth("admin"), "Content-Type": "application/json"},
    )
    assert "JSON không hợp lệ" in str(assert_error(broken, 422)["message"])


async def test_domain_errors_from_services(
    client: httpx.AsyncClient, ctx: AppContext, world: World
) -> None:
    admin = world.auth("admin")
    loop = await client.patch(
        f"/api/v1/units/{world.province_id}",
        json={"escalates_to_id": world.commune_id},
        headers=admin,
    )
    assert "vòng lặp" in str(assert_error(loop, 422, "invalid")["message"])
    dup = await client.post("/api/v1/units", json={"name": "Tỉnh Mẫu", "kind": "province"},
                            headers=admin)  # fmt: skip
    assert_error(dup, 409, "conflict")
    doc = await new_document(ctx)
    first = await client.post(f"/api/v1/knowledge/documents/{doc}/retire", headers=admin)
    assert first.status_code == 200
    again = await client.post(f"/api/v1/knowledge/documents/{doc}/retire", headers=admin)
    assert_error(again, 409, "conflict")
    unsupported = await client.post(
        "/api/v1/knowledge/documents",
        files={"file": ("bang.xlsx", b"PK\x03\x04", "application/octet-stream")},
        headers=admin,
    )
    assert_error(unsupported, 415, "unsupported_file")


@asynccontextmanager
async def _client(ctx: AppContext, **limits: int) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app built with changed limits; server errors come back as responses."""
    for name, value in limits.items():
        setattr(ctx.settings, name, value)
    transport = httpx.ASGITransport(app=create_app(ctx), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def test_too_large_bodies_get_413(ctx: AppContext, world: World) -> None:
    async with _client(ctx, max_json_bytes=2048, max_upload_bytes=8192) as client:
        admin = world.auth("admin")
        big_json = {"question": "Tình huống " + "rất dài " * 600}
        error = assert_error(
            await client.post("/api/v1/cases", json=big_json, headers=world.auth("cadre")),
            413,
            "too_large",
        )
        assert error["details"] == {"limit_bytes": 2048}

        async def stream() -> AsyncIterator[bytes]:
            # No Content-Length: the limit must hold on the streamed bytes too.
            yield b'{"name": "'
            for _ in range(100):
                yield b"x" * 100
            yield b'", "kind": "commune"}'

        chunked = await client.post(
            "/api/v1/units",
            content=stream(),
            headers={**admin, "Content-Type": "application/json"},
        )
        assert_error(chunked, 413, "too_large")
        big_file = document_text("Quy chế lớn", "Nội dung. " * 2000)
        upload = await client.post(
            "/api/v1/knowledge/documents",
            files={"file": ("lon.md", big_file, "text/markdown")},
            headers=admin,
        )
        assert_error(upload, 413, "too_large")
        small = await client.post(
            "/api/v1/knowledge/documents",
            files={"file": ("nho.md", document_text("Quy chế nhỏ", "Ngắn."), "text/markdown")},
            headers=admin,
        )
        assert small.status_code == 201, small.text


async def test_rate_limit_429_with_retry_after(ctx: AppContext, world: World) -> None:
    async with _client(ctx, api_rate_limit_per_minute=3) as client:
        statuses = []
        for _ in range(4):
            r = await client.get("/api/v1/users/me", headers=world.auth("cadre"))
            statuses.append(r.status_code)
        assert statuses == [200, 200, 200, 429]
        assert_error(r, 429, "rate_limited")
        assert int(r.headers["retry-after"]) >= 1
        # Buckets are per user: someone else is not slowed down.
        other = await client.get("/api/v1/users/me", headers=world.auth("admin"))
        assert other.status_code == 200


async def test_unexpected_error_is_500_without_internals(ctx: AppContext, world: World) -> None:
    async with _client(ctx) as client:
        app = client._transport.app  # type: ignore[attr-defined]

        @app.get("/api/v1/_boom")  # type: ignore[misc]
        async def boom() -> None:
            raise RuntimeError("secret internals")

        r = await client.get("/api/v1/_boom")
        error = assert_error(r, 500, "internal")
        assert "secret" not in r.text and "Hệ thống gặp lỗi" in str(error["message"])


class _Deadlock(Exception):
    sqlstate = "40P01"  # what asyncpg reports for "deadlock detected"


async def test_rolled_back_transactions_are_retried(ctx: AppContext, world: World) -> None:
    async with _client(ctx) as client:
        app = client._transport.app  # type: ignore[attr-defined]
        calls = {"flaky": 0, "locked": 0}

        @app.post("/api/v1/_flaky")  # type: ignore[misc]
        async def flaky(body: dict[str, int]) -> dict[str, int]:
            calls["flaky"] += 1
            if calls["flaky"] == 1:
                raise DBAPIError("UPDATE cases", {}, _Deadlock("deadlock detected"))
            return {"seen": body["n"], "attempts": calls["flaky"]}

        @app.get("/api/v1/_locked")  # type: ignore[misc]
        async def locked() -> None:
            calls["locked"] += 1
            raise OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked"))

        ok = await client.post("/api/v1/_flaky", json={"n": 7})
        assert ok.status_code == 200 and ok.json() == {"seen": 7, "attempts": 2}
        busy = await client.get("/api/v1/_locked")
        assert "thử lại" in str(assert_error(busy, 503, "unavailable")["message"])
        assert busy.headers["retry-after"] == "2" and calls["locked"] == 3
