"""Precedent approvals (admin): review proposals, edit, set scope and expiry, approve or reject."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from api.deps import SessionDep, publish_to_search
from api.web.common import Actor, Viewer, WebRoute, ctx_of, redirect, render
from core.cases import precedents
from core.cases.enums import PROPOSAL_LABELS, ProposalStatus
from core.cases.schemas import PrecedentApprove
from core.errors import invalid
from core.inputs import AnswerText, Id, Line, LongText, Text
from core.users.authz import require_role
from core.users.enums import Role

router = APIRouter(route_class=WebRoute)


@router.get("/precedents")
async def precedents_page(
    request: Request, auth: Viewer, session: SessionDep, done: Line = ""
) -> HTMLResponse:
    """Pending proposals first (editable by admins), then decided ones. Supervisors see their own
    proposals (the service's rule), read-only."""
    require_role(auth.user, Role.SUPERVISOR, Role.ADMIN)
    pending, _ = await precedents.list_proposals(
        session, actor=auth.user, status=ProposalStatus.PROPOSED, limit=100
    )
    latest, _ = await precedents.list_proposals(session, actor=auth.user, limit=50)
    recent = [p for p in latest if p.status != ProposalStatus.PROPOSED]
    return render(
        request,
        "precedents.html",
        auth,
        pending=pending,
        recent=recent,
        labels=PROPOSAL_LABELS,
        done={"approved": "Đã duyệt và đưa vào kho tri thức.", "rejected": "Đã từ chối."}.get(
            done, ""
        ),
    )


@router.post("/precedents/{proposal_id}/approve")
async def precedent_approve(
    request: Request,
    auth: Actor,
    session: SessionDep,
    proposal_id: Id,
    title: Annotated[Line, Form()] = "",
    question: Annotated[LongText, Form()] = "",
    answer: Annotated[AnswerText, Form()] = "",
    legal_basis: Annotated[Text, Form()] = "",
    scope: Annotated[Line, Form()] = "unit",
    expires_on: Annotated[Line, Form()] = "",
    note: Annotated[Text, Form()] = "",
) -> Response:
    """Publish as a precedent document; searchable as soon as this returns."""
    ctx = ctx_of(request)
    try:
        data = PrecedentApprove(
            title=title.strip() or None,
            question=question.strip() or None,
            answer=answer.strip() or None,
            legal_basis=legal_basis.strip(),
            scope=scope,
            expires_on=date.fromisoformat(expires_on) if expires_on else None,
            note=note.strip() or None,
        )
    except (ValidationError, ValueError) as exc:
        raise invalid("Thông tin duyệt chưa hợp lệ (phạm vi, ngày hết hiệu lực…).") from exc
    await precedents.approve(session, actor=auth.user, proposal_id=proposal_id, data=data)
    await publish_to_search(session, ctx)
    return redirect("/precedents?done=approved")


@router.post("/precedents/{proposal_id}/reject")
async def precedent_reject(
    request: Request,
    auth: Actor,
    session: SessionDep,
    proposal_id: Id,
    note: Annotated[Text, Form()] = "",
) -> Response:
    """Decline with a reason the proposer will read."""
    await precedents.reject(
        session, actor=auth.user, proposal_id=proposal_id, note=note.strip() or None
    )
    return redirect("/precedents?done=rejected")
