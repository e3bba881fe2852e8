"""`troly users ...` end to end: bootstrap an admin, build units, invite, issue tokens, list."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from core.clock import zone
from core.config import get_settings
from core.db import create_engine, create_sessionmaker, unit_of_work
from core.users import service as users
from core.web.service import redeem_login_code

CODE_RE = re.compile(
    r"Mã đăng nhập một lần: ([A-Z0-9]{4}-[A-Z0-9]{4})\s+\(hết hạn ([0-9/]+ [0-9:]+)\)"
)


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("TROLY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TROLY_DATABASE_URL", db_url)
    monkeypatch.setenv("TROLY_BOT_USERNAME", "")
    monkeypatch.setenv("COLUMNS", "250")  # rich tables would wrap at 80
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def run(*args: str) -> str:
    result = CliRunner().invoke(app, ["users", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def authenticated_role(db_url: str, token: str) -> str | None:
    async def check() -> str | None:
        engine = create_engine(db_url)
        try:
            async with unit_of_work(create_sessionmaker(engine)) as s:
                user = await users.authenticate_token(s, token)
                return user.role if user else None
        finally:
            await engine.dispose()

    return asyncio.run(check())


def test_users_cli_flow(cli_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    out = run("bootstrap-admin", "--name", "Nguyễn Quản Trị", "--unit", "Tỉnh Mẫu")
    token = out.strip().splitlines()[-1]
    assert token.startswith("troly_")
    assert authenticated_role(cli_env, token) == "admin"
    again = CliRunner().invoke(app, ["users", "bootstrap-admin", "--name", "X", "--unit", "Y"])
    assert again.exit_code == 1 and "đã có quản trị viên" in again.output

    run(
        "unit",
        "add",
        "Sở Nội vụ",
        "--kind",
        "department",
        "--parent",
        "Tỉnh Mẫu",
        "--escalates-to",
        "Tỉnh Mẫu",
    )
    run(
        "unit",
        "add",
        "UBND xã Tân Phú",
        "--kind",
        "commune",
        "--parent",
        "1",
        "--escalates-to",
        "Sở Nội vụ",
        "--positions",
        "Công chức Tư pháp - Hộ tịch; Công chức Địa chính",
    )
    listing = run("unit", "list")
    assert "UBND xã Tân Phú" in listing and "Công chức Địa chính" in listing
    missing = CliRunner().invoke(
        app, ["users", "unit", "add", "X", "--kind", "commune", "--parent", "Không Có"]
    )
    assert missing.exit_code == 1 and "Không tìm thấy đơn vị" in missing.output

    plain = run(
        "invite",
        "--role",
        "supervisor",
        "--unit",
        "Sở Nội vụ",
        "--supervises",
        "UBND xã Tân Phú;Sở Nội vụ",
        "--uses",
        "2",
    )
    code = re.search(r"/start (\S+)", plain)
    assert code is not None and "t.me" not in plain
    monkeypatch.setenv("TROLY_BOT_USERNAME", "trolycoso_bot")
    get_settings.cache_clear()
    linked = run("invite", "--role", "cadre", "--unit", "UBND xã Tân Phú", "--days", "3")
    assert re.search(r"https://t\.me/trolycoso_bot\?start=[A-Za-z0-9_-]+", linked)

    out = run("token", "--user", "1", "--label", "máy trạm")
    second = out.strip().splitlines()[-1]
    assert second != token and authenticated_role(cli_env, second) == "admin"
    both = CliRunner().invoke(app, ["users", "token", "--user", "1", "--telegram", "5"])
    assert both.exit_code == 2
    nobody = CliRunner().invoke(app, ["users", "token", "--telegram", "12345"])
    assert nobody.exit_code == 1 and "Không tìm thấy người dùng" in nobody.output

    assert "Nguyễn Quản Trị" in run("list", "--role", "admin")
    run("revoke-token", "1")
    assert authenticated_role(cli_env, token) is None
    assert authenticated_role(cli_env, second) == "admin"


def test_users_cli_sets_topics(cli_env: str) -> None:
    run("bootstrap-admin", "--name", "Nguyễn Quản Trị", "--unit", "Tỉnh Mẫu")

    async def supervisor() -> int:
        engine = create_engine(cli_env)
        try:
            async with unit_of_work(create_sessionmaker(engine)) as s:
                user = await users.create_user(
                    s, full_name="Lê Phụ Trách", role="supervisor", unit_id=1, actor=None
                )
                return user.id
        finally:
            await engine.dispose()

    sup = asyncio.run(supervisor())
    out = run("topics", "--user", str(sup), "Công chức Tư pháp - Hộ tịch; Công chức Địa chính")
    assert "Công chức Tư pháp - Hộ tịch; Công chức Địa chính" in out
    assert "mọi lĩnh vực" in run("topics", "--user", str(sup), "")
    admin = CliRunner().invoke(app, ["users", "topics", "--user", "1", "Địa chính"])
    assert admin.exit_code == 1 and "Chỉ người phụ trách" in admin.output


def redeem(db_url: str, code: str) -> str:
    """Sign in on the console with a one-time code (as /login/code does); the person's name."""

    async def go() -> str:
        engine = create_engine(db_url)
        try:
            async with unit_of_work(create_sessionmaker(engine)) as s:
                user = await redeem_login_code(s, settings=get_settings(), code=code)
                return user.full_name
        finally:
            await engine.dispose()

    return asyncio.run(go())


def test_users_cli_adds_an_account_without_telegram(cli_env: str) -> None:
    """Issue 11 #10: the operator creates a console account and hands over a one-time code."""
    run("bootstrap-admin", "--name", "Nguyễn Quản Trị", "--unit", "Tỉnh Mẫu")
    run("unit", "add", "UBND xã Tân Phú", "--kind", "commune", "--parent", "Tỉnh Mẫu")
    before = datetime.now(UTC)
    out = run(
        "add",
        "--name",
        "Ngô  Thị Mới",
        "--role",
        "supervisor",
        "--unit",
        "UBND xã Tân Phú",
        "--position",
        "Công chức Địa chính",
        "--supervises",
        "UBND xã Tân Phú; Tỉnh Mẫu",
    )
    assert "Đã tạo tài khoản #2: Ngô Thị Mới (người phụ trách, UBND xã Tân Phú)." in out
    found = CODE_RE.search(out)
    assert found, out
    code, expires = found.groups()
    # Shown in local time (Asia/Ho_Chi_Minh by default), 72 hours from now.
    shown = datetime.strptime(expires, "%d/%m/%Y %H:%M").replace(tzinfo=zone())
    assert timedelta(hours=71, minutes=58) < shown - before <= timedelta(hours=72, minutes=1)
    listed = run("list", "--unit", "UBND xã Tân Phú")
    assert "Ngô Thị Mới" in listed and "Công chức Địa chính" in listed and "chưa" in listed
    assert redeem(cli_env, code) == "Ngô Thị Mới"

    again = run("signin-code", "2")
    assert "Mã đăng nhập mới cho Ngô Thị Mới" in again
    newer = CODE_RE.search(again)
    assert newer and newer.group(1) != code
    assert redeem(cli_env, newer.group(1)) == "Ngô Thị Mới"

    for args, message in (
        (["signin-code", "99"], "Không tìm thấy người dùng số 99"),
        (["add", "--name", "Ai Đó", "--role", "cadre", "--unit", "Xã Không Có"], "Không tìm thấy"),
        (["add", "--name", "A", "--role", "cadre", "--unit", "1"], "full_name — quá ngắn"),
    ):
        result = CliRunner().invoke(app, ["users", *args])
        assert result.exit_code != 0 and message in result.output, result.output
