""" "Thử hỏi": ask a question and see what the bot would answer, without Telegram."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from api.web.common import Actor, Viewer, WebRoute, ctx_of, render
from core.errors import invalid
from retrieval.models import SearchRequest

router = APIRouter(route_class=WebRoute)


@router.get("/try")
async def try_page(request: Request, auth: Viewer) -> HTMLResponse:
    """The question form."""
    return render(request, "try.html", auth, answer=None, question="")


@router.post("/try")
async def try_ask(request: Request, auth: Actor, question: Annotated[str, Form()]) -> HTMLResponse:
    """Run the question through the bot's retrieval pipeline with the asker's filters."""
    ctx = ctx_of(request)
    question = " ".join(question.split())
    if not question:
        raise invalid("Hãy nhập câu hỏi.")
    if len(question) > ctx.settings.max_text_chars:
        raise invalid(f"Câu hỏi dài quá {ctx.settings.max_text_chars} ký tự.")
    answer = await ctx.retriever.search(
        SearchRequest(
            query=question,
            k=ctx.settings.answer_passages,
            unit_id=auth.user.unit_id,
            position=auth.user.position,
        )
    )
    name = "_answer.html" if request.headers.get("HX-Request") == "true" else "try.html"
    return render(request, name, auth, answer=answer, question=question)
