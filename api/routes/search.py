"""POST /search: the same cited retrieval the bot uses, filtered for the caller."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CtxDep, CurrentUser, SessionDep, end_transaction
from api.schemas import SearchIn, SearchOut
from core.feedback import service as feedback_service
from retrieval.models import SearchRequest

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
    response = await ctx.retriever.search(
        SearchRequest(
            query=body.query,
            k=body.k,
            unit_id=user.unit_id,
            position=user.position,
            on_date=body.on_date,
            kinds=tuple(str(k) for k in body.kinds),
        )
    )
    logged = await feedback_service.log_question(
        session,
        user_id=user.id,
        unit_id=user.unit_id,
        query=body.query,
        passages=[
            {
                "chunk_id": h.chunk_id,
                "document_id": h.document_id,
                "citation": h.citation,
                "text": h.text,
                "validity": h.validity,
                "score": h.score,
            }
            for h in response.hits
        ],
        confidence=response.confidence,
        novel=response.novel,
    )
    return SearchOut.of(response, logged.id)
