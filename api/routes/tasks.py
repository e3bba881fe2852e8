"""Hard-task catalogue: list and create (supervisors of the unit, admins), read, edit, add a
progress note, mark done, link a case or precedent. Owners see and report on their own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import CtxDep, PageDep, SessionDep, roles
from api.errors import CONFLICT_RESPONSE, NOT_FOUND_RESPONSE
from api.schemas import Page
from core.inputs import Id
from core.tasks import service as task_service
from core.tasks.enums import TaskStatus
from core.tasks.schemas import (
    TaskClose,
    TaskCreate,
    TaskDetail,
    TaskLinkCreate,
    TaskLinkRead,
    TaskNoteCreate,
    TaskNoteRead,
    TaskRead,
    TaskUpdate,
)
from core.users.enums import Role
from core.users.models import User

router = APIRouter(tags=["tasks"])
Participant = Annotated[User, Depends(roles(Role.CADRE, Role.SUPERVISOR, Role.ADMIN))]
Staff = Annotated[User, Depends(roles(Role.SUPERVISOR, Role.ADMIN))]
RESPONSES = {**NOT_FOUND_RESPONSE, **CONFLICT_RESPONSE}


@router.get(
    "/tasks",
    response_model=Page[TaskRead],
    summary="Danh mục việc khó",
    description="Người chịu trách nhiệm thấy việc của mình; người phụ trách thấy việc của các "
    "đơn vị mình phụ trách; quản trị viên thấy tất cả. Việc đang thực hiện, hạn gần nhất trước.",
)
async def list_tasks(
    session: SessionDep,
    user: Participant,
    page: PageDep,
    unit_id: Annotated[Id | None, Query()] = None,
    owner_id: Annotated[Id | None, Query()] = None,
    status: Annotated[TaskStatus | None, Query()] = None,
    overdue: Annotated[bool, Query(description="Chỉ việc đang quá hạn")] = False,
) -> Page[TaskRead]:
    rows, total = await task_service.list_tasks(
        session, actor=user, unit_id=unit_id, owner_id=owner_id, status=status,
        overdue=overdue, limit=page.limit, offset=page.offset,
    )  # fmt: skip
    return Page.of([TaskRead.model_validate(t) for t in rows], total, page)


@router.post(
    "/tasks",
    response_model=TaskRead,
    status_code=201,
    summary="Thêm việc khó vào danh mục",
    description="Người phụ trách đơn vị (hoặc quản trị viên) giao một việc khó cho người chịu "
    "trách nhiệm, với thời hạn tính bằng ngày làm việc; người đó được báo qua Telegram.",
    responses=RESPONSES,
)
async def create_task(data: TaskCreate, session: SessionDep, ctx: CtxDep, user: Staff) -> TaskRead:
    task = await task_service.create_task(session, actor=user, data=data, settings=ctx.settings)
    return TaskRead.model_validate(task)


@router.get(
    "/tasks/{task_id}",
    response_model=TaskDetail,
    summary="Xem một việc khó, tiến độ và liên kết",
    responses=NOT_FOUND_RESPONSE,
)
async def get_task(task_id: Id, session: SessionDep, user: Participant) -> TaskDetail:
    view = await task_service.get_task(session, actor=user, task_id=task_id)
    return TaskDetail.model_validate(
        {
            **TaskRead.model_validate(view.task).model_dump(),
            "notes": [TaskNoteRead.model_validate(n) for n in view.notes],
            "links": [TaskLinkRead.model_validate(lk) for lk in view.links],
        }
    )


@router.patch(
    "/tasks/{task_id}",
    response_model=TaskRead,
    summary="Sửa, giao lại, gia hạn hoặc hủy việc khó",
    description="Thời hạn mới (working_days) tính lại từ bây giờ.",
    responses=RESPONSES,
)
async def update_task(
    task_id: Id, data: TaskUpdate, session: SessionDep, ctx: CtxDep, user: Staff
) -> TaskRead:
    task = await task_service.update_task(
        session, actor=user, task_id=task_id, data=data, settings=ctx.settings
    )
    return TaskRead.model_validate(task)


@router.post(
    "/tasks/{task_id}/notes",
    response_model=TaskNoteRead,
    status_code=201,
    summary="Ghi tiến độ",
    responses=RESPONSES,
)
async def add_note(
    task_id: Id, data: TaskNoteCreate, session: SessionDep, user: Participant
) -> TaskNoteRead:
    note = await task_service.add_note(session, actor=user, task_id=task_id, data=data)
    return TaskNoteRead.model_validate(note)


@router.post(
    "/tasks/{task_id}/done",
    response_model=TaskRead,
    summary="Báo hoàn thành việc khó",
    description="Người phụ trách đơn vị được báo, kèm nút biểu dương người chịu trách nhiệm.",
    responses=RESPONSES,
)
async def close_task(
    task_id: Id, data: TaskClose, session: SessionDep, user: Participant
) -> TaskRead:
    task = await task_service.close_task(session, actor=user, task_id=task_id, data=data)
    return TaskRead.model_validate(task)


@router.post(
    "/tasks/{task_id}/links",
    response_model=TaskLinkRead,
    status_code=201,
    summary="Liên kết xin ý kiến hoặc tiền lệ",
    responses=RESPONSES,
)
async def link(
    task_id: Id, data: TaskLinkCreate, session: SessionDep, user: Participant
) -> TaskLinkRead:
    item = await task_service.link(session, actor=user, task_id=task_id, data=data)
    return TaskLinkRead.model_validate(item)
