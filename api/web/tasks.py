"""Hard-task catalogue, commendation board and output record pages (same services and access
rules as the API): /tasks, /tasks/{id}, /board, /record/{user_id} (+ .csv)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import SessionDep
from api.web.cases import _valid as valid_form
from api.web.common import Actor, Viewer, WebRoute, ctx_of, redirect, render
from core.cases.calendar import calendar_for
from core.db import utcnow
from core.errors import invalid
from core.inputs import Id, Line, Text
from core.recognition import service as recognition
from core.recognition.schemas import SOURCE_LABELS, CommendCreate, SourceKind
from core.record import service as record_service
from core.tasks import service as tasks
from core.tasks.access import can_manage, can_report
from core.tasks.enums import LINK_LABELS, STATUS_LABELS, LinkKind, TaskStatus
from core.tasks.schemas import (
    MAX_WORKING_DAYS,
    TaskClose,
    TaskCreate,
    TaskLinkCreate,
    TaskNoteCreate,
)
from core.users.authz import is_staff

router = APIRouter(route_class=WebRoute)
DONE = {
    "created": "Đã thêm việc khó; người chịu trách nhiệm đã được báo qua Telegram.",
    "noted": "Đã ghi tiến độ.",
    "closed": "Đã báo hoàn thành; người phụ trách đơn vị đã được báo.",
    "linked": "Đã liên kết.",
    "commended": "Đã biểu dương; người được biểu dương đã được báo qua Telegram.",
}
# Where each kind of evidence is shown in the console.
EVIDENCE_LINKS = {
    "case": "/cases/{id}",
    "task": "/tasks/{id}",
    "initiative": "/initiatives/{id}",
    "precedent": "/precedents#proposal-{id}",
    "commendation": "/board#c-{id}",
    "drill": "/drills/{id}",
}


@router.get("/tasks")
async def tasks_page(
    request: Request, auth: Viewer, session: SessionDep, view: Line = "open", done: Line = ""
) -> HTMLResponse:
    """The catalogue the signed-in person may see; supervisors and admins add tasks here."""
    ctx = ctx_of(request)
    status = None if view == "all" else TaskStatus.OPEN
    rows, _ = await tasks.list_tasks(
        session, actor=auth.user, status=status, overdue=view == "overdue"
    )
    units = await tasks.managed_units(session, auth.user)
    people = await tasks.assignable(session, [u.id for u in units]) if units else []
    now, calendar = utcnow(), calendar_for(ctx.settings)
    return render(
        request, "tasks.html", auth, tasks=rows, view=view, units=units, people=people,
        states={t.id: tasks.deadline_state(t, now, calendar) for t in rows},
        labels=STATUS_LABELS, done=DONE.get(done, ""),
    )  # fmt: skip


@router.post("/tasks")
async def task_create(
    request: Request,
    auth: Actor,
    session: SessionDep,
    unit_id: Annotated[Id, Form()],
    owner_id: Annotated[Id, Form()],
    title: Annotated[Line, Form()],
    working_days: Annotated[int, Form()],
    description: Annotated[Text, Form()] = "",
) -> Response:
    if not 1 <= working_days <= MAX_WORKING_DAYS:
        raise invalid(f"Thời hạn phải từ 1 đến {MAX_WORKING_DAYS} ngày làm việc.")
    if len(title.strip()) < 3:
        raise invalid("Tên việc cần ít nhất 3 ký tự.")
    data = valid_form(
        TaskCreate, unit_id=unit_id, owner_id=owner_id, title=title.strip(),
        working_days=working_days, description=description,
    )  # fmt: skip
    ctx = ctx_of(request)
    task = await tasks.create_task(session, actor=auth.user, data=data, settings=ctx.settings)
    return redirect(f"/tasks/{task.id}?done=created")


@router.get("/tasks/{task_id}")
async def task_page(
    request: Request, auth: Viewer, session: SessionDep, task_id: Id, done: Line = ""
) -> HTMLResponse:
    ctx = ctx_of(request)
    view = await tasks.get_task(session, actor=auth.user, task_id=task_id)
    units = {u.id for u in await tasks.managed_units(session, auth.user)}
    task = view.task
    return render(
        request, "task.html", auth, task=task, notes=view.notes, links=view.links,
        state=tasks.deadline_state(task, utcnow(), calendar_for(ctx.settings)),
        labels=STATUS_LABELS, link_labels=LINK_LABELS,
        may_manage=can_manage(auth.user, units, task.unit_id),
        may_report=can_report(auth.user, units, task) and task.status == TaskStatus.OPEN,
        done=DONE.get(done, ""),
    )  # fmt: skip


@router.post("/tasks/{task_id}/notes")
async def task_note(
    request: Request, auth: Actor, session: SessionDep, task_id: Id, text: Annotated[Text, Form()]
) -> Response:
    data = valid_form(TaskNoteCreate, text=text.strip())
    await tasks.add_note(session, actor=auth.user, task_id=task_id, data=data)
    return redirect(f"/tasks/{task_id}?done=noted")


@router.post("/tasks/{task_id}/done")
async def task_done(
    request: Request,
    auth: Actor,
    session: SessionDep,
    task_id: Id,
    note: Annotated[Text, Form()] = "",
) -> Response:
    data = valid_form(TaskClose, note=note.strip() or None)
    await tasks.close_task(session, actor=auth.user, task_id=task_id, data=data)
    return redirect(f"/tasks/{task_id}?done=closed")


@router.post("/tasks/{task_id}/links")
async def task_link(
    request: Request,
    auth: Actor,
    session: SessionDep,
    task_id: Id,
    kind: Annotated[LinkKind, Form()],
    target_id: Annotated[Id, Form()],
) -> Response:
    data = TaskLinkCreate(kind=kind, target_id=target_id)
    await tasks.link(session, actor=auth.user, task_id=task_id, data=data)
    return redirect(f"/tasks/{task_id}?done=linked")


@router.get("/board")
async def board_page(
    request: Request, auth: Viewer, session: SessionDep, unit_id: Id | None = None, done: Line = ""
) -> HTMLResponse:
    """A unit's commendations; supervisors and admins also see suggested candidates."""
    unit = unit_id or auth.user.unit_id
    items = await recognition.board(session, actor=auth.user, unit_id=unit)
    staff = is_staff(auth.user)
    suggested = await recognition.suggestions(session, actor=auth.user) if staff else []
    units = await tasks.managed_units(session, auth.user) if staff else []
    return render(
        request, "board.html", auth, items=items, suggested=suggested, units=units,
        unit_id=unit, sources=SOURCE_LABELS, done=DONE.get(done, ""),
    )  # fmt: skip


@router.post("/commendations")
async def commend(
    request: Request,
    auth: Actor,
    session: SessionDep,
    source_kind: Annotated[SourceKind, Form()],
    source_id: Annotated[Id, Form()],
    citation: Annotated[Text, Form()] = "",
) -> Response:
    data = valid_form(
        CommendCreate, source_kind=source_kind, source_id=source_id,
        citation=citation.strip() or None,
    )  # fmt: skip
    item = await recognition.commend(session, actor=auth.user, data=data)
    return redirect(f"/board?unit_id={item.unit_id}&done=commended#c-{item.id}")


@router.get("/record/{user_id}.csv")  # before /record/{user_id}, which would match it
async def record_csv(request: Request, auth: Viewer, session: SessionDep, user_id: Id) -> Response:
    built = await record_service.build(session, actor=auth.user, user_id=user_id)
    return Response(
        record_service.record_csv(built),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="ho-so-cong-vu-{user_id}.csv"'},
    )


@router.get("/record/{user_id}")
async def record_page(
    request: Request, auth: Viewer, session: SessionDep, user_id: Id
) -> HTMLResponse:
    """One official's outputs; every figure lists the rows it counts."""
    built = await record_service.build(session, actor=auth.user, user_id=user_id)
    return render(request, "record.html", auth, record=built, links=EVIDENCE_LINKS)
