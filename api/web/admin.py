"""Admin pages: units (with the escalation ladder), users, invitations, the rubric editor and the
audit log with chain verification. Each change is the owning service's function."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import SessionDep
from api.web.common import Actor, Viewer, WebAuth, WebRoute, ctx_of, redirect, render
from core.audit import service as audit
from core.errors import DomainError, ErrorCode, invalid
from core.initiatives import rubric as rubrics
from core.inputs import Id, Line, Text
from core.users import invites
from core.users import service as users
from core.users.authz import require_admin
from core.users.enums import Role, UnitKind
from core.users.schemas import UnitCreate, UnitUpdate
from core.web import accounts
from core.web.accounts import AccountCreate, HandedCode

router = APIRouter(route_class=WebRoute)

KIND_LABELS = {
    UnitKind.PROVINCE.value: "Tỉnh",
    UnitKind.DEPARTMENT.value: "Sở, ban, ngành",
    UnitKind.COMMUNE.value: "Xã, phường",
}
DONE = {
    "unit": "Đã tạo đơn vị.",
    "unit_saved": "Đã lưu đơn vị.",
    "invite": "Đã tạo mã mời.",
    "revoked": "Đã thu hồi mã mời.",
    "account": "Đã tạo tài khoản. Mã đăng nhập bên dưới chỉ hiện một lần.",
    "code": "Đã cấp mã đăng nhập mới. Mã chỉ hiện một lần.",
    "role": "Đã đổi vai trò.",
    "active": "Đã cập nhật trạng thái tài khoản.",
    "rubric": "Đã lưu phiên bản tiêu chí mới; các phiếu đang chấm giữ phiên bản cũ.",
}


def _lines(raw: str) -> list[str]:
    return [line.strip() for line in raw.replace(",", "\n").splitlines() if line.strip()]


@router.get("/admin/units")
async def units_page(
    request: Request, auth: Viewer, session: SessionDep, done: Line = "", q: Line = ""
) -> HTMLResponse:
    """Units and their ladder, people (searched by name, with or without diacritics), and
    invitation codes."""
    return await _people_page(request, auth, session, done=done, q=q)


async def _people_page(
    request: Request,
    auth: WebAuth,
    session: AsyncSession,
    *,
    done: str = "",
    q: str = "",
    handed: HandedCode | None = None,
) -> HTMLResponse:
    require_admin(auth.user)
    units = await users.list_units(session)
    people = await users.list_users(session, actor=auth.user, q=q, limit=500)
    codes = await invites.list_invites(session, actor=auth.user, usable_only=True)
    response = render(
        request,
        "admin_units.html",
        auth,
        units=units,
        by_id={u.id: u for u in units},
        people=people,
        codes=codes,
        kinds=KIND_LABELS,
        roles=list(Role),
        q=q,
        handed=handed,
        signin_link=f"{request.base_url}login?code={handed.code}" if handed else "",
        done=DONE.get(done, ""),
    )
    if handed is not None:  # the code is shown once: never cached, never replayed
        response.headers["Cache-Control"] = "no-store"
    return response


def _optional_id(raw: str) -> int | None:
    return int(raw) if raw.strip().isdigit() else None


@router.post("/admin/units")
async def unit_create(
    request: Request,
    auth: Actor,
    session: SessionDep,
    name: Annotated[Line, Form()],
    kind: Annotated[Line, Form()],
    parent_id: Annotated[Line, Form()] = "",
    escalates_to_id: Annotated[Line, Form()] = "",
    positions: Annotated[Text, Form()] = "",
) -> Response:
    """Create a unit (name, kind, parent, next rung of the ladder, positions)."""
    try:
        data = UnitCreate(
            name=name,
            kind=UnitKind(kind),
            parent_id=_optional_id(parent_id),
            escalates_to_id=_optional_id(escalates_to_id),
            positions=_lines(positions),
        )
    except (ValidationError, ValueError) as exc:
        raise invalid("Thông tin đơn vị chưa hợp lệ (tên từ 2 ký tự, loại đơn vị).") from exc
    await users.create_unit(session, data=data, actor=auth.user)
    return redirect("/admin/units?done=unit")


@router.post("/admin/units/{unit_id}")
async def unit_update(
    request: Request,
    auth: Actor,
    session: SessionDep,
    unit_id: Id,
    name: Annotated[Line, Form()] = "",
    escalates_to_id: Annotated[Line, Form()] = "",
    positions: Annotated[Text, Form()] = "",
) -> Response:
    """Rename a unit, change its next rung on the ladder and its positions (loops and duplicate
    names are refused)."""
    fields: dict[str, object] = {
        "escalates_to_id": _optional_id(escalates_to_id),
        "positions": _lines(positions),
    }
    if name.strip():
        fields["name"] = " ".join(name.split())
    try:
        data = UnitUpdate.model_validate(fields)
    except ValidationError as exc:
        raise invalid("Tên đơn vị cần từ 2 đến 200 ký tự.") from exc
    await users.update_unit(session, unit_id=unit_id, data=data, actor=auth.user)
    return redirect("/admin/units?done=unit_saved")


@router.post("/admin/invites")
async def invite_create(
    request: Request,
    auth: Actor,
    session: SessionDep,
    role: Annotated[Line, Form()],
    unit_id: Annotated[Id, Form()],
    uses: Annotated[int, Form()] = 1,
    valid_days: Annotated[int, Form()] = 7,
) -> Response:
    """Create an invitation code the person types into the bot (/start CODE)."""
    try:
        role_value = Role(role)
    except ValueError as exc:
        raise invalid("Vai trò không hợp lệ.") from exc
    await invites.create_invite(
        session,
        role=role_value,
        unit_id=unit_id,
        actor=auth.user,
        uses=uses,
        valid_days=valid_days,
    )
    return redirect("/admin/units?done=invite")


@router.post("/admin/invites/{invite_id}/revoke")
async def invite_revoke(
    request: Request, auth: Actor, session: SessionDep, invite_id: Id
) -> Response:
    """Make an invitation code unusable at once."""
    await invites.revoke_invite(session, invite_id=invite_id, actor=auth.user)
    return redirect("/admin/units?done=revoked")


@router.post("/admin/accounts")
async def account_create(
    request: Request,
    auth: Actor,
    session: SessionDep,
    full_name: Annotated[Line, Form()],
    role: Annotated[Line, Form()],
    unit_id: Annotated[Id, Form()],
    position: Annotated[Line, Form()] = "",
    supervised: Annotated[list[Id], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    """Create a console account without Telegram; its one-time sign-in code is shown once."""
    ctx = ctx_of(request)
    try:
        data = AccountCreate(
            full_name=" ".join(full_name.split()),
            role=Role(role),
            unit_id=unit_id,
            position=position.strip() or None,
            supervised_unit_ids=supervised,
        )
    except (ValidationError, ValueError) as exc:
        raise invalid("Thông tin tài khoản chưa hợp lệ (họ tên từ 2 ký tự, vai trò).") from exc
    handed = await accounts.create_account(
        session, settings=ctx.settings, actor=auth.user, data=data
    )
    return await _people_page(request, auth, session, done="account", handed=handed)


@router.post("/admin/users/{user_id}/signin-code")
async def user_signin_code(
    request: Request, auth: Actor, session: SessionDep, user_id: Id
) -> Response:
    """A new one-time sign-in code for a person (their older unused codes stop working)."""
    ctx = ctx_of(request)
    handed = await accounts.hand_code(
        session, settings=ctx.settings, actor=auth.user, user_id=user_id
    )
    return await _people_page(request, auth, session, done="code", handed=handed)


@router.post("/admin/users/{user_id}/role")
async def user_role(
    request: Request, auth: Actor, session: SessionDep, user_id: Id, role: Annotated[Line, Form()]
) -> Response:
    """Change a person's role."""
    await users.set_role(session, user_id=user_id, role=role, actor=auth.user)
    return redirect("/admin/units?done=role")


@router.post("/admin/users/{user_id}/active")
async def user_active(
    request: Request, auth: Actor, session: SessionDep, user_id: Id, active: Annotated[bool, Form()]
) -> Response:
    """Lock or unlock an account."""
    await users.set_active(session, user_id=user_id, active=active, actor=auth.user)
    return redirect("/admin/units?done=active")


@router.get("/admin/rubric")
async def rubric_page(
    request: Request, auth: Viewer, session: SessionDep, done: Line = ""
) -> HTMLResponse:
    """The current rubric as an editable table (plus an empty row to add a criterion)."""
    require_admin(auth.user)
    current = await rubrics.current_rubric(session)
    criteria = rubrics.parse_criteria(current.criteria)
    return render(
        request,
        "admin_rubric.html",
        auth,
        rubric=current,
        criteria=criteria,
        done=DONE.get(done, ""),
    )


@router.post("/admin/rubric")
async def rubric_save(request: Request, auth: Actor, session: SessionDep) -> Response:
    """Save the edited table as a new rubric version (rows with an empty key are dropped)."""
    form = await request.form()
    columns = ("key", "name", "description", "weight", "scale_min", "scale_max", "pass_mark")
    values = {c: [str(v) for v in form.getlist(c)] for c in columns}
    gates = {str(v) for v in form.getlist("gate")}
    rows = []
    for i, key in enumerate(values["key"]):
        if not key.strip():
            continue
        row: dict[str, object] = {c: values[c][i] if i < len(values[c]) else "" for c in columns}
        row["gate"] = key.strip() in gates
        row["pass_mark"] = row["pass_mark"] or None
        rows.append(row)
    try:
        await rubrics.update_rubric(
            session, actor=auth.user, criteria=rows, note=str(form.get("note") or "")
        )
    except DomainError as exc:
        if exc.code is not ErrorCode.INVALID:
            raise
        # The form again with what was typed, and what is wrong with it.
        version = await rubrics.current_rubric(session)
        return render(
            request,
            "admin_rubric.html",
            auth,
            status_code=422,
            rubric=version,
            criteria=rows,
            note=str(form.get("note") or ""),
            error=exc.message,
        )
    return redirect("/admin/rubric?done=rubric")


@router.get("/admin/audit")
async def audit_page(
    request: Request,
    auth: Viewer,
    session: SessionDep,
    q: Line = "",
    entity: Line = "",
    page: Id = 1,
    verify: bool = False,
) -> HTMLResponse:
    """Newest audit entries, filtered by Vietnamese terms, and on request a verification of
    the whole hash chain."""
    require_admin(auth.user)
    ctx = ctx_of(request)
    size = 100
    page = max(page, 1)
    term = (q or entity).strip()
    rows = await audit.search(session, term=term, limit=size, offset=(page - 1) * size)
    report = await audit.verify_anchored(session, ctx.settings) if verify else None
    names = {
        u.id: u.full_name for u in await users.list_users(session, actor=auth.user, limit=1000)
    }
    return render(
        request,
        "admin_audit.html",
        auth,
        rows=rows,
        report=report,
        names=names,
        term=term,
        page=page,
        more=len(rows) == size,
    )
