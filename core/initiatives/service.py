"""Initiatives: submission, access rules, listing and status transitions.

Access (checked here, on every path): admins see everything; evaluators see only the
initiatives assigned to them; everyone else sees the initiatives they (co-)author.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import record
from core.config import Settings
from core.db import get_row, utcnow
from core.errors import conflict, forbidden, invalid, not_found
from core.initiatives import notify
from core.initiatives.enums import (
    AttachmentKind,
    AuthorRole,
    AuthorStatus,
    EvaluationStatus,
    InitiativeStatus,
)
from core.initiatives.models import Evaluation, Initiative, InitiativeAuthor
from core.initiatives.similar import SimilarInitiative, TextEncoder, embed, find_similar
from core.initiatives.similar import initiative_text as _text
from core.initiatives.views import author_ids, check_unit_filter, similar_view
from core.inputs import LIKE_ESCAPE, contains_pattern
from core.users.authz import has_role, is_admin, require_active, require_admin
from core.users.enums import Role
from core.users.models import User

S = InitiativeStatus
# Which status may follow which. Final states (recognised, not accepted) have no way out.
ALLOWED: dict[str, frozenset[str]] = {
    S.SUBMITTED: frozenset({S.SCREENING, S.UNDER_EVALUATION, S.NEEDS_INFO, S.NOT_ACCEPTED}),
    S.SCREENING: frozenset({S.UNDER_EVALUATION, S.NEEDS_INFO, S.NOT_ACCEPTED}),
    S.UNDER_EVALUATION: frozenset({S.EVALUATED}),
    # Back to under_evaluation when a third evaluator is added after a disagreement.
    S.EVALUATED: frozenset({S.UNDER_EVALUATION, S.RECOGNISED, S.NEEDS_INFO, S.NOT_ACCEPTED}),
    S.NEEDS_INFO: frozenset({S.SUBMITTED, S.NOT_ACCEPTED}),
    S.RECOGNISED: frozenset(),
    S.NOT_ACCEPTED: frozenset(),
}
# Officials who log initiatives; evaluators and admins judge them and so do not submit.
SUBMITTER_ROLES = frozenset({Role.CADRE, Role.SUPERVISOR})
ADMIN_ONLY = "Thao tác này chỉ dành cho quản trị viên."
MAX_ATTACHMENTS = 20
_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


async def load_person(session: AsyncSession, user_id: int) -> User:
    """An active user named in a request (a co-author, an evaluator): 404 when there is none,
    never the 401 that would tell a client it is signed out."""
    user = await session.get(User, user_id)
    if user is None or not user.active:
        raise not_found("người dùng")
    return user


async def is_assigned(session: AsyncSession, *, initiative_id: int, user_id: int) -> bool:
    """True when the user is a (not withdrawn) evaluator of this initiative."""
    found = await session.scalar(
        select(Evaluation.id).where(
            Evaluation.initiative_id == initiative_id,
            Evaluation.evaluator_id == user_id,
            Evaluation.status != EvaluationStatus.WITHDRAWN,
        )
    )
    return found is not None


async def fetch(session: AsyncSession, initiative_id: int) -> Initiative:
    """One initiative by id, without an access check (the caller checks)."""
    return await get_row(session, Initiative, initiative_id, "sáng kiến")


async def lock_initiative(session: AsyncSession, initiative_id: int) -> Initiative:
    """The initiative, row-locked for this transaction (PostgreSQL; SQLite locks the database)."""
    initiative = await session.scalar(
        select(Initiative)
        .where(Initiative.id == initiative_id)
        .with_for_update(of=Initiative)
        .execution_options(populate_existing=True)
    )
    if initiative is None:
        raise not_found("sáng kiến")
    return initiative


async def get_initiative(session: AsyncSession, *, actor: User, initiative_id: int) -> Initiative:
    """One initiative, if the actor may see it (404 otherwise, so existence does not leak)."""
    require_active(actor)
    initiative = await fetch(session, initiative_id)
    if is_admin(actor) or actor.id in author_ids(initiative):
        return initiative
    if has_role(actor, Role.EVALUATOR) and await is_assigned(
        session, initiative_id=initiative.id, user_id=actor.id
    ):
        return initiative
    raise not_found("sáng kiến")


def _clean_attachments(raw: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(raw) > MAX_ATTACHMENTS:
        raise invalid(f"Tối đa {MAX_ATTACHMENTS} tệp minh chứng.")
    clean = []
    for item in raw:
        kind = str(item.get("kind", ""))
        if kind not in {k.value for k in AttachmentKind}:
            raise invalid("Loại tệp minh chứng phải là ảnh (photo) hoặc tài liệu (document).")
        file_id, path = item.get("file_id"), item.get("path")
        if not file_id and not path:
            raise invalid("Tệp minh chứng thiếu mã tệp Telegram hoặc đường dẫn lưu trữ.")
        clean.append(
            {
                "kind": kind,
                "file_id": str(file_id) if file_id else None,
                "path": str(path) if path else None,
                "name": str(item.get("name") or "")[:300],
            }
        )
    return clean


def _require_text(value: str, label: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise invalid(f"Vui lòng nhập {label}.")
    if len(value) > limit:
        raise invalid(f"{label.capitalize()} dài quá {limit} ký tự.")
    return value


async def submit_initiative(
    session: AsyncSession,
    *,
    author: User,
    title: str,
    problem: str,
    actions: str,
    results: str,
    evidence_text: str = "",
    attachments: Sequence[dict[str, Any]] = (),
    field: str = "",
    period: str = "",
    settings: Settings | None = None,
    embedder: TextEncoder | None = None,
    notify_author: bool = False,
) -> tuple[Initiative, list[SimilarInitiative]]:
    """Log a new initiative, store its vector, and return it with similar ones from any unit.

    `notify_author` also queues a Telegram receipt; the bot leaves it off because its own
    reply already carries the number.
    """
    settings = settings or Settings.model_construct()
    require_active(author)
    if not has_role(author, *SUBMITTER_ROLES):
        raise forbidden("Chỉ cán bộ, công chức mới nộp sáng kiến.")
    now = utcnow()
    initiative = Initiative(
        # A unique placeholder until the id is known; replaced below in the same flush cycle.
        number=f"SK-new-{author.id}-{now.timestamp()}",
        author_id=author.id,
        unit_id=author.unit_id,
        title=_require_text(title, "tên sáng kiến", 500),
        problem=_require_text(problem, "vấn đề cần giải quyết", 10000),
        actions=_require_text(actions, "nội dung đã thực hiện", 10000),
        results=_require_text(results, "kết quả đạt được", 10000),
        evidence_text=evidence_text.strip()[:10000],
        attachments=_clean_attachments(attachments),
        field=field.strip()[:200],
        period=period.strip()[:50] or str(now.astimezone(_TZ).year),
        status=InitiativeStatus.SUBMITTED,
        created_at=now,
        updated_at=now,
    )
    initiative.authors.append(
        InitiativeAuthor(user=author, role=AuthorRole.MAIN, status=AuthorStatus.ACTIVE)
    )
    initiative.embedding = await embed(
        embedder,
        _text(initiative.title, initiative.problem, initiative.actions, initiative.results),
    )
    session.add(initiative)
    await session.flush()
    initiative.number = f"SK-{now.astimezone(_TZ).year}-{initiative.id:06d}"
    await session.flush()
    similar = await find_similar(session, initiative=initiative, settings=settings)
    await record(
        session,
        actor_id=author.id,
        action="initiative.submit",
        entity="initiative",
        entity_id=initiative.id,
        data={"number": initiative.number, "similar": [s.number for s in similar]},
    )
    if notify_author:
        await notify.notify_authors(session, initiative)
    return initiative, similar


def visible(stmt: Select[Any], actor: User) -> Select[Any]:
    """Restrict a query on Initiative to what the actor may see."""
    if is_admin(actor):
        return stmt
    if has_role(actor, Role.EVALUATOR):
        assigned = select(Evaluation.initiative_id).where(
            Evaluation.evaluator_id == actor.id, Evaluation.status != EvaluationStatus.WITHDRAWN
        )
        return stmt.where(Initiative.id.in_(assigned))
    authored = select(InitiativeAuthor.initiative_id).where(
        InitiativeAuthor.user_id == actor.id, InitiativeAuthor.status == AuthorStatus.ACTIVE
    )
    return stmt.where(Initiative.id.in_(authored))


def filtered(
    actor: User,
    *,
    status: str | None = None,
    unit_id: int | None = None,
    field: str | None = None,
    period: str | None = None,
    query: str | None = None,
) -> Select[Any]:
    """The initiatives the actor may see, narrowed by status, unit, field, period and a search
    in title or number (a unit filter the actor may not use is refused)."""
    check_unit_filter(actor, unit_id)
    stmt = visible(select(Initiative), actor)
    if status:
        stmt = stmt.where(Initiative.status == status)
    if unit_id:
        stmt = stmt.where(Initiative.unit_id == unit_id)
    if field:
        stmt = stmt.where(Initiative.field == field)
    if period:
        stmt = stmt.where(Initiative.period == period)
    if query:
        like = contains_pattern(query.strip())
        stmt = stmt.where(
            or_(
                Initiative.title.ilike(like, escape=LIKE_ESCAPE),
                Initiative.number.ilike(like, escape=LIKE_ESCAPE),
            )
        )
    return stmt


async def list_initiatives(
    session: AsyncSession,
    *,
    actor: User,
    status: str | None = None,
    unit_id: int | None = None,
    field: str | None = None,
    period: str | None = None,
    query: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Initiative], int]:
    """A page of the initiatives the actor may see, newest first, and the total count."""
    require_active(actor)
    stmt = filtered(actor, status=status, unit_id=unit_id, field=field, period=period, query=query)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    limit, offset = min(max(limit, 1), 200), max(offset, 0)
    rows = await session.scalars(stmt.order_by(Initiative.id.desc()).offset(offset).limit(limit))
    return list(rows.unique()), total


async def list_for_author(
    session: AsyncSession, *, author: User, limit: int = 20
) -> list[Initiative]:
    """The user's own (co-)authored initiatives, newest first (for /cuatoi)."""
    items, _ = await list_initiatives(session, actor=author, limit=limit)
    return items


async def similar_for(
    session: AsyncSession, *, actor: User, initiative_id: int, settings: Settings
) -> list[SimilarInitiative]:
    """Initiatives similar to one the actor may see (authors and its evaluators; units hidden
    from evaluators)."""
    initiative = await get_initiative(session, actor=actor, initiative_id=initiative_id)
    found = await find_similar(session, initiative=initiative, settings=settings)
    return similar_view(actor, initiative, found)


async def transition(
    session: AsyncSession,
    initiative: Initiative,
    *,
    to: InitiativeStatus,
    actor_id: int | None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> Initiative:
    """Move to `to` if allowed; audit it and notify every author in the same transaction."""
    if to not in ALLOWED[initiative.status]:
        raise conflict(
            "Không thể chuyển sáng kiến sang trạng thái này từ trạng thái hiện tại.",
            current=initiative.status,
            wanted=str(to),
        )
    previous = initiative.status
    initiative.status = to
    initiative.status_seq += 1
    initiative.updated_at = utcnow()
    await session.flush()
    await record(
        session,
        actor_id=actor_id,
        action=f"initiative.{to}",
        entity="initiative",
        entity_id=initiative.id,
        data={"from": previous, "to": str(to), "note": note, **(data or {})},
    )
    await notify.notify_authors(session, initiative, note=note)
    return initiative


async def start_screening(session: AsyncSession, *, actor: User, initiative_id: int) -> Initiative:
    """Admin: take a submitted initiative into screening."""
    require_admin(actor, ADMIN_ONLY)
    initiative = await fetch(session, initiative_id)
    return await transition(session, initiative, to=S.SCREENING, actor_id=actor.id)


async def provide_info(
    session: AsyncSession,
    *,
    actor: User,
    initiative_id: int,
    changes: dict[str, Any],
    note: str = "",
    settings: Settings | None = None,
    embedder: TextEncoder | None = None,
) -> Initiative:
    """An author answers a request for more information; the initiative is submitted again."""
    initiative = await get_initiative(session, actor=actor, initiative_id=initiative_id)
    if actor.id not in author_ids(initiative):
        raise forbidden("Chỉ tác giả mới bổ sung thông tin cho sáng kiến.")
    if initiative.status != S.NEEDS_INFO:
        raise conflict("Sáng kiến không ở trạng thái cần bổ sung thông tin.")
    limits = {"title": 500, "problem": 10000, "actions": 10000, "results": 10000}
    for key, value in changes.items():
        if key in limits:
            setattr(initiative, key, _require_text(str(value), key, limits[key]))
        elif key == "evidence_text":
            initiative.evidence_text = str(value).strip()[:10000]
        elif key == "attachments":
            initiative.attachments = initiative.attachments + _clean_attachments(value)
        else:
            raise invalid(f"Không thể sửa trường {key}.")
    initiative.embedding = (
        await embed(
            embedder,
            _text(initiative.title, initiative.problem, initiative.actions, initiative.results),
        )
        or initiative.embedding
    )
    return await transition(
        session,
        initiative,
        to=S.SUBMITTED,
        actor_id=actor.id,
        note=note or None,
        data={"changed": sorted(changes)},
    )
