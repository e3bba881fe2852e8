"""What one person may see of an initiative: the one place blind review is applied.

Blindness: an evaluator never learns who wrote an initiative (author, co-authors, their unit),
before or after scoring their own sheet. It does not lift after scoring: the other evaluators
are still scoring, a third evaluator may be added after a disagreement, and an exported sheet
outlives the evaluation. Admins see everything; an initiative's own active authors see theirs.

Every front reads initiatives through `view_for` (API read models, console pages, the CSV/XLSX
export, Telegram notifications), so no path shows identity by accident.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from core.errors import forbidden
from core.initiatives.enums import STATUS_LABELS, AuthorRole, AuthorStatus
from core.initiatives.models import Initiative
from core.initiatives.similar import SimilarInitiative
from core.text import fold
from core.users.authz import has_role, is_admin
from core.users.enums import Role
from core.users.models import User

# What an export shows instead of a hidden name or unit.
HIDDEN = "Ẩn (chấm độc lập)"
# What replaces a name or unit written inside the free text an evaluator reads.
REDACTED = "[đã ẩn]"
# Prefixes a unit's name is also written without ("UBND xã An Phú" -> "xã An Phú").
_UNIT_PREFIXES = ("ubnd ", "uy ban nhan dan ")


def author_ids(initiative: Initiative) -> set[int]:
    """Active authors and co-authors."""
    return {a.user_id for a in initiative.authors if a.status == AuthorStatus.ACTIVE}


def sees_identity(actor: User, initiative: Initiative) -> bool:
    """Admins and the initiative's own active authors; never an evaluator."""
    return is_admin(actor) or actor.id in author_ids(initiative)


@dataclass(frozen=True)
class AuthorView:
    user_id: int
    full_name: str
    role: str
    status: str


@dataclass(frozen=True)
class InitiativeView:
    """An initiative as one actor may see it; identity fields are None/empty when hidden."""

    id: int
    number: str
    title: str
    field: str
    period: str
    status: str
    status_label: str
    problem: str
    actions: str
    results: str
    evidence_text: str
    attachments: list[dict[str, Any]]
    decision_note: str | None
    decided_at: datetime | None
    council_decision: bool
    published_document_id: int | None
    created_at: datetime
    updated_at: datetime
    identity_hidden: bool
    unit_id: int | None
    unit_name: str | None
    author_id: int | None
    author_name: str | None
    authors: tuple[AuthorView, ...]

    @property
    def coauthor_names(self) -> list[str]:
        """Active co-authors, for listings and exports."""
        return [
            a.full_name
            for a in self.authors
            if a.role == AuthorRole.CO and a.status == AuthorStatus.ACTIVE
        ]


def identity_terms(initiative: Initiative) -> list[str]:
    """Folded names that identify the authors: every author's and co-author's full name (also
    one removed later) and the author unit's name, with and without "UBND"."""
    names = [a.user.full_name for a in initiative.authors] + [initiative.author.full_name]
    unit = " ".join(fold(initiative.unit.name).split())
    terms = {" ".join(fold(n).split()) for n in names} | {unit}
    terms |= {unit[len(p) :] for p in _UNIT_PREFIXES if unit.startswith(p)}
    # A single word ("An") would hide ordinary words ("an ninh"): names are two words or more.
    return sorted((t for t in terms if len(t.split()) >= 2), key=len, reverse=True)


def redact(text: str, terms: list[str]) -> str:
    """`text` with every occurrence of a folded term replaced by REDACTED, matched whole-word
    without regard to case, diacritics or tone-mark style ("Nguyễn Văn An", "NGUYEN VAN AN")."""
    if not text or not terms:
        return text
    folded: list[str] = []
    origin: list[int] = []  # index in `text` of each folded character
    for index, char in enumerate(text):
        for out in fold(char):
            folded.append(out)
            origin.append(index)
    alternatives = "|".join(r"\s+".join(map(re.escape, t.split())) for t in terms)
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
    spans = [
        (origin[m.start()], origin[m.end() - 1] + 1) for m in pattern.finditer("".join(folded))
    ]
    for start, end in reversed(spans):
        text = text[:start] + REDACTED + text[end:]
    return text


def view_for(actor: User, initiative: Initiative) -> InitiativeView:
    """The initiative as `actor` may see it (the caller has already checked access). For an
    evaluator the identity fields are empty and the free text has the authors' names and
    unit replaced (an author may name themselves in the problem statement)."""
    shown = sees_identity(actor, initiative)
    i = initiative
    terms = [] if shown else identity_terms(i)

    def free(text: str) -> str:
        return redact(text, terms)

    return InitiativeView(
        id=i.id,
        number=i.number,
        title=free(i.title),
        field=i.field,
        period=i.period,
        status=i.status,
        status_label=STATUS_LABELS.get(i.status, i.status),
        problem=free(i.problem),
        actions=free(i.actions),
        results=free(i.results),
        evidence_text=free(i.evidence_text),
        attachments=list(i.attachments),
        decision_note=free(i.decision_note) if i.decision_note else i.decision_note,
        decided_at=i.decided_at,
        council_decision=i.council_decision,
        published_document_id=i.published_document_id,
        created_at=i.created_at,
        updated_at=i.updated_at,
        identity_hidden=not shown,
        unit_id=i.unit_id if shown else None,
        unit_name=i.unit.name if shown else None,
        author_id=i.author_id if shown else None,
        author_name=i.author.full_name if shown else None,
        authors=tuple(AuthorView(a.user_id, a.user.full_name, a.role, a.status) for a in i.authors)
        if shown
        else (),
    )


def similar_view(
    actor: User, initiative: Initiative, found: list[SimilarInitiative]
) -> list[SimilarInitiative]:
    """Similar initiatives next to `initiative`; their units are hidden from an evaluator of it
    (a unit's earlier initiative would point at the author)."""
    if sees_identity(actor, initiative):
        return found
    return [replace(s, unit_name=None) for s in found]


def check_unit_filter(actor: User, unit_id: int | None) -> None:
    """Evaluators may not filter by unit: the answer would tell which unit wrote what."""
    if unit_id and has_role(actor, Role.EVALUATOR):
        raise forbidden(
            "Người đánh giá không lọc sáng kiến theo đơn vị: tác giả và đơn vị được ẩn "
            "khi chấm độc lập."
        )
