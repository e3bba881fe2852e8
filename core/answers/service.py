"""Ask a question: understand → search → rerank → pinpoint → calibrate (retrieval), then log.

The bot, `POST /api/v1/search` and the console's "Thử hỏi" all call `ask`, so an official gets
the same answer wherever they ask. The retrieval stages live in retrieval/ (each a small,
separately tested function); this layer adds who is asking (their unit and position filter
what they may be answered from) and the question log behind 👍/👎, "➕ Xem thêm" and the
statistics.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import metrics
from core.feedback import service as feedback
from core.recognition import reuse
from core.users.models import User
from retrieval.models import Hit, SearchRequest, SearchResponse
from retrieval.pinpoint import article_citation
from retrieval.service import Retriever

ALSO_IN = (
    "📚 Câu hỏi chưa nêu tên văn bản, và Điều {article} còn có trong: {titles}. "
    "Nếu bạn hỏi văn bản khác, hãy hỏi lại kèm tên văn bản đó."
)


@dataclass(frozen=True)
class Answer:
    """What the fronts render: the search response, the logged snapshot and its log id."""

    response: SearchResponse
    passages: list[dict[str, Any]]  # best first; the first one leads with its clause
    question_id: int | None  # None when not logged ("Thử hỏi", or nothing to answer)

    @property
    def too_short(self) -> bool:
        """The question had too little content: show how to ask, not an answer."""
        understood = self.response.understood
        return understood is not None and understood.too_short

    @property
    def also_in_note(self) -> str | None:
        """For "điều 3 nói gì": which other documents have that article (both fronts show it)."""
        also, hits = self.response.also_in, self.response.hits
        if not also or not hits:
            return None
        return ALSO_IN.format(article=hits[0].article, titles="; ".join(also))


def snapshot(hit: Hit, *, lead: bool) -> dict[str, Any]:
    """What is kept of a hit: enough to cite it again, show the article and escalate with it."""
    out: dict[str, Any] = {
        "chunk_id": hit.chunk_id,
        "document_id": hit.document_id,
        "citation": hit.answer_citation,
        "validity": hit.validity,
        "text": hit.answer_text,
        "kind": hit.kind,
        "score": round(hit.score, 4),
    }
    if lead and hit.article_text:
        out["article"] = hit.article
        out["article_citation"] = article_citation(hit.citation)
        out["article_text"] = hit.article_text
    return out


async def ask(
    session: AsyncSession | None,
    retriever: Retriever,
    *,
    user: User,
    query: str,
    k: int,
    unit_id: int | None = None,
    position: str | None = None,
    on_date: date | None = None,
    kinds: tuple[str, ...] = (),
) -> Answer:
    """Answer `query` for `user` (filtered by their unit and position unless the caller,
    having checked the right to, asks on behalf of another unit or position). Without a
    session nothing is logged ("Thử hỏi"); search itself never writes."""
    response = await retriever.search(
        SearchRequest(
            query=query,
            k=k,
            unit_id=unit_id if unit_id is not None else user.unit_id,
            position=position if position is not None else user.position,
            on_date=on_date,
            kinds=kinds,
        )
    )
    metrics.observe_search(response.timings, response.mode)
    passages = [snapshot(h, lead=i == 0) for i, h in enumerate(response.hits)]
    answer = Answer(response, passages, None)
    if session is None or answer.too_short:
        return answer
    entry = await feedback.log_question(
        session, user_id=user.id, unit_id=user.unit_id, query=query, passages=passages,
        confidence=response.confidence, novel=response.novel,
    )  # fmt: skip
    if passages and not response.novel:  # an approved precedent taught another commune
        await reuse.note(session, user=user, lead=passages[0])
    return Answer(response, passages, entry.id)
