"""Internal notes on a case: supervisors and admins who may see the case write and read them;
the asker (and any cadre) never does, on any front."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import record
from core.cases.access import can_view, supervised_ids
from core.cases.models import Case, CaseNote
from core.cases.store import load_case
from core.db import utcnow
from core.errors import forbidden, invalid, not_found
from core.inputs import check_long_text
from core.users.authz import has_role
from core.users.enums import Role
from core.users.models import User

READERS = (Role.SUPERVISOR, Role.ADMIN)


def may_read_notes(actor: User, units: set[int], case: Case) -> bool:
    """Supervisors and admins who may see the case, but never the one who asked it."""
    return has_role(actor, *READERS) and actor.id != case.asker_id and can_view(actor, units, case)


async def _case_for_notes(session: AsyncSession, actor: User, case_id: int) -> Case:
    case = await load_case(session, case_id)
    units = await supervised_ids(session, actor)
    if not can_view(actor, units, case):
        raise not_found("xin ý kiến")
    if not may_read_notes(actor, units, case):
        raise forbidden("Ghi chú nội bộ chỉ dành cho người xử lý và quản trị viên.")
    return case


async def list_notes(session: AsyncSession, *, actor: User, case_id: int) -> list[CaseNote]:
    """The case's internal notes, oldest first."""
    await _case_for_notes(session, actor, case_id)
    rows = await session.scalars(
        select(CaseNote).where(CaseNote.case_id == case_id).order_by(CaseNote.id)
    )
    return list(rows)


async def add_note(
    session: AsyncSession, *, actor: User, case_id: int, text: str, now: datetime | None = None
) -> CaseNote:
    """Write an internal note (audited without its text: the note itself is the record)."""
    case = await _case_for_notes(session, actor, case_id)
    if not text.strip():
        raise invalid("Ghi chú nội bộ không được để trống.")
    note = CaseNote(
        case_id=case.id,
        author_id=actor.id,
        text=check_long_text(text.strip()),
        created_at=now or utcnow(),
    )
    session.add(note)
    await session.flush()
    await record(
        session,
        actor_id=actor.id,
        action="case.note",
        entity="case",
        entity_id=case.id,
        data={"number": case.number, "note_id": note.id},
    )
    return note
