"""Co-authoring: ask to join a (similar) initiative, or be added by its main author or an admin.

This is how similar-initiative detection pays off: people join forces instead of duplicating.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import record
from core.errors import conflict, forbidden, invalid
from core.initiatives import notify
from core.initiatives.enums import AuthorRole, AuthorStatus, EvaluationStatus, InitiativeStatus
from core.initiatives.models import Evaluation, Initiative, InitiativeAuthor
from core.initiatives.service import (
    SUBMITTER_ROLES,
    fetch,
    is_assigned,
    load_person,
)
from core.users.authz import has_role, is_admin, require_active
from core.users.models import User, supervisor_units

S = InitiativeStatus


async def request_to_join(session: AsyncSession, *, actor: User, initiative_id: int) -> None:
    """Ask to become a co-author of a (similar) initiative; its main author decides."""
    require_active(actor)
    if not has_role(actor, *SUBMITTER_ROLES):
        raise forbidden("Chỉ cán bộ, công chức mới tham gia làm đồng tác giả.")
    initiative = await fetch(session, initiative_id)
    if any(a.user_id == actor.id for a in initiative.authors):
        raise conflict("Bạn đã là tác giả hoặc đã gửi đề nghị tham gia sáng kiến này.")
    if initiative.status in (S.RECOGNISED, S.NOT_ACCEPTED):
        raise conflict("Sáng kiến đã có kết quả, không nhận thêm đồng tác giả.")
    initiative.authors.append(
        InitiativeAuthor(user=actor, role=AuthorRole.CO, status=AuthorStatus.REQUESTED)
    )
    await session.flush()
    await record(
        session,
        actor_id=actor.id,
        action="initiative.join_request",
        entity="initiative",
        entity_id=initiative.id,
        data={"user_id": actor.id},
    )
    await notify.notify_coauthor_request(
        session, initiative, requester_name=actor.full_name, requester_id=actor.id
    )


async def add_coauthor(
    session: AsyncSession, *, actor: User, initiative_id: int, user_id: int
) -> Initiative:
    """Main author or admin: add a co-author (or accept their request to join)."""
    require_active(actor)
    initiative = await fetch(session, initiative_id)
    if not is_admin(actor) and actor.id != initiative.author_id:
        raise forbidden("Chỉ tác giả chính hoặc quản trị viên mới thêm đồng tác giả.")
    if initiative.status in (S.RECOGNISED, S.NOT_ACCEPTED):
        raise conflict("Sáng kiến đã có kết quả, không nhận thêm đồng tác giả.")
    user = await load_person(session, user_id)
    if user.role not in SUBMITTER_ROLES:
        raise invalid("Đồng tác giả phải là cán bộ, công chức.")
    if await is_assigned(session, initiative_id=initiative.id, user_id=user.id):
        raise conflict("Người chấm của sáng kiến không thể là đồng tác giả.")
    existing = next((a for a in initiative.authors if a.user_id == user.id), None)
    if existing is not None and existing.status == AuthorStatus.ACTIVE:
        raise conflict("Người này đã là tác giả của sáng kiến.")
    await _check_evaluators_stay_independent(session, initiative, user)
    if existing is None:
        initiative.authors.append(InitiativeAuthor(user=user, role=AuthorRole.CO))
    else:
        existing.status = AuthorStatus.ACTIVE
    await session.flush()
    await record(
        session,
        actor_id=actor.id,
        action="initiative.coauthor_add",
        entity="initiative",
        entity_id=initiative.id,
        data={"user_id": user.id},
    )
    await notify.notify_coauthor_added(session, initiative, user=user)
    return initiative


async def _check_evaluators_stay_independent(
    session: AsyncSession, initiative: Initiative, newcomer: User
) -> None:
    """A new co-author must not make an already assigned evaluator conflicted."""
    supervisors = set(
        await session.scalars(
            select(supervisor_units.c.user_id).where(supervisor_units.c.unit_id == newcomer.unit_id)
        )
    )
    for evaluation in await session.scalars(
        select(Evaluation).where(
            Evaluation.initiative_id == initiative.id,
            Evaluation.status != EvaluationStatus.WITHDRAWN,
        )
    ):
        evaluator = evaluation.evaluator
        if evaluator.unit_id == newcomer.unit_id or evaluator.id in supervisors:
            raise conflict(
                f"Không thể thêm đồng tác giả: người chấm {evaluator.full_name} cùng đơn vị "
                "hoặc phụ trách đơn vị của người này (xung đột lợi ích)."
            )
