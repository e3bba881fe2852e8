"""Blind scoring, the aggregated result, and the council's decision.

Blindness: an evaluator sees only their own score sheet until they have submitted it; after
that they may see the other submitted sheets. Authors never see individual sheets, only the
aggregate once the initiative is decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import mean
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import record
from core.config import Settings
from core.db import utcnow
from core.errors import conflict, forbidden, invalid, not_found
from core.initiatives.enums import OUTCOMES, EvaluationStatus, InitiativeStatus
from core.initiatives.models import Evaluation, Initiative
from core.initiatives.rubric import (
    Criterion,
    check_scores,
    failed_gates,
    get_rubric_version,
    parse_criteria,
    weighted_total,
)
from core.initiatives.service import (
    ADMIN_ONLY,
    get_initiative,
    lock_initiative,
    transition,
)
from core.initiatives.views import author_ids
from core.users.authz import is_admin, require_active, require_admin
from core.users.models import User

S = InitiativeStatus
FINAL = frozenset({S.RECOGNISED, S.NOT_ACCEPTED})


@dataclass(frozen=True)
class EvaluationResult:
    """The aggregate of the submitted score sheets of one initiative."""

    assigned: int  # evaluators currently assigned (withdrawn ones excluded)
    submitted: int
    mean_total: float | None  # mean of the evaluators' weighted totals, 0-100
    spread: float | None  # highest minus lowest total
    disagreement: bool  # spread above the configured threshold
    gate_failed: bool  # some evaluator failed a gate criterion: recognition is blocked
    failed_gates: list[str] = field(default_factory=list)
    criteria_means: dict[str, float] = field(default_factory=dict)


def aggregate(
    evaluations: list[Evaluation], criteria: list[Criterion], threshold: float
) -> EvaluationResult:
    """Mean, spread, disagreement and gates over the submitted sheets (pure arithmetic)."""
    active = [e for e in evaluations if e.status != EvaluationStatus.WITHDRAWN]
    done = [e for e in active if e.status == EvaluationStatus.SUBMITTED]
    if not done:
        return EvaluationResult(len(active), 0, None, None, False, False)
    totals = [weighted_total(criteria, e.scores) for e in done]
    spread = round(max(totals) - min(totals), 2)
    gates = sorted({key for e in done for key in failed_gates(criteria, e.scores)})
    return EvaluationResult(
        assigned=len(active),
        submitted=len(done),
        mean_total=round(mean(totals), 2),
        spread=spread,
        disagreement=len(done) > 1 and spread > threshold,
        gate_failed=bool(gates),
        failed_gates=gates,
        criteria_means={c.key: round(mean(e.scores[c.key] for e in done), 2) for c in criteria},
    )


async def _evaluations(session: AsyncSession, initiative_id: int) -> list[Evaluation]:
    rows = await session.scalars(
        select(Evaluation).where(Evaluation.initiative_id == initiative_id).order_by(Evaluation.id)
    )
    return list(rows.unique())


async def criteria_for(session: AsyncSession, initiative: Initiative) -> list[Criterion]:
    """The criteria of the rubric version pinned for this initiative's evaluation."""
    if initiative.rubric_version_id is None:
        raise conflict("Sáng kiến chưa được phân công chấm điểm.")
    rubric = await get_rubric_version(session, rubric_version_id=initiative.rubric_version_id)
    return parse_criteria(rubric.criteria)


async def submit_scores(
    session: AsyncSession,
    *,
    actor: User,
    initiative_id: int,
    scores: dict[str, Any],
    comment: str = "",
) -> Evaluation:
    """An evaluator submits their score sheet (once); the last one completes the evaluation."""
    require_active(actor)
    initiative = await lock_initiative(session, initiative_id)
    evaluation = await session.scalar(
        select(Evaluation).where(
            Evaluation.initiative_id == initiative.id,
            Evaluation.evaluator_id == actor.id,
            Evaluation.status != EvaluationStatus.WITHDRAWN,
        )
    )
    if evaluation is None:
        raise not_found("sáng kiến")  # not assigned: same answer as for an unknown id
    if evaluation.status == EvaluationStatus.SUBMITTED:
        raise conflict("Bạn đã nộp phiếu chấm cho sáng kiến này; phiếu không sửa được nữa.")
    if initiative.status != S.UNDER_EVALUATION:
        raise conflict("Sáng kiến không ở giai đoạn chấm điểm.")
    if len(comment) > 5000:
        raise invalid("Nhận xét dài quá 5000 ký tự.")
    rubric = await get_rubric_version(session, rubric_version_id=evaluation.rubric_version_id)
    criteria = parse_criteria(rubric.criteria)
    clean = check_scores(criteria, scores)
    evaluation.scores = clean
    evaluation.comment = comment.strip()
    evaluation.total = weighted_total(criteria, clean)
    evaluation.gate_failed = bool(failed_gates(criteria, clean))
    evaluation.status = EvaluationStatus.SUBMITTED
    evaluation.submitted_at = utcnow()
    await session.flush()
    await record(
        session,
        actor_id=actor.id,
        action="initiative.score",
        entity="initiative",
        entity_id=initiative.id,
        data={"scores": clean, "total": evaluation.total, "rubric": rubric.version},
    )
    pending = [
        e
        for e in await _evaluations(session, initiative.id)
        if e.status == EvaluationStatus.ASSIGNED
    ]
    if not pending:
        await transition(session, initiative, to=S.EVALUATED, actor_id=actor.id)
    return evaluation


async def score_sheets(
    session: AsyncSession, *, actor: User, initiative_id: int
) -> list[Evaluation]:
    """The score sheets the actor may see: admins all; an evaluator their own, plus the
    others' submitted sheets once their own is submitted; authors none."""
    require_active(actor)
    initiative = await get_initiative(session, actor=actor, initiative_id=initiative_id)
    sheets = [
        e
        for e in await _evaluations(session, initiative.id)
        if e.status != EvaluationStatus.WITHDRAWN
    ]
    if is_admin(actor):
        return sheets
    own = next((e for e in sheets if e.evaluator_id == actor.id), None)
    if own is None:
        return []
    if own.status != EvaluationStatus.SUBMITTED:
        return [own]
    return [e for e in sheets if e is own or e.status == EvaluationStatus.SUBMITTED]


async def result(
    session: AsyncSession, *, actor: User, initiative_id: int, settings: Settings
) -> EvaluationResult:
    """The aggregate result, for whom it is not blind: admins; evaluators after submitting;
    authors once the initiative is decided."""
    require_active(actor)
    initiative = await get_initiative(session, actor=actor, initiative_id=initiative_id)
    evaluations = await _evaluations(session, initiative.id)
    if not is_admin(actor):
        own = next((e for e in evaluations if e.evaluator_id == actor.id), None)
        submitted = own is not None and own.status == EvaluationStatus.SUBMITTED
        decided = actor.id in author_ids(initiative) and initiative.status in FINAL
        if not (submitted or decided):
            raise forbidden("Kết quả chấm chỉ hiển thị sau khi bạn đã nộp phiếu chấm.")
    if initiative.rubric_version_id is None:
        return aggregate([], [], settings.disagreement_threshold)
    criteria = await criteria_for(session, initiative)
    return aggregate(evaluations, criteria, settings.disagreement_threshold)


async def decide(
    session: AsyncSession,
    *,
    actor: User,
    initiative_id: int,
    outcome: str,
    note: str = "",
    council: bool = False,
    settings: Settings,
) -> Initiative:
    """Admin/council: recognise, ask for more information, or not accept, with a note.

    Recognition needs a completed evaluation without gate failures; when evaluators
    disagree beyond the threshold it also needs an explicit council decision.
    """
    require_admin(actor, ADMIN_ONLY)
    if outcome not in OUTCOMES:
        raise invalid("Kết luận phải là: công nhận, cần bổ sung, hoặc không công nhận.")
    note = note.strip()
    if outcome != S.RECOGNISED and not note:
        raise invalid("Vui lòng ghi rõ lý do hoặc thông tin cần bổ sung.")
    initiative = await lock_initiative(session, initiative_id)
    if outcome == S.RECOGNISED:
        if initiative.status != S.EVALUATED:
            raise conflict("Chỉ công nhận sáng kiến đã được chấm xong.")
        outcome_result = aggregate(
            await _evaluations(session, initiative.id),
            await criteria_for(session, initiative),
            settings.disagreement_threshold,
        )
        if outcome_result.gate_failed:
            raise conflict(
                "Sáng kiến không đạt tiêu chí bắt buộc nên không thể công nhận, dù tổng điểm cao.",
                failed_gates=outcome_result.failed_gates,
            )
        if outcome_result.disagreement and not council:
            raise conflict(
                "Điểm giữa các người chấm chênh lệch quá ngưỡng: cần thêm người chấm thứ ba "
                "hoặc quyết định của hội đồng.",
                spread=outcome_result.spread,
            )
    initiative.decision_note = note or None
    initiative.decided_by_id = actor.id
    initiative.decided_at = utcnow()
    initiative.council_decision = council
    return await transition(
        session,
        initiative,
        to=InitiativeStatus(outcome),
        actor_id=actor.id,
        note=note or None,
        data={"council": council},
    )
