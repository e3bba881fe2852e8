"""Typed requests and results of the retrieval pipeline (the contract every front uses)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import numpy as np

    from retrieval.text import QueryTokens
    from retrieval.understand import Understood


@dataclass(frozen=True)
class SearchRequest:
    """A question plus filters. Filters narrow to documents valid for this asker on this date."""

    query: str
    k: int = 3
    unit_id: int | None = None  # asker's unit: national + its province + its own unit docs
    position: str | None = None  # asker's job position: docs for everyone or for this position
    on_date: date | None = None  # validity date; None means today
    kinds: tuple[str, ...] = ()  # restrict to document kinds; empty means all


@dataclass(frozen=True)
class Hit:
    """One passage with everything needed to cite it."""

    chunk_id: int
    document_id: int
    external_id: str | None
    citation: str  # "Luật Viên chức, Điều 29, khoản 1, điểm a"
    heading: str
    text: str
    document_title: str
    kind: str
    validity: str  # human text, e.g. "Hiệu lực từ 01/07/2020"
    score: float
    article: str | None = None  # the Điều number, when the passage is part of one
    # The clause that answers (set on the best hit): its exact citation and text.
    lead_citation: str = ""
    lead_text: str = ""
    article_text: str = ""  # the whole article, for "📄 Toàn văn"

    @property
    def answer_citation(self) -> str:
        return self.lead_citation or self.citation

    @property
    def answer_text(self) -> str:
        return self.lead_text or self.text


@dataclass(frozen=True)
class SearchResponse:
    """Best passages first, a calibrated confidence in [0, 1] and the not-covered flag."""

    query: str
    hits: list[Hit] = field(default_factory=list)
    confidence: float = 0.0
    novel: bool = True
    mode: Literal["hybrid", "lexical"] = "hybrid"
    understood: Understood | None = None  # the question as search read it
    timings: dict[str, float] = field(default_factory=dict)  # milliseconds per stage
    # Other documents with the article a question cites without naming its document
    # (retrieval/citations.py): the answer asks which one was meant.
    also_in: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueryPlan:
    """A question ready for ranking: what was understood, and each engine's input."""

    understood: Understood
    tokens: QueryTokens  # main BM25 side (accented, or folded when nothing could be restored)
    fallback: QueryTokens | None  # folded BM25 twin over what was typed (restored questions)
    vector: np.ndarray | None  # e5 vector of the understood text


class Timer:
    """Milliseconds spent per pipeline stage, in order (reported by --json and the API)."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps[stage] = round(self.laps.get(stage, 0.0) + (now - self._last) * 1000, 2)
        self._last = now


# What fronts show for each search mode.
MODE_LABELS = {"hybrid": "kết hợp ngữ nghĩa và từ khóa", "lexical": "chỉ theo từ khóa"}
