"""Find initiatives similar to a new one, from any unit: embedding cosine, lexical fallback.

The point is to let people co-author or adopt an existing initiative instead of duplicating it.
"""

from __future__ import annotations

import asyncio
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from typing import Protocol

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.config import Settings
from core.initiatives.models import Initiative
from core.users.models import Unit


class TextEncoder(Protocol):
    """What we need of `retrieval.embedder.Embedder` (kept structural: no import of retrieval)."""

    def encode_queries(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class SimilarInitiative:
    """Another initiative that resembles the one at hand."""

    id: int
    number: str
    title: str
    unit_name: str | None  # None when hidden from an evaluator (core.initiatives.views)
    status: str
    score: float
    method: str  # "semantic" (embedding cosine) or "lexical"


def initiative_text(title: str, problem: str, actions: str, results: str) -> str:
    """The text that represents an initiative for similarity: what it solves and how."""
    return "\n".join(part.strip() for part in (title, problem, actions, results) if part.strip())


async def embed(encoder: TextEncoder | None, text: str) -> bytes | None:
    """The float32 vector of `text` as bytes, or None without a model.

    Both sides of the comparison use the e5 "query:" prompt: the task is symmetric.
    The encoder runs in a thread so the event loop keeps serving other users.
    """
    if encoder is None or not text.strip():
        return None
    vectors = await asyncio.to_thread(encoder.encode_queries, [text])
    return np.asarray(vectors[0], dtype=np.float32).tobytes()


_WORD = re.compile(r"\w+")
# Very common words that say nothing about what an initiative does.
_STOP = frozenset(
    {
        "va", "cua", "cho", "cac", "nhung", "mot", "trong", "tai", "duoc", "khi", "de", "voi",
        "la", "co", "khong", "nguoi", "da", "tu", "theo", "ve", "nay", "the", "thi", "ma",
        "hay", "nhu", "tren", "den", "ra",
    }
)  # fmt: skip


def fold(text: str) -> str:
    """Lower-case, strip Vietnamese diacritics (đ → d), so typing style does not matter."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _terms(text: str) -> Counter[str]:
    """Unigrams and bigrams of folded words: bigrams capture Vietnamese two-syllable words."""
    words = [w for w in _WORD.findall(fold(text)) if w not in _STOP and len(w) > 1]
    return Counter(words + [f"{a}_{b}" for a, b in pairwise(words)])


def lexical_similarity(a: str, b: str) -> float:
    """Cosine of term counts, in 0..1."""
    ta, tb = _terms(a), _terms(b)
    dot = sum(count * tb[term] for term, count in ta.items())
    norm = math.sqrt(sum(v * v for v in ta.values())) * math.sqrt(sum(v * v for v in tb.values()))
    return dot / norm if norm else 0.0


def _cosine(a: bytes, b: bytes) -> float | None:
    va = np.frombuffer(a, dtype=np.float32)
    vb = np.frombuffer(b, dtype=np.float32)
    if va.shape != vb.shape:  # vectors from a different model: not comparable
        return None
    return float(np.dot(va, vb))


async def find_similar(
    session: AsyncSession,
    *,
    initiative: Initiative,
    settings: Settings,
    limit: int | None = None,
) -> list[SimilarInitiative]:
    """Initiatives from any unit resembling `initiative`, best first, above the thresholds."""
    text = initiative_text(
        initiative.title, initiative.problem, initiative.actions, initiative.results
    )
    rows = await session.execute(
        select(
            Initiative.id,
            Initiative.number,
            Initiative.title,
            Initiative.problem,
            Initiative.actions,
            Initiative.results,
            Initiative.status,
            Initiative.embedding,
            Unit.name,
        )
        .join(Unit, Unit.id == Initiative.unit_id)
        .where(Initiative.id != initiative.id)
    )
    found: list[SimilarInitiative] = []
    for row in rows:
        score: float | None = None
        method = "semantic"
        if initiative.embedding is not None and row.embedding is not None:
            score = _cosine(initiative.embedding, row.embedding)
            threshold = settings.initiative_similarity
        if score is None:
            method = "lexical"
            other = initiative_text(row.title, row.problem, row.actions, row.results)
            score = lexical_similarity(text, other)
            threshold = settings.initiative_lexical_similarity
        if score >= threshold:
            found.append(
                SimilarInitiative(
                    row.id, row.number, row.title, row.name, row.status, round(score, 4), method
                )
            )
    found.sort(key=lambda s: s.score, reverse=True)
    return found[: limit or settings.initiative_similar_limit]
