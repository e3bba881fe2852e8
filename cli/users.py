"""`troly users ...` commands: units, invitations, accounts without Telegram and their one-time
sign-in codes, API tokens, topics and the first admin."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.errors import VALIDATION_MESSAGE, validation_details
from cli.database import on_database
from core.clock import local
from core.config import Settings, get_settings
from core.db import unit_of_work
from core.errors import DomainError, not_found
from core.users import service as users
from core.users.authz import ROLE_LABELS_VI
from core.users.enums import Role, UnitKind
from core.users.models import Unit
from core.users.schemas import UnitCreate
from core.web import accounts

app = typer.Typer(no_args_is_help=True)
unit_app = typer.Typer(no_args_is_help=True, help="Administrative units.")
app.add_typer(unit_app, name="unit")

console = Console()
T = TypeVar("T")


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def _run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one transaction on a migrated database; domain errors exit with code 1.

    A plain engine is enough here: these commands never need the retriever.
    """

    async def in_transaction(_: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> T:
        async with unit_of_work(sessionmaker) as session:
            return await work(session)

    try:
        return asyncio.run(on_database(in_transaction))
    except DomainError as exc:
        console.print(f"[red]Lỗi:[/red] {exc.message}")
        raise typer.Exit(1) from exc
    except ValidationError as exc:  # an option the schema refuses (a one-letter name, ...)
        bad = validation_details([dict(e) for e in exc.errors()])[0]
        console.print(f"[red]Lỗi:[/red] {VALIDATION_MESSAGE}: {bad['field']} — {bad['message']}.")
        raise typer.Exit(1) from exc


async def _unit(session: AsyncSession, ref: str) -> Unit:
    """A unit by id or exact name."""
    unit = None
    if ref.strip().isdigit():
        unit = await users.get_unit(session, unit_id=int(ref))
    if unit is None:
        unit = await users.get_unit_by_name(session, name=ref)
    if unit is None:
        raise not_found(f"đơn vị “{ref}”")
    return unit


@unit_app.command("add")
def unit_add(
    name: str,
    kind: Annotated[UnitKind, typer.Option(help="commune, province or department")],
    parent: Annotated[str | None, typer.Option(help="Parent unit (id or name)")] = None,
    escalates_to: Annotated[
        str | None, typer.Option(help="Next rung of the escalation ladder (id or name)")
    ] = None,
    positions: Annotated[
        str | None, typer.Option(help='Positions people may pick, ";"-separated')
    ] = None,
) -> None:
    """Create a unit."""

    async def work(session: AsyncSession) -> Unit:
        parent_id = (await _unit(session, parent)).id if parent else None
        ladder_id = (await _unit(session, escalates_to)).id if escalates_to else None
        data = UnitCreate(
            name=name,
            kind=kind,
            parent_id=parent_id,
            escalates_to_id=ladder_id,
            positions=_split(positions),
        )
        return await users.create_unit(session, data=data, actor=None)

    unit = _run(work)
    console.print(f"Đã tạo đơn vị #{unit.id}: {unit.name} ({unit.kind})")


@unit_app.command("list")
def unit_list() -> None:
    """List units with their parent, ladder and positions."""
    units = _run(lambda s: users.list_units(s))
    names = {u.id: u.name for u in units}
    table = Table("ID", "Tên", "Loại", "Trực thuộc", "Chuyển lên", "Chức danh")
    for u in units:
        table.add_row(
            str(u.id),
            u.name,
            u.kind,
            names.get(u.parent_id or 0, ""),
            names.get(u.escalates_to_id or 0, ""),
            "; ".join(u.positions),
        )
    console.print(table)


@app.command("invite")
def invite(
    role: Annotated[Role, typer.Option(help="cadre, supervisor, evaluator or admin")],
    unit: Annotated[str, typer.Option(help="Unit the person joins (id or name)")],
    uses: Annotated[int, typer.Option(help="How many people may use the code")] = 1,
    days: Annotated[int, typer.Option(help="Days until the code expires")] = 7,
    supervises: Annotated[
        str | None, typer.Option(help='Supervisors only: units they supervise, ";"-separated')
    ] = None,
) -> None:
    """Create an invitation code and print how to use it."""

    async def work(session: AsyncSession) -> tuple[str, int, str]:
        home = await _unit(session, unit)
        supervised = [(await _unit(session, ref)).id for ref in _split(supervises)]
        created = await users.create_invite(
            session,
            role=role,
            unit_id=home.id,
            actor=None,
            uses=uses,
            valid_days=days,
            supervised_unit_ids=supervised,
        )
        return created.code, created.uses_left, local(created.expires_at)

    code, left, expires = _run(work)
    console.print(f"Mã mời: [bold]{code}[/bold]  (còn {left} lượt, hết hạn {expires})")
    link = users.deep_link(code, get_settings().bot_username)
    if link:
        console.print(f"Đường dẫn: {link}")
    console.print(f"Hoặc gửi cho bot: {users.start_command(code)}")


def _print_code(handed: tuple[str, str]) -> None:
    """A one-time console sign-in code (shown only now) and when it expires, in local time."""
    code, expires = handed
    console.print(f"Mã đăng nhập một lần: [bold]{code}[/bold]  (hết hạn {expires})")
    console.print("Mã chỉ hiện lần này và dùng được một lần, tại /login (“Bằng mã một lần”).")


@app.command("add")
def add(
    name: Annotated[str, typer.Option(help="Full name")],
    role: Annotated[Role, typer.Option(help="cadre, supervisor, evaluator or admin")],
    unit: Annotated[str, typer.Option(help="Their unit (id or name)")],
    position: Annotated[str | None, typer.Option(help="Job title")] = None,
    supervises: Annotated[
        str | None, typer.Option(help='Supervisors only: units they supervise, ";"-separated')
    ] = None,
) -> None:
    """Create an account without Telegram and print its one-time console sign-in code."""

    async def work(session: AsyncSession) -> tuple[int, str, str, tuple[str, str]]:
        home = await _unit(session, unit)
        supervised = [(await _unit(session, ref)).id for ref in _split(supervises)]
        data = accounts.AccountCreate(
            full_name=name,
            role=role,
            unit_id=home.id,
            position=(position or "").strip() or None,
            supervised_unit_ids=supervised,
        )
        handed = await accounts.create_account(
            session, settings=get_settings(), actor=None, data=data
        )
        user = handed.user
        return user.id, user.full_name, home.name, (handed.code, local(handed.expires_at))

    user_id, full_name, unit_name, handed = _run(work)
    console.print(
        f"Đã tạo tài khoản #{user_id}: {full_name} ({ROLE_LABELS_VI[role]}, {unit_name})."
    )
    _print_code(handed)


@app.command("signin-code")
def signin_code(user_id: int) -> None:
    """Issue a new one-time console sign-in code for a person (older unused codes stop working)."""

    async def work(session: AsyncSession) -> tuple[str, tuple[str, str]]:
        handed = await accounts.hand_code(
            session, settings=get_settings(), actor=None, user_id=user_id
        )
        return handed.user.full_name, (handed.code, local(handed.expires_at))

    full_name, handed = _run(work)
    console.print(f"Mã đăng nhập mới cho {full_name}; các mã cũ chưa dùng không còn hiệu lực.")
    _print_code(handed)


@app.command("token")
def token(
    user: Annotated[int | None, typer.Option(help="User id")] = None,
    telegram: Annotated[int | None, typer.Option(help="Telegram user id")] = None,
    label: Annotated[str, typer.Option(help="What the token is for")] = "",
) -> None:
    """Issue an API token for a user; it is printed once and never stored in plain text."""
    if (user is None) == (telegram is None):
        console.print("[red]Lỗi:[/red] cần đúng một trong hai tùy chọn --user hoặc --telegram.")
        raise typer.Exit(2)

    async def work(session: AsyncSession) -> tuple[str, str]:
        if user is not None:
            found = await users.get(session, user_id=user)
        else:
            assert telegram is not None
            found = await users.get_by_telegram_id(session, telegram_id=telegram)
        if found is None:
            raise not_found("người dùng")
        plain = await users.issue_token(session, user_id=found.id, label=label)
        return found.full_name, plain

    name, plain = _run(work)
    console.print(f"Mã truy cập cho {name} (chỉ hiện một lần, hãy lưu lại):")
    typer.echo(plain)


@app.command("list")
def list_users(
    unit: Annotated[str | None, typer.Option(help="Only this unit (id or name)")] = None,
    role: Annotated[Role | None, typer.Option(help="Only this role")] = None,
) -> None:
    """List people with role, unit and registration state."""

    async def work(session: AsyncSession) -> list[tuple[str, ...]]:
        unit_id = (await _unit(session, unit)).id if unit else None
        names = {u.id: u.name for u in await users.list_units(session)}
        rows = await users.list_users(session, actor=None, unit_id=unit_id, role=role, limit=10_000)
        return [
            (
                str(u.id),
                u.full_name,
                u.role,
                names.get(u.unit_id, ""),
                u.position or "",
                "có" if u.telegram_id else "chưa",
                "" if u.active else "đã khóa",
            )
            for u in rows
        ]

    table = Table("ID", "Họ tên", "Vai trò", "Đơn vị", "Chức danh", "Telegram", "Trạng thái")
    for row in _run(work):
        table.add_row(*row)
    console.print(table)


@app.command("topics")
def topics(
    user: Annotated[int, typer.Option(help="User id (a supervisor)")],
    values: Annotated[
        str, typer.Argument(help='Topics they handle, ";"-separated; "" means every topic')
    ],
) -> None:
    """Set the topics (lĩnh vực) a supervisor handles: new cases on those topics reach them."""

    async def work(session: AsyncSession) -> tuple[str, list[str]]:
        found = await users.set_topics(session, user_id=user, topics=_split(values), actor=None)
        return found.full_name, list(found.topics)

    name, handled = _run(work)
    shown = "; ".join(handled) if handled else "mọi lĩnh vực"
    console.print(f"{name} phụ trách: {shown}")


@app.command("bootstrap-admin")
def bootstrap_admin(
    name: Annotated[str, typer.Option(help="Full name of the first admin")],
    unit: Annotated[str, typer.Option(help="Their unit (created as a province if missing)")],
) -> None:
    """Create the first admin and an API token on a fresh install (all else is by invitation)."""

    async def work(session: AsyncSession) -> tuple[int, str]:
        admin, plain = await users.bootstrap_admin(session, full_name=name, unit_name=unit)
        return admin.id, plain

    admin_id, plain = _run(work)
    console.print(f"Đã tạo quản trị viên #{admin_id}. Mã truy cập (chỉ hiện một lần):")
    typer.echo(plain)


@app.command("revoke-token")
def revoke_token(token_id: int) -> None:
    """Revoke an API token by its id."""

    async def work(session: AsyncSession) -> None:
        await users.revoke_token(session, token_id=token_id, actor=None)

    _run(work)
    console.print(f"Đã thu hồi mã truy cập #{token_id}.")
