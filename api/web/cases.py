"""Case page: question, retrieved passages, history; claim, answer (with legal basis), forward,
propose as precedent. Every action is the queue service's own function."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import BaseModel, ValidationError

from api.deps import SessionDep, end_transaction
from api.web.common import Actor, Viewer, WebRoute, ctx_of, form_problem, redirect, render
from api.web.queue import status_label, urgency_label
from core.cases import files as case_files
from core.cases import notes as case_notes
from core.cases import precedents
from core.cases import service as cases
from core.cases.access import supervised_ids
from core.cases.actions import CaseAction, actions_for
from core.cases.calendar import calendar_for
from core.cases.queueview import sla_of
from core.cases.schemas import CaseAnswer, CaseForward, PrecedentPropose
from core.db import utcnow
from core.errors import invalid, not_found
from core.inputs import AnswerText, Id, Line, Text
from core.users import service as users
from core.users.authz import require_role
from core.users.enums import Role
from retrieval.models import SearchRequest

router = APIRouter(route_class=WebRoute)
M = TypeVar("M", bound=BaseModel)
MIN_CITATION_QUERY = 2  # characters typed before the citation search runs
CITATION_HITS = 6
MAX_LEGAL_BASIS = 2000  # the legal-basis field's limit (CaseAnswer)

DONE_MESSAGES = {
    "claimed": "Bạn đã nhận xử lý yêu cầu này.",
    "answered": "Đã gửi câu trả lời tới người hỏi.",
    "forwarded": "Đã chuyển yêu cầu lên cấp trên.",
    "proposed": "Đã đề xuất thành hướng dẫn, chờ quản trị viên duyệt.",
    "noted": "Đã lưu ghi chú nội bộ.",
}


def _valid(build: type[M], **fields: object) -> M:
    # Pydantic messages are English; the console speaks Vietnamese.
    try:
        return build(**fields)
    except ValidationError as exc:
        default = "Nội dung nhập chưa hợp lệ (trống hoặc quá dài)."
        raise invalid(form_problem(list(exc.errors()), default)) from exc


@router.get("/cases/{case_id}")
async def case_page(
    request: Request, auth: Viewer, session: SessionDep, case_id: Id, done: Line = ""
) -> HTMLResponse:
    """Everything a supervisor needs to answer a case."""
    require_role(auth.user, Role.SUPERVISOR, Role.ADMIN)
    ctx = ctx_of(request)
    case = await cases.get_case(session, actor=auth.user, case_id=case_id)
    entries = await cases.history(session, actor=auth.user, case_id=case_id)
    units = await supervised_ids(session, auth.user)
    actions = actions_for(auth.user, units, case)
    notes = (
        await case_notes.list_notes(session, actor=auth.user, case_id=case_id)
        if case_notes.may_read_notes(auth.user, units, case)
        else None
    )
    # Colleagues at the same level a case may be handed to by name.
    colleagues = [
        u
        for u in await users.supervisors_of(session, unit_id=case.level_unit_id)
        if u.id != auth.user.id
    ]
    return render(
        request,
        "case.html",
        auth,
        case=case,
        history=entries,
        sla=sla_of(case, utcnow(), calendar_for(ctx.settings)),
        can_claim=CaseAction.CLAIM in actions,
        can_answer=CaseAction.ANSWER in actions,
        can_forward=CaseAction.FORWARD in actions,
        can_propose=CaseAction.PROPOSE in actions,
        colleagues=colleagues,
        notes=notes,
        status_label=status_label,
        urgency_label=urgency_label,
        done=DONE_MESSAGES.get(done, ""),
    )


@router.get("/cases/{case_id}/citations")
async def case_citations(
    request: Request, auth: Viewer, session: SessionDep, case_id: Id, cq: Line = ""
) -> HTMLResponse:
    """While writing the legal basis: knowledge-base citations (document, Điều, khoản) matching
    a few words, searched as the asker would be (their unit's documents, their position)."""
    require_role(auth.user, Role.SUPERVISOR, Role.ADMIN)
    ctx = ctx_of(request)
    case = await cases.get_case(session, actor=auth.user, case_id=case_id)
    await end_transaction(session)  # the retriever opens its own session
    words = " ".join(cq.split())
    hits = []
    if len(words) >= MIN_CITATION_QUERY:
        request_ = SearchRequest(
            query=words, k=CITATION_HITS, unit_id=case.unit_id, position=case.position
        )
        hits = list((await ctx.retriever.search(request_)).hits)
    return render(
        request, "_citations.html", auth, case_id=case_id, hits=hits, searched=bool(words)
    )


@router.get("/cases/{case_id}/citations/insert")
async def case_citation_insert(
    request: Request,
    auth: Viewer,
    case_id: Id,
    citation: Line = "",
    legal_basis: Text = "",
) -> HTMLResponse:
    """The legal-basis field with `citation` added (htmx swaps it in place; nothing is saved
    until the answer is sent)."""
    require_role(auth.user, Role.SUPERVISOR, Role.ADMIN)
    return render(
        request,
        "_legal_basis_input.html",
        auth,
        value=with_citation(legal_basis, citation),
    )


def with_citation(basis: str, citation: str) -> str:
    """`basis` with `citation` appended ("; "-separated), unless already there or too long."""
    basis, citation = basis.strip(), " ".join(citation.split())
    if not citation or citation in basis:
        return basis
    joined = f"{basis}; {citation}" if basis else citation
    return joined if len(joined) <= MAX_LEGAL_BASIS else basis


@router.get("/cases/{case_id}/files/{index}")
async def case_file(
    request: Request, auth: Viewer, session: SessionDep, case_id: int, index: int
) -> Response:
    """One attachment of a case, under the case page's access rules: photos inline (the page
    previews them), anything else as a download."""
    require_role(auth.user, Role.SUPERVISOR, Role.ADMIN)
    ctx = ctx_of(request)
    case = await cases.get_case(session, actor=auth.user, case_id=case_id)
    items = list(case.attachments or [])
    if not 0 <= index < len(items):
        raise not_found("tệp đính kèm")
    item = items[index]
    path = case_files.locate(ctx.settings, item.get("path"))
    photo = item.get("kind") == "photo"
    return FileResponse(
        path,
        media_type="image/jpeg" if photo else "application/octet-stream",
        filename=path.name.split("-", 1)[-1],
        content_disposition_type="inline" if photo else "attachment",
        headers={"X-Content-Type-Options": "nosniff"},
    )


@router.post("/cases/{case_id}/claim")
async def case_claim(request: Request, auth: Actor, session: SessionDep, case_id: Id) -> Response:
    """Atomic claim; a losing supervisor sees who has it."""
    await cases.claim(session, actor=auth.user, case_id=case_id)
    return redirect(f"/cases/{case_id}?done=claimed")


@router.post("/cases/{case_id}/answer")
async def case_answer(
    request: Request,
    auth: Actor,
    session: SessionDep,
    case_id: Id,
    text: Annotated[AnswerText, Form()],
    legal_basis: Annotated[Text, Form()] = "",
) -> Response:
    """Answer (claiming first if free); the asker gets the receipt through the bot."""
    data = _valid(CaseAnswer, text=text.strip(), legal_basis=legal_basis.strip() or None)
    await cases.answer(session, actor=auth.user, case_id=case_id, data=data)
    return redirect(f"/cases/{case_id}?done=answered")


@router.post("/cases/{case_id}/forward")
async def case_forward(
    request: Request,
    auth: Actor,
    session: SessionDep,
    case_id: Id,
    note: Annotated[Text, Form()] = "",
    to_user_id: Annotated[Line, Form()] = "",
) -> Response:
    """Forward one rung up the ladder, or to a named colleague, with an optional note."""
    ctx = ctx_of(request)
    target = int(to_user_id) if to_user_id.strip().isdigit() else None
    data = _valid(CaseForward, note=note.strip() or None, to_user_id=target)
    await cases.forward(session, actor=auth.user, case_id=case_id, data=data, settings=ctx.settings)
    return redirect(f"/cases/{case_id}?done=forwarded")


@router.post("/cases/{case_id}/propose")
async def case_propose(
    request: Request,
    auth: Actor,
    session: SessionDep,
    case_id: Id,
    title: Annotated[Line, Form()] = "",
    note: Annotated[Text, Form()] = "",
) -> Response:
    """Propose the answer as reusable guidance for an admin to approve."""
    data = _valid(PrecedentPropose, title=title.strip() or None, note=note.strip() or None)
    await precedents.propose(session, actor=auth.user, case_id=case_id, data=data)
    return redirect(f"/cases/{case_id}?done=proposed")


@router.post("/cases/{case_id}/notes")
async def case_note(
    request: Request,
    auth: Actor,
    session: SessionDep,
    case_id: Id,
    text: Annotated[Text, Form()] = "",
) -> Response:
    """An internal note for the case's supervisors and admins (never shown to the asker)."""
    await case_notes.add_note(session, actor=auth.user, case_id=case_id, text=text)
    return redirect(f"/cases/{case_id}?done=noted#notes")
