"""The hard-task catalogue: list a task, note progress, finish, edit, link cases and precedents.

Every change is audited (entity "task") and bumps the task's version; notifications go through
the outbox keyed "task:<id>:v<version>:<event>:u<user>", so a retried transaction never queues
one twice. Deadlines are working days on the queue's calendar (core.cases.calendar); the
sweep in core.tasks.scheduled reminds and escalates them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import record
from core.cases import access as case_access
from core.cases.calendar import WorkCalendar, calendar_for, deadline_marks
from core.cases.flows import supervisor_ids
from core.cases.models import Case, PrecedentProposal
from core.cases.queueview import deadline_view
from core.config import Settings
from core.db import load_row, paged, utcnow
from core.errors import conflict, forbidden, invalid, not_found
from core.outbox.buttons import Buttons
from core.outbox.service import Outgoing, enqueue_many
from core.tasks import texts
from core.tasks.access import can_manage, can_report, can_view, visible_clause
from core.tasks.enums import STATUS_LABELS, LinkKind, TaskStatus
from core.tasks.models import HardTask, TaskLink, TaskNote
from core.tasks.schemas import TaskClose, TaskCreate, TaskLinkCreate, TaskNoteCreate, TaskUpdate
from core.users.authz import is_admin, require_role
from core.users.enums import Role
from core.users.models import Unit, User

PARTICIPANTS = (Role.CADRE, Role.SUPERVISOR, Role.ADMIN)


@dataclass(frozen=True)
class TaskView:
    """A task with its notes (oldest first) and links."""

    task: HardTask
    notes: list[TaskNote]
    links: list[TaskLink]


def deadline_values(settings: Settings, working_days: int, now: datetime) -> dict[str, Any]:
    """Column values that start a deadline of `working_days` at `now` (marks at 50/80/100 %)."""
    calendar = calendar_for(settings)
    half, most, due = deadline_marks(now, working_days * calendar.day_hours(), calendar)
    return {
        "working_days": working_days,
        "started_at": now,
        "remind_50_at": half,
        "remind_80_at": most,
        "due_at": due,
        "reminded_50_at": None,
        "reminded_80_at": None,
        "overdue_at": None,
        "next_escalation_at": None,
        "escalations": 0,
    }


def at(now: datetime | None) -> datetime:
    """`now` in UTC (SQLite keeps a timestamp's wall-clock digits only), or the current time."""
    return (now or utcnow()).astimezone(UTC)


async def notify(
    session: AsyncSession,
    task: HardTask,
    event: str,
    users: Iterable[int | None],
    text: str,
    buttons: Buttons | None = None,
    *,
    skip: Iterable[int | None] = (),
) -> None:
    """Queue one message per distinct user, keyed to this task version and event."""
    done = {u for u in skip if u is not None}
    batch = []
    for user_id in users:
        if user_id is None or user_id in done:
            continue
        done.add(user_id)
        key = f"task:{task.id}:v{task.version}:{event}:u{user_id}"
        batch.append(Outgoing(user_id, text, key, buttons or []))
    await enqueue_many(session, batch)


async def load_task(session: AsyncSession, task_id: int, *, lock: bool = False) -> HardTask:
    """The task re-read from the database (row-locked on PostgreSQL when `lock`)."""
    return await load_row(session, HardTask, task_id, "việc khó", lock=lock)


async def _seen(
    session: AsyncSession, actor: User, task_id: int, *, lock: bool = False
) -> tuple[HardTask, set[int]]:
    """A task the actor may see (NOT_FOUND otherwise, so its existence is not told)."""
    require_role(actor, *PARTICIPANTS)
    task = await load_task(session, task_id, lock=lock)
    units = await case_access.supervised_ids(session, actor)
    if not can_view(actor, units, task):
        raise not_found("việc khó")
    return task, units


def _require_open(task: HardTask) -> None:
    if task.status != TaskStatus.OPEN:
        status = STATUS_LABELS[TaskStatus(task.status)].lower()
        raise conflict(f"Việc khó #{task.id} {status}, không thể cập nhật.")


async def _owner(session: AsyncSession, owner_id: int, unit_id: int) -> User:
    """The responsible official: an active person of the unit (or one of its supervisors)."""
    owner = await session.get(User, owner_id)
    if owner is None or not owner.active:
        raise not_found("người chịu trách nhiệm")
    if owner.unit_id != unit_id and unit_id not in await case_access.supervised_ids(session, owner):
        raise invalid("Người chịu trách nhiệm phải thuộc đơn vị có việc khó này.")
    return owner


async def _changed(session: AsyncSession, task: HardTask, now: datetime) -> None:
    task.version += 1
    task.updated_at = now
    await session.flush()


async def create_task(
    session: AsyncSession,
    *,
    actor: User,
    data: TaskCreate,
    settings: Settings,
    now: datetime | None = None,
) -> HardTask:
    """List a hard task in a unit the actor supervises; the owner is told."""
    now = at(now)
    require_role(actor, Role.SUPERVISOR, Role.ADMIN)
    units = await case_access.supervised_ids(session, actor)
    if not can_manage(actor, units, data.unit_id):
        raise forbidden("Bạn không phụ trách đơn vị này.")
    owner = await _owner(session, data.owner_id, data.unit_id)
    task = HardTask(
        unit_id=data.unit_id,
        title=data.title.strip(),
        description=data.description.strip(),
        owner_id=owner.id,
        created_by_id=actor.id,
        status=TaskStatus.OPEN,
        level_unit_id=data.unit_id,
        created_at=now,
        updated_at=now,
        **deadline_values(settings, data.working_days, now),
    )
    session.add(task)
    await session.flush()
    task = await load_task(session, task.id)
    await record(
        session,
        actor_id=actor.id,
        action="task.create",
        entity="task",
        entity_id=task.id,
        data={"unit_id": task.unit_id, "owner_id": owner.id, "working_days": task.working_days},
    )
    await notify(
        session,
        task,
        "assigned",
        [owner.id],
        texts.assigned(task, actor.full_name),
        texts.owner_buttons(task.id),
    )
    return task


async def list_tasks(
    session: AsyncSession,
    *,
    actor: User,
    unit_id: int | None = None,
    owner_id: int | None = None,
    status: TaskStatus | None = None,
    overdue: bool = False,
    now: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[HardTask], int]:
    """A page of the tasks the actor may see, open ones nearest deadline first, and the total."""
    require_role(actor, *PARTICIPANTS)
    units = await case_access.supervised_ids(session, actor)
    stmt = select(HardTask).where(visible_clause(actor, units))
    if unit_id is not None:
        stmt = stmt.where(HardTask.unit_id == unit_id)
    if owner_id is not None:
        stmt = stmt.where(HardTask.owner_id == owner_id)
    if status is not None:
        stmt = stmt.where(HardTask.status == status)
    if overdue:
        stmt = stmt.where(HardTask.status == TaskStatus.OPEN, HardTask.due_at <= at(now))
    open_first = HardTask.status != TaskStatus.OPEN
    stmt = stmt.order_by(open_first, HardTask.due_at, HardTask.id)
    return await paged(session, stmt, limit=limit, offset=offset)


async def get_task(session: AsyncSession, *, actor: User, task_id: int) -> TaskView:
    """One task with its notes and links (NOT_FOUND when the actor may not see it)."""
    task, _ = await _seen(session, actor, task_id)
    notes = await session.scalars(
        select(TaskNote).where(TaskNote.task_id == task.id).order_by(TaskNote.id)
    )
    links = await session.scalars(
        select(TaskLink)
        .where(TaskLink.task_id == task.id)
        .order_by(TaskLink.kind, TaskLink.target_id)
    )
    return TaskView(task, list(notes.unique()), list(links))


async def add_note(
    session: AsyncSession,
    *,
    actor: User,
    task_id: int,
    data: TaskNoteCreate,
    now: datetime | None = None,
) -> TaskNote:
    """A progress note by the owner or a manager; a manager's note is sent to the owner."""
    now = at(now)
    task, units = await _seen(session, actor, task_id, lock=True)
    if not can_report(actor, units, task):
        raise forbidden("Chỉ người chịu trách nhiệm hoặc người phụ trách đơn vị được ghi tiến độ.")
    _require_open(task)
    note = TaskNote(task_id=task.id, author_id=actor.id, text=data.text.strip(), created_at=now)
    session.add(note)
    await _changed(session, task, now)
    await record(
        session,
        actor_id=actor.id,
        action="task.note",
        entity="task",
        entity_id=task.id,
        data={"note_id": note.id},
    )
    text = texts.note_to_owner(task, actor.full_name, note.text)
    await notify(
        session, task, "note", [task.owner_id], text, texts.owner_buttons(task.id), skip=[actor.id]
    )
    return note


async def close_task(
    session: AsyncSession,
    *,
    actor: User,
    task_id: int,
    data: TaskClose,
    now: datetime | None = None,
) -> HardTask:
    """Mark a task done; the unit's supervisors are told, with a button to commend the owner."""
    now = at(now)
    task, units = await _seen(session, actor, task_id, lock=True)
    if not can_report(actor, units, task):
        raise forbidden(
            "Chỉ người chịu trách nhiệm hoặc người phụ trách đơn vị được báo hoàn thành."
        )
    _require_open(task)
    task.status = TaskStatus.DONE
    task.closed_at = now
    task.closed_by_id = actor.id
    task.closing_note = (data.note or "").strip() or None
    task.next_escalation_at = None
    await _changed(session, task, now)
    await record(
        session,
        actor_id=actor.id,
        action="task.done",
        entity="task",
        entity_id=task.id,
        data={"on_time": now <= task.due_at, "note": task.closing_note},
    )
    text = texts.finished(task, actor.full_name)
    supervisors = await supervisor_ids(session, task.unit_id)
    await notify(
        session,
        task,
        "done",
        supervisors,
        text,
        texts.commend_buttons(task.id),
        skip=[actor.id, task.owner_id],
    )
    await notify(session, task, "done", [task.owner_id], text, skip=[actor.id])
    return task


async def update_task(
    session: AsyncSession,
    *,
    actor: User,
    task_id: int,
    data: TaskUpdate,
    settings: Settings,
    now: datetime | None = None,
) -> HardTask:
    """Edit, reassign, give a new deadline (restarted from now) or cancel; managers only."""
    now = at(now)
    task, units = await _seen(session, actor, task_id, lock=True)
    if not can_manage(actor, units, task.unit_id):
        raise forbidden("Chỉ người phụ trách đơn vị được sửa việc khó.")
    _require_open(task)
    changes: dict[str, Any] = {}
    if data.title is not None and data.title.strip() != task.title:
        changes["title"] = task.title = data.title.strip()
    if data.description is not None and data.description.strip() != task.description:
        task.description = data.description.strip()
        changes["description"] = True
    new_owner: User | None = None
    if data.owner_id is not None and data.owner_id != task.owner_id:
        new_owner = await _owner(session, data.owner_id, task.unit_id)
        changes["owner_id"] = task.owner_id = new_owner.id
    if data.working_days is not None:
        for name, value in deadline_values(settings, data.working_days, now).items():
            setattr(task, name, value)
        task.level_unit_id = task.unit_id
        changes["working_days"] = data.working_days
    if data.cancel:
        task.status = TaskStatus.CANCELLED
        task.closed_at, task.closed_by_id = now, actor.id
        changes["status"] = TaskStatus.CANCELLED.value
    if not changes:
        return task
    await _changed(session, task, now)
    task = await load_task(session, task.id)
    await record(
        session, actor_id=actor.id, action="task.update", entity="task", entity_id=task.id,
        data=changes,
    )  # fmt: skip
    if new_owner is not None:
        text = texts.assigned(task, actor.full_name)
        await notify(session, task, "assigned", [new_owner.id], text, texts.owner_buttons(task.id))
    return task


async def _check_target(session: AsyncSession, actor: User, kind: LinkKind, target_id: int) -> None:
    """The linked case or precedent exists and the actor may see it."""
    units = await case_access.supervised_ids(session, actor)
    if kind == LinkKind.CASE:
        case = await session.get(Case, target_id)
        if case is None or not case_access.can_view(actor, units, case):
            raise not_found("xin ý kiến")
        return
    proposal = await session.get(PrecedentProposal, target_id)
    if proposal is None or not case_access.can_view(actor, units, proposal.case):
        raise not_found("tiền lệ")


async def link(
    session: AsyncSession, *, actor: User, task_id: int, data: TaskLinkCreate
) -> TaskLink:
    """Link a case or precedent to the task (linking twice returns the first link)."""
    task, units = await _seen(session, actor, task_id, lock=True)
    if not can_manage(actor, units, task.unit_id) and task.owner_id != actor.id:
        raise forbidden("Bạn không được liên kết cho việc khó này.")
    await _check_target(session, actor, data.kind, data.target_id)
    existing = await session.get(TaskLink, (task.id, data.kind.value, data.target_id))
    if existing is not None:
        return existing
    item = TaskLink(
        task_id=task.id, kind=data.kind.value, target_id=data.target_id, created_by_id=actor.id
    )
    session.add(item)
    await _changed(session, task, utcnow())
    await record(
        session,
        actor_id=actor.id,
        action="task.link",
        entity="task",
        entity_id=task.id,
        data={"kind": data.kind.value, "target_id": data.target_id},
    )
    return item


async def managed_units(session: AsyncSession, actor: User) -> list[Unit]:
    """Units whose catalogue the actor manages (every unit for admins), by name."""
    stmt = select(Unit).order_by(Unit.name)
    if not is_admin(actor):
        stmt = stmt.where(Unit.id.in_(await case_access.supervised_ids(session, actor)))
    return list(await session.scalars(stmt))


async def assignable(session: AsyncSession, unit_ids: Iterable[int]) -> list[User]:
    """Active people of these units: who may be made responsible for a task there."""
    rows = await session.scalars(
        select(User)
        .where(User.unit_id.in_(list(unit_ids)), User.active.is_(True))
        .order_by(User.full_name)
    )
    return list(rows.unique())


def deadline_state(task: HardTask, now: datetime, calendar: WorkCalendar) -> tuple[str, str]:
    """The queue's deadline colours and wording for a task: (state, e.g. "còn 2 ngày làm việc")."""
    view = deadline_view(
        open_=task.status == TaskStatus.OPEN, now=now, due_at=task.due_at,
        remind_50_at=task.remind_50_at, remind_80_at=task.remind_80_at, calendar=calendar,
    )  # fmt: skip
    return view.state, view.left
