"""Near-duplicate open cases: link a new case to an open one asking the same thing, same level.

Similarity is the cosine of question embeddings when a model is loaded, else the cosine of
diacritic-folded word counts (lexical-only deployments still catch copies and light edits).
"Same scope" means the same current level: the supervisors who will answer one can answer all.
"""

from __future__ import annotations

import asyncio
import math
import re
import unicodedata
from collections import Counter
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.cases.enums import OPEN_STATUSES
from core.cases.models import Case

# Only the most recent open cases of a level are compared; older ones are rarely re-asked.
CANDIDATE_LIMIT = 500
_WORD = re.compile(r"\w+", re.UNICODE)


class QueryEncoder(Protocol):
    """The part of retrieval.embedder.Embedder used here (rows are L2-normalised)."""

    def encode_queries(self, texts: list[str]) -> Any: ...


def fold_words(text: str) -> Counter[str]:
    """Lower-cased words without Vietnamese diacritics ("Cán bộ" -> {"can", "bo"})."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return Counter(_WORD.findall(plain))


def lexical_similarity(a: str, b: str) -> float:
    """Cosine of folded word-count vectors, in [0, 1]."""
    ca, cb = fold_words(a), fold_words(b)
    dot = sum(n * cb.get(w, 0) for w, n in ca.items())
    na = math.sqrt(sum(n * n for n in ca.values()))
    nb = math.sqrt(sum(n * n for n in cb.values()))
    return dot / (na * nb) if na and nb else 0.0


def cosine(a: list[float], b: list[float]) -> float:
    """Cosine similarity of two vectors (the embedder normalises, but be safe)."""
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


async def embed_question(encoder: QueryEncoder | None, text: str) -> list[float] | None:
    """The question's vector as a JSON-friendly list, computed off the event loop."""
    if encoder is None:
        return None
    matrix = await asyncio.to_thread(encoder.encode_queries, [text])
    return [round(float(x), 6) for x in matrix[0]]


def similarity(
    question: str, vector: list[float] | None, other_question: str, other_vector: list[float] | None
) -> float:
    """The larger of embedding cosine (paraphrases) and folded-word cosine (copies typed with or
    without diacritics, which the encoder scores lower)."""
    lexical = lexical_similarity(question, other_question)
    if vector and other_vector and len(vector) == len(other_vector):
        return max(cosine(vector, other_vector), lexical)
    return lexical


async def find_duplicate(
    session: AsyncSession, case: Case, threshold: float
) -> tuple[int, int | None, float] | None:
    """(id, group id, score) of the most similar open case at the same level above `threshold`."""
    rows = await session.execute(
        select(Case.id, Case.duplicate_group_id, Case.question, Case.embedding)
        .where(
            Case.level_unit_id == case.level_unit_id,
            Case.status.in_([s.value for s in OPEN_STATUSES]),
            Case.id != case.id,
        )
        .order_by(Case.id.desc())
        .limit(CANDIDATE_LIMIT)
    )
    best: tuple[int, int | None, float] | None = None
    for other_id, group_id, question, vector in rows.tuples():
        score = similarity(case.question, case.embedding, question, vector)
        if score >= threshold and (best is None or score > best[2]):
            best = (other_id, group_id, score)
    return best


async def link_duplicates(
    session: AsyncSession, *, case: Case, threshold: float
) -> tuple[int, float] | None:
    """Put `case` into the group of its nearest open duplicate; returns (group id, score)."""
    found = await find_duplicate(session, case, threshold)
    if found is None:
        return None
    other_id, other_group, score = found
    group_id = other_group or other_id
    if other_group is None:
        # The first case of a group is its anchor; it points at itself.
        await session.execute(
            update(Case)
            .where(Case.id == other_id, Case.duplicate_group_id.is_(None))
            .values(duplicate_group_id=group_id)
            .execution_options(synchronize_session=False)
        )
    case.duplicate_group_id = group_id
    await session.flush()
    return group_id, score
