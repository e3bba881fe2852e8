"""The console's start page: what each role can do from here."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.web.common import Viewer, WebRoute, render

router = APIRouter(route_class=WebRoute)


@router.get("/")
async def home(request: Request, auth: Viewer) -> HTMLResponse:
    """Links to the pages this person's role opens."""
    return render(request, "home.html", auth)
