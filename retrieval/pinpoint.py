"""Pinpointing: the khoản/điểm of the best article that answers the question.

An article is stored as overlapping windows; they are stitched back into the article's text,
split into units (a clause, or a point together with its clause's lead-in, since "a) ..." alone
does not read as an answer), and each unit is scored against the question: how much of the
question's vocabulary (weighted by rarity) and of its word pairs the unit holds, plus, when
the model is available, the cosine between the question and the unit. The answer then leads
with that unit and cites it exactly ("Luật X, Điều 5, khoản 2, điểm b").

Approved guidance (precedents) is not a legal article: its unit is the "Hướng dẫn" paragraph,
followed by its source line.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from core.text import fold

CLAUSE_RE = re.compile(r"^(\d{1,3})\.\s")
POINT_RE = re.compile(r"^([a-zđ])\)\s")
_WORD = re.compile(r"\w+")
# Labels of an approved precedent's body (knowledge/authored.py writes them).
GUIDANCE_LABEL = "Hướng dẫn:"
SOURCE_LABEL = "Nguồn:"
_LABELS = ("Tình huống:", GUIDANCE_LABEL, "Căn cứ pháp lý:", SOURCE_LABEL)
_SHOWN = (GUIDANCE_LABEL, "Căn cứ pháp lý:", SOURCE_LABEL)
_LABELLED = re.compile(
    "("
    + "|".join(map(re.escape, _LABELS))
    + r")(.*?)(?="
    + "|".join(map(re.escape, _LABELS))
    + "|$)"
)
# Lexical versus dense weight of a clause's score (dense when the encoder is available).
DENSE_WEIGHT = 0.5
# A point is cited alone when its own words match the question this many times better than
# any other point of the clause; otherwise the whole clause is the answer.
POINT_MARGIN = 1.5


@dataclass(frozen=True)
class Unit:
    """One citable piece of an article."""

    clause: str | None
    point: str | None
    text: str

    def cite(self, article_citation: str) -> str:
        parts = [article_citation]
        if self.clause:
            parts.append(f"khoản {self.clause}")
        if self.point:
            parts.append(f"điểm {self.point}")
        return ", ".join(parts)


def article_citation(chunk_citation: str) -> str:
    """A window's citation cut back to its article ("Luật X, Điều 3, khoản 1–4" -> "Luật X,
    Điều 3")."""
    return re.split(r", (?:khoản|điểm) ", chunk_citation, maxsplit=1)[0]


def stitch(windows: Sequence[str]) -> str:
    """Overlapping windows (in order) back into one text: each window starts inside the
    previous one, so its longest prefix that ends the previous text is dropped."""
    out = windows[0] if windows else ""
    for nxt in windows[1:]:
        overlap = 0
        for size in range(min(len(out), len(nxt)), 0, -1):
            if out.endswith(nxt[:size]):
                overlap = size
                break
        out += nxt[overlap:] if overlap else "\n" + nxt
    return out


@dataclass(frozen=True)
class Part:
    """A clause (or the article's own lead-in) with the points under it."""

    clause: str | None
    lead: tuple[str, ...]
    points: tuple[tuple[str, str], ...]  # (letter, text)

    @property
    def text(self) -> str:
        return "\n".join([*self.lead, *(t for _, t in self.points)])


def parts(body: str) -> list[Part]:
    """The article split into clauses, each with its points."""
    if GUIDANCE_LABEL in body and SOURCE_LABEL in body:
        return [Part(None, tuple(_guidance(body)), ())]
    lines = [ln.strip() for ln in body.splitlines() if ln.strip()]
    out: list[Part] = []
    clause: str | None = None
    lead: list[str] = []
    points: list[tuple[str, str]] = []
    for line in lines:
        c, p = CLAUSE_RE.match(line), POINT_RE.match(line)
        if c:
            if lead or points:
                out.append(Part(clause, tuple(lead), tuple(points)))
            clause, lead, points = c.group(1), [line], []
        elif p:
            points.append((p.group(1), line))
        elif points:
            letter, text = points[-1]
            points[-1] = (letter, f"{text}\n{line}")
        else:
            lead.append(line)
    if lead or points:
        out.append(Part(clause, tuple(lead), tuple(points)))
    return out or [Part(None, (body.strip(),), ())]


def _guidance(body: str) -> list[str]:
    """A precedent: its guidance, legal basis and source, one per line (the stored passage may
    have lost its line breaks: the labels are found wherever they are)."""
    found = dict(
        (m.group(1), m.group(2).strip()) for m in _LABELLED.finditer(" ".join(body.split()))
    )
    return [f"{label} {found[label]}" for label in _SHOWN if found.get(label)]


def _syllables(text: str) -> list[str]:
    return [fold(w) for w in _WORD.findall(text.lower())]


class _Scorer:
    """Lexical match of texts to one question: rare words covered, plus word pairs."""

    def __init__(self, query: str, idf: dict[str, float]) -> None:
        q = _syllables(query)
        self.pairs = set(itertools.pairwise(q))
        self.weights = {t: idf.get(t, 0.0) for t in set(q)}
        self.total = sum(self.weights.values()) or 1.0

    def __call__(self, text: str) -> float:
        syl = _syllables(text)
        have = set(syl)
        cover = sum(w for t, w in self.weights.items() if t in have) / self.total
        pairs = (
            len(self.pairs & set(itertools.pairwise(syl))) / len(self.pairs) if self.pairs else 0
        )
        return cover + pairs


def choose(
    query: str,
    candidates: Sequence[Part],
    idf: dict[str, float],
    qvec: np.ndarray | None = None,
    encode: Callable[[list[str]], np.ndarray] | None = None,
) -> Unit:
    """The clause that best answers the question, narrowed to one of its points when one point
    alone clearly holds the answer (`query` as understood; `qvec` its vector and `encode` the
    passage encoder, when the model is available)."""
    scorer = _Scorer(query, idf)
    score = np.asarray([scorer(p.text) for p in candidates], dtype=np.float32)
    if encode is not None and qvec is not None and len(candidates) > 1:
        cosines = encode([p.text for p in candidates]) @ qvec
        mixed = (1 - DENSE_WEIGHT) * _unit_scale(score) + DENSE_WEIGHT * _unit_scale(cosines)
        score = np.asarray(mixed, dtype=np.float32)
    part = candidates[int(np.argmax(score))]
    own = sorted(((scorer(text), letter, text) for letter, text in part.points), reverse=True)
    if own and own[0][0] > 0 and (len(own) == 1 or own[0][0] >= POINT_MARGIN * own[1][0]):
        _, letter, text = own[0]
        return Unit(part.clause, letter, "\n".join([*part.lead, text]))
    return Unit(part.clause, None, part.text)


def _unit_scale(values: np.ndarray) -> np.ndarray:
    lo, hi = float(values.min()), float(values.max())
    scaled = (values - lo) / (hi - lo) if hi > lo else np.zeros_like(values)
    return np.asarray(scaled, dtype=np.float32)
