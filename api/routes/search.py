"""POST /search: the same cited retrieval the bot uses, filtered for the caller."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CtxDep, CurrentUser, SessionDep, end_transaction
from api.schemas import SearchIn, SearchOut
from core.answers import service as answers

router = APIRouter(tags=["search"])


@router.post(
    "/search",
    response_model=SearchOut,
    summary="Tra cứu có trích dẫn",
    description="Tìm các đoạn văn bản phù hợp nhất với câu hỏi, lọc theo đơn vị, chức danh của "
    "người hỏi và ngày hiệu lực; kèm độ tin cậy và cờ “chưa có trong kho tri thức”. "
    "Câu hỏi được ghi nhận cho thống kê. Mọi vai trò đều dùng được.",
)
async def search(body: SearchIn, user: CurrentUser, ctx: CtxDep, session: SessionDep) -> SearchOut:
    """Search the knowledge base as the caller."""
    await end_transaction(session)
    result = await answers.ask(
        session, ctx.retriever, user=user, query=body.query, k=body.k, on_date=body.on_date,
        kinds=tuple(str(k) for k in body.kinds),
    )  # fmt: skip
    return SearchOut.of(result.response, result.question_id)
