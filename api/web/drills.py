"""Situation drill pages (same services and access rules as the API): /drills (list, make a
draft from a precedent or a clause), /drills/{id} (editor, publish; read-only for a cadre it
was sent to) and /drills/weak (weak topics by unit and position, never by person)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import SessionDep
from api.web.cases import _valid as valid_form
from api.web.common import Actor, Viewer, WebRoute, redirect, render
from core.cases.access import supervised_ids
from core.drills import service as drills
from core.drills.enums import SOURCE_LABELS, STATUS_LABELS
from core.drills.schemas import MAX_OPTIONS, DrillCreate, DrillUpdate
from core.drills.texts import LETTERS
from core.drills.weak import weak_topics
from core.inputs import Id, Line, LongText, Text
from core.tasks.service import managed_units
from core.users.authz import is_admin, is_staff, require_role
from core.users.enums import Role

router = APIRouter(route_class=WebRoute)
DONE = {
    "created": "Đã soạn bản nháp; sửa phương án, chức danh rồi xuất bản.",
    "saved": "Đã lưu.",
    "published": "Đã xuất bản; cán bộ đúng chức danh sẽ nhận theo lịch của mình.",
    "archived": "Đã ngừng gửi bài này.",
}


@router.get("/drills")
async def drills_page(
    request: Request, auth: Viewer, session: SessionDep, q: Line = "", done: Line = ""
) -> HTMLResponse:
    """Drills the supervisor may see, and the two ways to make one."""
    require_role(auth.user, Role.SUPERVISOR, Role.ADMIN)
    rows = await drills.list_drills(session, actor=auth.user)
    units = await managed_units(session, auth.user)
    sources = await drills.approved_precedents(session)
    clauses = await drills.search_clauses(session, q) if q.strip() else []
    return render(
        request, "drills.html", auth, drills=rows, units=units, precedents=sources,
        clauses=clauses, q=q, labels=STATUS_LABELS, source_labels=SOURCE_LABELS,
        admin=is_admin(auth.user), done=DONE.get(done, ""),
    )  # fmt: skip


@router.post("/drills")
async def drill_create(
    request: Request,
    auth: Actor,
    session: SessionDep,
    precedent_id: Annotated[Id | None, Form()] = None,
    chunk_id: Annotated[Id | None, Form()] = None,
    unit_id: Annotated[Id | None, Form()] = None,
    situation: Annotated[Text, Form()] = "",
) -> Response:
    data = valid_form(
        DrillCreate, precedent_id=precedent_id, chunk_id=chunk_id, unit_id=unit_id,
        situation=situation.strip() or None,
    )  # fmt: skip
    drill = await drills.create_drill(session, actor=auth.user, data=data)
    return redirect(f"/drills/{drill.id}?done=created")


@router.get("/drills/weak")
async def weak_page(
    request: Request,
    auth: Viewer,
    session: SessionDep,
    unit_id: Id | None = None,
    position: Line = "",
) -> HTMLResponse:
    """Share of right answers per unit, position and drill, weakest first."""
    rows = await weak_topics(
        session, actor=auth.user, unit_id=unit_id, position=position.strip() or None
    )
    units = await managed_units(session, auth.user)
    return render(
        request, "drills_weak.html", auth, rows=rows, units=units, unit_id=unit_id,
        position=position,
    )  # fmt: skip


@router.get("/drills/{drill_id}")
async def drill_page(
    request: Request, auth: Viewer, session: SessionDep, drill_id: Id, done: Line = ""
) -> HTMLResponse:
    """The editor for whoever manages the drill; a read-only view for everyone else allowed."""
    drill = await drills.get_drill(session, actor=auth.user, drill_id=drill_id)
    units = await managed_units(session, auth.user) if is_staff(auth.user) else []
    mine = await supervised_ids(session, auth.user)
    manage = drills.can_manage(auth.user, mine, drill)
    own_draft = drill.author_id == auth.user.id and drill.status == "draft"
    positions = sorted({str(p) for u in units for p in u.positions} | set(drill.positions))
    options = list(drill.options) + [""] * (MAX_OPTIONS - len(drill.options))
    return render(
        request, "drill.html", auth, drill=drill, editable=manage or own_draft, manage=manage,
        units=units, positions=positions, options=options, letters=LETTERS,
        labels=STATUS_LABELS, source_labels=SOURCE_LABELS, admin=is_admin(auth.user),
        done=DONE.get(done, ""),
    )  # fmt: skip


@router.post("/drills/{drill_id}")
async def drill_save(
    request: Request,
    auth: Actor,
    session: SessionDep,
    drill_id: Id,
    title: Annotated[Line, Form()],
    situation: Annotated[Text, Form()],
    answer: Annotated[LongText, Form()],
    topic: Annotated[Line, Form()] = "",
    citation: Annotated[Text, Form()] = "",
    option: Annotated[list[Line], Form()] = [],  # noqa: B006 (FastAPI reads it, never mutates)
    correct: Annotated[str, Form()] = "",
    positions: Annotated[list[Line], Form()] = [],  # noqa: B006
    unit: Annotated[str, Form()] = "",
) -> Response:
    filled = [o.strip() for o in option if o.strip()]
    everywhere = unit == "all"
    data = valid_form(
        DrillUpdate, title=title.strip(), topic=topic.strip() or None, situation=situation.strip(),
        answer=answer.strip(), citation=citation.strip(), options=filled,
        correct_option=int(correct) if correct.isdigit() and filled else None,
        positions=positions, unit_id=int(unit) if unit.isdigit() else None,
        everywhere=everywhere,
    )  # fmt: skip
    await drills.update_drill(session, actor=auth.user, drill_id=drill_id, data=data)
    return redirect(f"/drills/{drill_id}?done=saved")


@router.post("/drills/{drill_id}/publish")
async def drill_publish(
    request: Request, auth: Actor, session: SessionDep, drill_id: Id
) -> Response:
    await drills.publish(session, actor=auth.user, drill_id=drill_id)
    return redirect(f"/drills/{drill_id}?done=published")


@router.post("/drills/{drill_id}/archive")
async def drill_archive(
    request: Request, auth: Actor, session: SessionDep, drill_id: Id
) -> Response:
    await drills.archive(session, actor=auth.user, drill_id=drill_id)
    return redirect(f"/drills/{drill_id}?done=archived")
