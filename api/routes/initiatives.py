"""Initiatives (sáng kiến): logging, similar ones, evaluator assignment, blind scoring,
decisions, the rubric, and council exports.

Who sees what is enforced by core.initiatives (authors: their own; evaluators: only what is
assigned to them, never its authors or unit, and others' scores only after they submit;
admins: all); the role dependencies here only give a clear 403 to roles that never take part
in an action.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Response

from api.deps import CtxDep, PageDep, SessionDep, roles
from api.errors import CONFLICT_RESPONSE, NOT_FOUND_RESPONSE
from api.schemas import Page
from core.initiatives import assignment, coauthors, publish, rubric, scoring, service
from core.initiatives.enums import InitiativeStatus
from core.initiatives.export import export_results
from core.initiatives.schemas import (
    AssignIn,
    CoauthorIn,
    DecisionIn,
    EvaluationRead,
    EvaluatorRead,
    InfoUpdate,
    InitiativeCreate,
    InitiativeRead,
    PublishedRead,
    ResultRead,
    RubricRead,
    RubricUpdate,
    ScoreIn,
    SimilarRead,
    SubmitResult,
)
from core.inputs import Id, Line
from core.users.enums import Role
from core.users.models import User

router = APIRouter(prefix="/initiatives", tags=["initiatives"])

AnyUser = Annotated[User, Depends(roles(*Role))]
Author = Annotated[User, Depends(roles(Role.CADRE, Role.SUPERVISOR))]
Evaluator = Annotated[User, Depends(roles(Role.EVALUATOR))]
Admin = Annotated[User, Depends(roles(Role.ADMIN))]
Reviewer = Annotated[User, Depends(roles(Role.EVALUATOR, Role.ADMIN))]
ACTION = {**NOT_FOUND_RESPONSE, **CONFLICT_RESPONSE}


@router.get(
    "",
    response_model=Page[InitiativeRead],
    summary="Danh sách sáng kiến",
    description="Tác giả — sáng kiến của mình; người đánh giá — sáng kiến được phân công chấm; "
    "quản trị — tất cả.",
)
async def list_initiatives(
    session: SessionDep,
    user: AnyUser,
    page: PageDep,
    status: InitiativeStatus | None = None,
    unit_id: Id | None = None,
    field: Annotated[Line | None, Query(max_length=200, description="Lĩnh vực")] = None,
    period: Annotated[Line | None, Query(max_length=50, description="Kỳ, ví dụ 2026")] = None,
    q: Annotated[Line | None, Query(max_length=200, description="Tìm theo tên hoặc số")] = None,
) -> Page[InitiativeRead]:
    """A page of the initiatives visible to the caller."""
    rows, total = await service.list_initiatives(
        session,
        actor=user,
        status=status,
        unit_id=unit_id,
        field=field,
        period=period,
        query=q,
        limit=page.limit,
        offset=page.offset,
    )
    return Page.of([InitiativeRead.of(user, i) for i in rows], total, page)


@router.post(
    "",
    response_model=SubmitResult,
    status_code=201,
    summary="Nộp sáng kiến",
    description="Ghi nhận sáng kiến của người gọi (cán bộ, công chức) và trả về các sáng kiến "
    "tương tự ở mọi đơn vị để cân nhắc làm đồng tác giả hoặc áp dụng lại.",
)
async def create_initiative(
    session: SessionDep, ctx: CtxDep, user: Author, data: InitiativeCreate
) -> SubmitResult:
    """Submit an initiative."""
    initiative, similar = await service.submit_initiative(
        session,
        author=user,
        title=data.title,
        problem=data.problem,
        actions=data.actions,
        results=data.results,
        evidence_text=data.evidence_text,
        attachments=[a.model_dump(mode="json") for a in data.attachments],
        field=data.field,
        period=data.period,
        settings=ctx.settings,
        embedder=ctx.retriever.embedder,
        notify_author=True,  # an API/web submitter also gets the receipt in Telegram
    )
    return SubmitResult(
        initiative=InitiativeRead.of(user, initiative), similar=[SimilarRead.of(s) for s in similar]
    )


@router.get("/rubric", response_model=RubricRead, summary="Bộ tiêu chí chấm hiện hành")
async def get_rubric(session: SessionDep, user: AnyUser) -> RubricRead:
    """The current rubric version (version 1 is the default rubric)."""
    return RubricRead.of(await rubric.current_rubric(session))


@router.put(
    "/rubric",
    response_model=RubricRead,
    summary="Cập nhật bộ tiêu chí",
    description="Tạo phiên bản mới; sáng kiến đang chấm giữ phiên bản đã dùng.",
)
async def update_rubric(session: SessionDep, user: Admin, data: RubricUpdate) -> RubricRead:
    """Save a new rubric version."""
    saved = await rubric.update_rubric(
        session,
        actor=user,
        criteria=[c.model_dump() for c in data.criteria],
        note=data.note,
    )
    return RubricRead.of(saved)


@router.get(
    "/assignments",
    response_model=list[EvaluationRead],
    summary="Sáng kiến tôi được phân công chấm",
)
async def my_assignments(
    session: SessionDep, user: Evaluator, pending: bool = False
) -> list[EvaluationRead]:
    """The caller's own assignments, nearest deadline first."""
    rows = await assignment.my_assignments(session, actor=user, pending_only=pending)
    return [EvaluationRead.of(e) for e in rows]


@router.get(
    "/export",
    summary="Xuất kết quả chấm (CSV/XLSX)",
    description="Bảng kết quả cho cuộc họp hội đồng, tiêu đề cột tiếng Việt. Người đánh giá chỉ "
    "xuất sáng kiến được phân công, không thấy tác giả và đơn vị, và chỉ thấy điểm sau khi đã "
    "nộp phiếu của mình.",
    response_class=Response,
    responses={
        200: {
            "content": {
                "text/csv": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            }
        }
    },
)
async def export(
    session: SessionDep,
    ctx: CtxDep,
    user: Reviewer,
    format: Literal["csv", "xlsx"] = "xlsx",
    status: InitiativeStatus | None = None,
    period: Annotated[Line | None, Query(max_length=50)] = None,
    unit_id: Id | None = None,
) -> Response:
    """Download the results table."""
    content, media_type, name = await export_results(
        session,
        actor=user,
        fmt=format,
        settings=ctx.settings,
        status=status,
        period=period,
        unit_id=unit_id,
    )
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/{initiative_id}",
    response_model=InitiativeRead,
    responses=NOT_FOUND_RESPONSE,
    summary="Chi tiết sáng kiến",
)
async def get_initiative(session: SessionDep, user: AnyUser, initiative_id: Id) -> InitiativeRead:
    """One initiative the caller may see (404 otherwise)."""
    initiative = await service.get_initiative(session, actor=user, initiative_id=initiative_id)
    return InitiativeRead.of(user, initiative)


@router.get(
    "/{initiative_id}/similar",
    response_model=list[SimilarRead],
    responses=NOT_FOUND_RESPONSE,
    summary="Sáng kiến tương tự",
)
async def similar(
    session: SessionDep, ctx: CtxDep, user: AnyUser, initiative_id: Id
) -> list[SimilarRead]:
    """Similar initiatives from any unit (for its authors and evaluators)."""
    found = await service.similar_for(
        session, actor=user, initiative_id=initiative_id, settings=ctx.settings
    )
    return [SimilarRead.of(s) for s in found]


@router.post(
    "/{initiative_id}/screening",
    response_model=InitiativeRead,
    responses=ACTION,
    summary="Đưa vào sơ loại",
)
async def screening(session: SessionDep, user: Admin, initiative_id: Id) -> InitiativeRead:
    """Take a submitted initiative into screening."""
    initiative = await service.start_screening(session, actor=user, initiative_id=initiative_id)
    return InitiativeRead.of(user, initiative)


@router.get(
    "/{initiative_id}/suggested-evaluators",
    response_model=list[EvaluatorRead],
    responses=NOT_FOUND_RESPONSE,
    summary="Gợi ý người chấm không xung đột lợi ích",
)
async def suggested_evaluators(
    session: SessionDep,
    ctx: CtxDep,
    user: Admin,
    initiative_id: Id,
    count: Annotated[int | None, Query(ge=1, le=10)] = None,
) -> list[EvaluatorRead]:
    """Conflict-free evaluators, least loaded first."""
    users = await assignment.suggest_evaluators(
        session,
        actor=user,
        initiative_id=initiative_id,
        count=count or ctx.settings.evaluators_per_initiative,
    )
    return [EvaluatorRead(id=u.id, full_name=u.full_name, unit_id=u.unit_id) for u in users]


@router.post(
    "/{initiative_id}/evaluators",
    response_model=list[EvaluationRead],
    responses=ACTION,
    status_code=201,
    summary="Phân công người chấm",
    description="Không ai cùng đơn vị với tác giả hay phụ trách đơn vị của tác giả; ít nhất "
    "hai người chấm độc lập. Bỏ trống `evaluator_ids` để hệ thống tự chọn.",
)
async def assign(
    session: SessionDep, ctx: CtxDep, user: Admin, initiative_id: Id, data: AssignIn
) -> list[EvaluationRead]:
    """Assign evaluators and start the evaluation."""
    made = await assignment.assign_evaluators(
        session,
        actor=user,
        initiative_id=initiative_id,
        settings=ctx.settings,
        evaluator_ids=data.evaluator_ids,
    )
    return [EvaluationRead.of(e) for e in made]


@router.delete(
    "/{initiative_id}/evaluators/{evaluator_id}",
    status_code=204,
    responses=NOT_FOUND_RESPONSE,
    summary="Rút người chấm chưa nộp phiếu",
)
async def unassign(
    session: SessionDep, user: Admin, initiative_id: Id, evaluator_id: Id
) -> Response:
    """Withdraw an evaluator who has not scored yet."""
    await assignment.withdraw_evaluator(
        session, actor=user, initiative_id=initiative_id, evaluator_id=evaluator_id
    )
    return Response(status_code=204)


@router.get(
    "/{initiative_id}/evaluations",
    response_model=list[EvaluationRead],
    responses=NOT_FOUND_RESPONSE,
    summary="Phiếu chấm",
    description="Người chấm chỉ thấy phiếu của mình cho tới khi nộp; sau đó thấy các phiếu "
    "đã nộp khác. Quản trị thấy tất cả; tác giả không thấy phiếu từng người.",
)
async def evaluations(
    session: SessionDep, user: AnyUser, initiative_id: Id
) -> list[EvaluationRead]:
    """Score sheets visible to the caller."""
    sheets = await scoring.score_sheets(session, actor=user, initiative_id=initiative_id)
    return [EvaluationRead.of(e) for e in sheets]


@router.post(
    "/{initiative_id}/score",
    response_model=EvaluationRead,
    responses=ACTION,
    summary="Nộp phiếu chấm",
)
async def score(
    session: SessionDep, user: Evaluator, initiative_id: Id, data: ScoreIn
) -> EvaluationRead:
    """Submit the caller's score sheet (final once submitted)."""
    sheet = await scoring.submit_scores(
        session,
        actor=user,
        initiative_id=initiative_id,
        scores=dict(data.scores),
        comment=data.comment,
    )
    return EvaluationRead.of(sheet)


@router.get(
    "/{initiative_id}/result",
    response_model=ResultRead,
    responses=NOT_FOUND_RESPONSE,
    summary="Kết quả tổng hợp",
    description="Điểm trung bình có trọng số (0–100), độ lệch, cờ chênh lệch lớn và tiêu chí "
    "bắt buộc không đạt.",
)
async def result(session: SessionDep, ctx: CtxDep, user: AnyUser, initiative_id: Id) -> ResultRead:
    """The aggregate, for admins, evaluators who submitted, and authors once decided."""
    res = await scoring.result(
        session, actor=user, initiative_id=initiative_id, settings=ctx.settings
    )
    return ResultRead.of(res)


@router.post(
    "/{initiative_id}/decision",
    response_model=InitiativeRead,
    responses=ACTION,
    summary="Kết luận của hội đồng",
)
async def decide(
    session: SessionDep, ctx: CtxDep, user: Admin, initiative_id: Id, data: DecisionIn
) -> InitiativeRead:
    """Recognise, ask for more information, or not accept."""
    initiative = await scoring.decide(
        session,
        actor=user,
        initiative_id=initiative_id,
        outcome=data.outcome,
        note=data.note,
        council=data.council,
        settings=ctx.settings,
    )
    return InitiativeRead.of(user, initiative)


@router.post(
    "/{initiative_id}/info",
    response_model=InitiativeRead,
    responses=ACTION,
    summary="Bổ sung thông tin",
)
async def provide_info(
    session: SessionDep, ctx: CtxDep, user: Author, initiative_id: Id, data: InfoUpdate
) -> InitiativeRead:
    """An author answers a request for more information."""
    initiative = await service.provide_info(
        session,
        actor=user,
        initiative_id=initiative_id,
        changes=data.changes(),
        note=data.note,
        settings=ctx.settings,
        embedder=ctx.retriever.embedder,
    )
    return InitiativeRead.of(user, initiative)


@router.post(
    "/{initiative_id}/join",
    status_code=202,
    responses=ACTION,
    summary="Đề nghị làm đồng tác giả",
)
async def join(session: SessionDep, user: Author, initiative_id: Id) -> Response:
    """Ask the main author to accept the caller as a co-author."""
    await coauthors.request_to_join(session, actor=user, initiative_id=initiative_id)
    return Response(status_code=202)


@router.post(
    "/{initiative_id}/coauthors",
    response_model=InitiativeRead,
    responses=ACTION,
    summary="Thêm đồng tác giả",
)
async def add_coauthor(
    session: SessionDep, user: AnyUser, initiative_id: Id, data: CoauthorIn
) -> InitiativeRead:
    """Main author or admin adds a co-author (or accepts a request to join)."""
    initiative = await coauthors.add_coauthor(
        session, actor=user, initiative_id=initiative_id, user_id=data.user_id
    )
    return InitiativeRead.of(user, initiative)


@router.post(
    "/{initiative_id}/publish",
    response_model=PublishedRead,
    responses=ACTION,
    status_code=201,
    summary="Đưa vào kho tri thức như thực tiễn tốt",
)
async def publish_good_practice(
    session: SessionDep,
    ctx: CtxDep,
    user: Admin,
    initiative_id: Id,
    background: BackgroundTasks,
) -> PublishedRead:
    """Publish a recognised initiative as guidance citing it; searchable after the commit."""
    document_id = await publish.publish_good_practice(
        session, actor=user, initiative_id=initiative_id
    )
    background.add_task(ctx.retriever.sync)  # runs after the request's commit
    return PublishedRead(document_id=document_id)
