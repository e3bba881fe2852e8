"""Supervisor queue: open cases nearest deadline first, coloured by SLA state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.web.common import Viewer, WebRoute, ctx_of, render
from core.cases import service as cases
from core.cases.enums import OPEN_STATUSES, STATUS_LABELS, URGENCY_LABELS, CaseStatus, Urgency
from core.cases.models import Case
from core.db import unit_of_work, utcnow
from core.users.access import require_role
from core.users.enums import Role

router = APIRouter(route_class=WebRoute)

SLA_LABELS = {
    "ok": "trong hạn",
    "warn": "đã qua 50% thời hạn",
    "danger": "đã qua 80% thời hạn",
    "overdue": "quá hạn",
    "done": "đã xong",
}


@dataclass(frozen=True)
class SlaView:
    """How a case stands against its current deadline window (the service's 50/80/100% marks)."""

    state: str
    label: str
    due_at: datetime


def sla_of(case: Case, now: datetime) -> SlaView:
    """SLA state from the marks the queue service stored on the case."""
    if case.status not in {s.value for s in OPEN_STATUSES}:
        state = "done"
    elif now >= case.due_at:
        state = "overdue"
    elif now >= case.remind_80_at:
        state = "danger"
    elif now >= case.remind_50_at:
        state = "warn"
    else:
        state = "ok"
    return SlaView(state, SLA_LABELS[state], case.due_at)


def status_label(status: str) -> str:
    """Vietnamese label of a case status."""
    try:
        return STATUS_LABELS[CaseStatus(status)]
    except ValueError:
        return status


def urgency_label(urgency: str) -> str:
    """Vietnamese label of an urgency."""
    try:
        return URGENCY_LABELS[Urgency(urgency)]
    except ValueError:
        return urgency


@router.get("/queue")
async def queue_page(request: Request, auth: Viewer, partial: bool = False) -> HTMLResponse:
    """Open cases this supervisor may act on; the table refreshes itself every 30 seconds."""
    require_role(auth.user, Role.SUPERVISOR, Role.ADMIN)
    ctx = ctx_of(request)
    async with unit_of_work(ctx.sessionmaker) as session:
        rows = await cases.queue(session, actor=auth.user, limit=200)
    now = utcnow()
    items = [(case, sla_of(case, now)) for case in rows]
    name = "_queue_table.html" if partial else "queue.html"
    return render(
        request,
        name,
        auth,
        items=items,
        status_label=status_label,
        urgency_label=urgency_label,
    )
