"""Initiatives: evaluators' assignments and the blind rubric scoring form; admins assign,
decide and export. Access and blindness are the initiatives service's own rules: templates
get an initiative only as the viewer's InitiativeView (no authors or unit for evaluators)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import SessionDep
from api.web.common import Actor, Viewer, WebRoute, ctx_of, redirect, render
from core.errors import DomainError, ErrorCode
from core.initiatives import assignment, export, scoring
from core.initiatives import service as initiatives
from core.initiatives.enums import OUTCOMES, STATUS_LABELS, EvaluationStatus
from core.initiatives.rubric import get_rubric_version, parse_criteria
from core.initiatives.views import InitiativeView, view_for
from core.inputs import Id, Line, Text
from core.users.authz import is_admin, require_role
from core.users.enums import Role

router = APIRouter(route_class=WebRoute)

DONE = {
    "scored": "Đã nộp phiếu chấm. Phiếu không sửa được nữa.",
    "assigned": "Đã phân công người chấm.",
    "decided": "Đã ghi nhận kết luận.",
}


def _number(raw: str) -> int | str:
    # Form values are text; the rubric service validates integers and scale bounds itself.
    raw = raw.strip()
    try:
        return int(raw)
    except ValueError:
        return raw


@router.get("/initiatives")
async def initiatives_page(
    request: Request, auth: Viewer, session: SessionDep, status: Line = "", q: Line = ""
) -> HTMLResponse:
    """Evaluators: their assignments. Admins: every initiative, filterable."""
    require_role(auth.user, Role.EVALUATOR, Role.ADMIN)
    mine = await assignment.my_assignments(session, actor=auth.user)
    listing: list[InitiativeView] = []
    total = 0
    if is_admin(auth.user):
        rows, total = await initiatives.list_initiatives(
            session, actor=auth.user, status=status or None, query=q or None, limit=200
        )
        listing = [view_for(auth.user, i) for i in rows]
    return render(
        request,
        "initiatives.html",
        auth,
        mine=mine,
        listing=listing,
        total=total,
        status=status,
        q=q,
        labels=STATUS_LABELS,
    )


@router.get("/initiatives/export.{fmt}")
async def initiatives_export(
    request: Request, auth: Viewer, session: SessionDep, fmt: str
) -> Response:
    """Results for a council meeting (CSV or XLSX), as the service's access rules allow."""
    require_role(auth.user, Role.EVALUATOR, Role.ADMIN)
    ctx = ctx_of(request)
    content, media, name = await export.export_results(
        session, actor=auth.user, fmt=fmt, settings=ctx.settings
    )
    return Response(
        content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/initiatives/{initiative_id}")
async def initiative_page(
    request: Request, auth: Viewer, session: SessionDep, initiative_id: Id, done: Line = ""
) -> HTMLResponse:
    """The initiative, similar ones, the scoring form (own sheet) and, when not blind, results."""
    require_role(auth.user, Role.EVALUATOR, Role.ADMIN)
    ctx = ctx_of(request)
    initiative = await initiatives.get_initiative(
        session, actor=auth.user, initiative_id=initiative_id
    )
    similar = await initiatives.similar_for(
        session, actor=auth.user, initiative_id=initiative_id, settings=ctx.settings
    )
    sheets = await scoring.score_sheets(session, actor=auth.user, initiative_id=initiative_id)
    own = next((s for s in sheets if s.evaluator_id == auth.user.id), None)
    criteria = []
    if own is not None:
        rubric = await get_rubric_version(session, rubric_version_id=own.rubric_version_id)
        criteria = parse_criteria(rubric.criteria)
    try:
        outcome = await scoring.result(
            session, actor=auth.user, initiative_id=initiative_id, settings=ctx.settings
        )
        all_criteria = (
            await scoring.criteria_for(session, initiative) if initiative.rubric_version_id else []
        )
    except DomainError as exc:
        if exc.code is not ErrorCode.FORBIDDEN:
            raise
        outcome, all_criteria = None, []
    return render(
        request,
        "initiative.html",
        auth,
        item=view_for(auth.user, initiative),
        similar=similar,
        sheets=sheets,
        own=own,
        can_score=own is not None and own.status == EvaluationStatus.ASSIGNED,
        criteria=criteria,
        names={c.key: c.name for c in [*all_criteria, *criteria]},
        outcome=outcome,
        all_criteria=all_criteria,
        labels=STATUS_LABELS,
        outcomes=OUTCOMES,
        done=DONE.get(done, ""),
    )


@router.post("/initiatives/{initiative_id}/score")
async def initiative_score(
    request: Request, auth: Actor, session: SessionDep, initiative_id: Id
) -> Response:
    """Submit the evaluator's score sheet (fields score_<criterion key>)."""
    form = await request.form()
    scores = {
        str(k)[len("score_") :]: _number(str(v))
        for k, v in form.multi_items()
        if str(k).startswith("score_")
    }
    comment = str(form.get("comment") or "")
    await scoring.submit_scores(
        session,
        actor=auth.user,
        initiative_id=initiative_id,
        scores=scores,
        comment=comment,
    )
    return redirect(f"/initiatives/{initiative_id}?done=scored")


@router.post("/initiatives/{initiative_id}/assign")
async def initiative_assign(
    request: Request, auth: Actor, session: SessionDep, initiative_id: Id
) -> Response:
    """Admin: assign independent evaluators automatically (conflict-of-interest rules apply)."""
    ctx = ctx_of(request)
    await assignment.assign_evaluators(
        session, actor=auth.user, initiative_id=initiative_id, settings=ctx.settings
    )
    return redirect(f"/initiatives/{initiative_id}?done=assigned")


@router.post("/initiatives/{initiative_id}/decide")
async def initiative_decide(
    request: Request,
    auth: Actor,
    session: SessionDep,
    initiative_id: Id,
    outcome: Annotated[Line, Form()],
    note: Annotated[Text, Form()] = "",
    council: Annotated[bool, Form()] = False,
) -> Response:
    """Admin/council conclusion: recognise, ask for more information, or not accept."""
    ctx = ctx_of(request)
    await scoring.decide(
        session,
        actor=auth.user,
        initiative_id=initiative_id,
        outcome=outcome,
        note=note,
        council=council,
        settings=ctx.settings,
    )
    return redirect(f"/initiatives/{initiative_id}?done=decided")
