"""Which documents a request may see (scope, position, validity date, kind) and how a
document's validity is told to the user."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

from knowledge.models import Scope


@dataclass(frozen=True)
class DocMeta:
    """The slice of a Document that filtering and citing need, held in memory."""

    id: int
    title: str
    kind: str
    scope: str
    scope_unit_id: int | None
    positions: tuple[str, ...]
    effective_from: date | None
    expires_on: date | None
    superseded: bool
    retired: bool


def _fmt(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def validity_text(doc: DocMeta) -> str:
    """Validity in Vietnamese, e.g. "Hiệu lực từ 01/07/2020" or "... đến hết 31/12/2025"."""
    if doc.superseded:
        return "Đã được thay thế bởi văn bản khác"
    start = f"Hiệu lực từ {_fmt(doc.effective_from)}" if doc.effective_from else "Đang áp dụng"
    if doc.expires_on:
        # expires_on is the first day it no longer applies.
        return f"{start} đến hết {_fmt(doc.expires_on - timedelta(days=1))}"
    return start


def _fold_position(value: str) -> str:
    return " ".join(value.casefold().split())


def allowed(
    doc: DocMeta,
    *,
    units: Collection[int] | None,
    position: str | None,
    on_date: date,
    kinds: Collection[str],
) -> bool:
    """True when the document applies to this asker on this date.

    units: the asker's unit and its ancestors (province); None means no unit filter
    (an anonymous or admin search sees every scope).
    """
    if doc.retired or doc.superseded:
        return False
    if kinds and doc.kind not in kinds:
        return False
    if doc.effective_from is not None and on_date < doc.effective_from:
        return False
    if doc.expires_on is not None and on_date >= doc.expires_on:
        return False
    if (
        units is not None
        and doc.scope != Scope.NATIONAL
        and (doc.scope_unit_id is None or doc.scope_unit_id not in units)
    ):
        return False
    if position and doc.positions:
        wanted = _fold_position(position)
        if all(_fold_position(p) != wanted for p in doc.positions):
            return False
    return True
