"""Web console for supervisors, evaluators and admins (server-rendered Jinja2 + htmx).

`router` is included by the API app; every page calls the same core services and access
checks as the REST API.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles

from api.web import (
    admin,
    analytics,
    auth,
    cases,
    drills,
    home,
    initiatives,
    knowledge,
    precedents,
    queue,
    tasks,
    tryask,
)
from api.web.common import STATIC_DIR, html_error

router = APIRouter(include_in_schema=False)
router.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
for module in (
    auth,
    home,
    tryask,
    knowledge,
    queue,
    cases,
    precedents,
    initiatives,
    tasks,
    drills,
    admin,
    analytics,
):
    router.include_router(module.router)

__all__ = ["html_error", "router"]
