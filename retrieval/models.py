"""Typed requests and results of the retrieval pipeline (the contract every front uses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal


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


@dataclass(frozen=True)
class SearchResponse:
    """Best passages first, a calibrated confidence in [0, 1] and the not-covered flag."""

    query: str
    hits: list[Hit] = field(default_factory=list)
    confidence: float = 0.0
    novel: bool = True
    mode: Literal["hybrid", "lexical"] = "hybrid"
