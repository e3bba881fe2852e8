"""Response shapes shared by several routers (pages, search results)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from core.inputs import Day, LongText
from knowledge.models import DocumentKind
from retrieval.models import SearchResponse

if TYPE_CHECKING:
    from api.deps import PageParams

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: the items, the total matching, and the page window."""

    items: list[T]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, items: list[T], total: int, window: PageParams) -> Page[T]:
        """The page for `window` (the request's limit and offset)."""
        return cls(items=items, total=total, limit=window.limit, offset=window.offset)


class SearchIn(BaseModel):
    """A question; filters default to the caller's unit, position and today."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"query": "cán bộ xã nghỉ phép năm bao nhiêu ngày", "k": 3}]
        }
    )

    query: LongText = Field(min_length=2, description="Câu hỏi bằng tiếng Việt")
    k: int = Field(default=3, ge=1, le=20, description="Số đoạn trích trả về")
    on_date: Day | None = Field(default=None, description="Ngày xét hiệu lực (mặc định hôm nay)")
    kinds: list[DocumentKind] = Field(default_factory=list, description="Chỉ các loại văn bản này")


class HitOut(BaseModel):
    """One cited passage."""

    chunk_id: int
    document_id: int
    external_id: str | None
    citation: str = Field(examples=["Luật Cán bộ, công chức, Điều 10, khoản 1"])
    heading: str
    text: str
    document_title: str
    kind: str
    validity: str = Field(examples=["Hiệu lực từ 01/07/2025"])
    score: float
    article: str | None = Field(default=None, description="Số điều chứa đoạn này")
    lead_citation: str = Field(
        default="", description="Khoản/điểm trả lời câu hỏi (chỉ ở kết quả đầu tiên)",
        examples=["Luật Cán bộ, công chức, Điều 10, khoản 1, điểm a"],
    )  # fmt: skip
    lead_text: str = Field(default="", description="Nội dung khoản/điểm đó")


class UnderstoodOut(BaseModel):
    """How search read the question (diacritics restored, shorthand expanded)."""

    text: str = Field(examples=["ủy ban nhân dân xã có được cấp giấy chứng nhận không"])
    unaccented: bool = Field(description="Câu hỏi được gõ (gần như) không dấu")
    expansions: list[str] = Field(examples=[["ubnd → ủy ban nhân dân"]])
    too_short: bool = Field(description="Câu hỏi quá ngắn để tra cứu")


class SearchOut(BaseModel):
    """Best passages first, the calibrated confidence and the not-covered flag."""

    query: str
    hits: list[HitOut]
    confidence: float = Field(ge=0.0, le=1.0)
    novel: bool = Field(description="Kho tri thức chưa bao quát tình huống này")
    mode: Literal["hybrid", "lexical"]
    question_id: int | None = Field(default=None, description="Mã câu hỏi đã ghi nhận")
    understood: UnderstoodOut | None = None
    timings_ms: dict[str, float] = Field(default_factory=dict, description="Thời gian từng bước")
    also_in: list[str] = Field(
        default_factory=list,
        description="Câu hỏi chỉ nêu số điều mà không nêu văn bản: các văn bản khác cũng có "
        "điều đó (độ tin cậy được giữ ở ngưỡng)",
    )

    @classmethod
    def of(cls, response: SearchResponse, question_id: int | None) -> SearchOut:
        """From the retrieval contract's dataclass."""
        u = response.understood
        understood = None
        if u is not None:
            understood = UnderstoodOut(
                text=u.text, unaccented=u.unaccented, expansions=list(u.expansions),
                too_short=u.too_short,
            )  # fmt: skip
        return cls(
            query=response.query,
            hits=[HitOut.model_validate(h, from_attributes=True) for h in response.hits],
            confidence=response.confidence,
            novel=response.novel,
            mode=response.mode,
            question_id=question_id,
            understood=understood,
            timings_ms=response.timings,
            also_in=list(response.also_in),
        )
