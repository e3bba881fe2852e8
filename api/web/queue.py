"""Supervisor queue: open cases nearest deadline first, filtered, searched and paged, each with
its deadline state and the working time left (core.cases.queueview)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.deps import SessionDep
from api.web.common import Viewer, WebRoute, ctx_of, render
from core.cases.calendar import calendar_for
from core.cases.enums import STATUS_LABELS, URGENCY_LABELS, CaseStatus, Urgency
from core.cases.queueview import QUEUE_VIEWS, QueueQuery, queue_page, sla_of
from core.db import utcnow
from core.inputs import Line
from core.users.authz import require_role
from core.users.enums import Role

router = APIRouter(route_class=WebRoute)


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


def _query(view: str, q: str, unit: str, topic: str, urgency: str, page: str) -> QueueQuery:
    """The filters as sent by the form; anything unrecognised means "no filter"."""
    return QueueQuery(
        view=view if view in QUEUE_VIEWS else "all",  # type: ignore[arg-type]
        q=q.strip(),
        unit_id=int(unit) if unit.isdigit() else None,
        topic=topic.strip() or None,
        urgency=Urgency(urgency) if urgency in {u.value for u in Urgency} else None,
        page=int(page) if page.isdigit() and int(page) > 0 else 1,
    )


def _params(query: QueueQuery, page: int | None = None) -> str:
    """The query string that reproduces `query` (on another page when given)."""
    items = {
        "view": query.view if query.view != "all" else "",
        "q": query.q,
        "unit": query.unit_id or "",
        "topic": query.topic or "",
        "urgency": query.urgency.value if query.urgency else "",
        "page": page if page and page > 1 else "",
    }
    return urlencode({k: v for k, v in items.items() if v})


@router.get("/queue")
async def queue_page_view(
    request: Request,
    auth: Viewer,
    session: SessionDep,
    partial: bool = False,
    view: Line = "all",
    q: Line = "",
    unit: Line = "",
    topic: Line = "",
    urgency: Line = "",
    page: Line = "1",
) -> HTMLResponse:
    """Open cases this supervisor may act on; the list refreshes itself every 30 seconds."""
    require_role(auth.user, Role.SUPERVISOR, Role.ADMIN)
    ctx = ctx_of(request)
    query = _query(view, q, unit, topic, urgency, page)
    now = utcnow()
    result = await queue_page(session, actor=auth.user, query=query, now=now)
    calendar = calendar_for(ctx.settings)
    items = [(case, sla_of(case, now, calendar)) for case in result.cases]
    return render(
        request,
        "_queue_table.html" if partial else "queue.html",
        auth,
        items=items,
        result=result,
        query=query,
        views=QUEUE_VIEWS,
        urgencies=URGENCY_LABELS,
        params=_params,
        status_label=status_label,
        urgency_label=urgency_label,
    )
