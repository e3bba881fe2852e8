"""Publish a recognised initiative to the knowledge base as good practice (kind guidance)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import record
from core.errors import conflict
from core.initiatives.enums import AuthorStatus, InitiativeStatus
from core.initiatives.service import ADMIN_ONLY, lock_initiative
from core.users.authz import require_admin
from core.users.models import User
from knowledge import service as knowledge_service


async def publish_good_practice(session: AsyncSession, *, actor: User, initiative_id: int) -> int:
    """Admin: create the guidance document citing the initiative; returns its document id.

    The caller syncs the search index after committing (the knowledge-base revision is bumped
    in this transaction, so a stale index is never served meanwhile).
    """
    require_admin(actor, ADMIN_ONLY)
    initiative = await lock_initiative(session, initiative_id)
    if initiative.status != InitiativeStatus.RECOGNISED:
        raise conflict("Chỉ sáng kiến đã được công nhận mới đưa vào kho tri thức.")
    if initiative.published_document_id is not None:
        raise conflict("Sáng kiến này đã được đưa vào kho tri thức.")
    names = ", ".join(
        a.user.full_name for a in initiative.authors if a.status == AuthorStatus.ACTIVE
    )
    document = await knowledge_service.create_good_practice(
        session,
        title=initiative.title,
        problem=initiative.problem,
        solution=initiative.actions,
        results=initiative.results,
        initiative_number=initiative.number,
        recognised_by_id=actor.id,
        authors=f"{names} ({initiative.unit.name})",
    )
    initiative.published_document_id = document.id
    await session.flush()
    await record(
        session,
        actor_id=actor.id,
        action="initiative.publish",
        entity="initiative",
        entity_id=initiative.id,
        data={"document_id": document.id},
    )
    return document.id
