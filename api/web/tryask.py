""" "Thử hỏi": ask a question and see what the bot would answer, without Telegram.

Admins and supervisors may ask "as" a unit and position, to see what a cadre there would get.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import SessionDep, end_transaction
from api.web.common import Actor, Viewer, WebAuth, WebRoute, ctx_of, render
from core.answers import service as answers
from core.errors import forbidden, invalid
from core.inputs import Id, Line, LongText
from core.users import service as users
from core.users.authz import is_admin, supervised_unit_ids
from core.users.models import Unit

router = APIRouter(route_class=WebRoute)
# As the bot: the answering passage plus a few more for "➕ Xem thêm".
EXTRA_PASSAGES = 4


async def _units(session: AsyncSession, auth: WebAuth) -> list[Unit]:
    """Units this person may ask on behalf of: all for admins, their own ones for supervisors."""
    units = await users.list_units(session)
    if is_admin(auth.user):
        return units
    mine = supervised_unit_ids(auth.user) | {auth.user.unit_id}
    return [u for u in units if u.id in mine]


@router.get("/try")
async def try_page(request: Request, auth: Viewer, session: SessionDep) -> HTMLResponse:
    """The question form."""
    return render(
        request,
        "try.html",
        auth,
        answer=None,
        question="",
        units=await _units(session, auth),
        unit_id=auth.user.unit_id,
        position=auth.user.position or "",
    )


@router.post("/try")
async def try_ask(
    request: Request,
    auth: Actor,
    session: SessionDep,
    question: Annotated[LongText, Form()],
    unit_id: Annotated[Id | None, Form()] = None,
    position: Annotated[Line, Form()] = "",
) -> HTMLResponse:
    """Run the question through the bot's retrieval pipeline with the asker's filters."""
    ctx = ctx_of(request)
    question = " ".join(question.split())
    if not question:
        raise invalid("Hãy nhập câu hỏi.")
    units = await _units(session, auth)
    unit = unit_id if unit_id is not None else auth.user.unit_id
    if unit not in {u.id for u in units}:
        raise forbidden("Bạn không được hỏi thay cho đơn vị này.")
    position = " ".join(position.split()) or (auth.user.position or "")
    await end_transaction(session)  # the retriever opens its own session
    answer = await answers.ask(
        None, ctx.retriever, user=auth.user, query=question, k=1 + EXTRA_PASSAGES,
        unit_id=unit, position=position or None,
    )  # fmt: skip
    name = "_answer.html" if request.headers.get("HX-Request") == "true" else "try.html"
    return render(
        request,
        name,
        auth,
        answer=answer,
        question=question,
        units=units,
        unit_id=unit,
        position=position,
    )
