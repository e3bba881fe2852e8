"""Inline keyboards; labels come from bot.texts, payloads from bot.callbacks."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot import texts
from bot.callbacks import (
    CaseCb,
    CaseStep,
    CommendAction,
    CommendCb,
    DrillAction,
    DrillCb,
    EscalationAction,
    EscalationCb,
    ImportAction,
    ImportCb,
    ImportJobCb,
    InitiativeAction,
    InitiativeCb,
    MentorAction,
    MentorCb,
    PositionCb,
    PrecedentAction,
    PrecedentCb,
    QuestionAction,
    QuestionCb,
    TaskAction,
    TaskCb,
)
from core.cases.actions import ACTION_LABELS, BUTTON_ACTIONS, CaseAction
from core.cases.enums import SCOPE_LABELS
from core.drills.models import DrillSchedule
from core.drills.texts import BTN_WRITE, INTERVAL_CHOICES, letter
from core.mentors.models import Mentor
from core.mentors.texts import BTN_FORMAL, BTN_PEER
from core.outbox.buttons import Action, Rows
from core.recognition.schemas import SourceKind


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def answer(
    qid: int, *, novel: bool, has_more: bool, article: str | None = None
) -> InlineKeyboardMarkup:
    """👍 · 👎 · ❓ · ➕ · 📄 under a cited answer (escalation first when not covered, then 🤝)."""
    escalate = [_button(texts.BTN_ESCALATE, QuestionCb(action=QuestionAction.ESCALATE, qid=qid))]
    feedback = [
        _button(texts.BTN_HELPFUL, QuestionCb(action=QuestionAction.UP, qid=qid)),
        _button(texts.BTN_UNHELPFUL, QuestionCb(action=QuestionAction.DOWN, qid=qid)),
    ]
    more = (
        [_button(texts.BTN_MORE, QuestionCb(action=QuestionAction.MORE, qid=qid))]
        if has_more
        else []
    )
    if article:
        label = texts.BTN_FULL_ARTICLE.format(article=article)
        more.append(_button(label, QuestionCb(action=QuestionAction.FULL, qid=qid)))
    # Not covered: a peer who knows the position may help informally (core.mentors).
    peer = [_button(BTN_PEER, QuestionCb(action=QuestionAction.PEER, qid=qid))] if novel else []
    rows = [escalate, peer, feedback, more] if novel else [feedback, escalate, more]
    return InlineKeyboardMarkup(inline_keyboard=[r for r in rows if r])


def skip_why(qid: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(texts.BTN_SKIP, QuestionCb(action=QuestionAction.SKIP_WHY, qid=qid))]
        ]
    )


def positions(names: Sequence[str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(name, PositionCb(index=i))] for i, name in enumerate(names)]
    )


def escalation_continue() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(texts.BTN_CONTINUE, EscalationCb(action=EscalationAction.CONTINUE)),
                _button(texts.BTN_CANCEL, EscalationCb(action=EscalationAction.CANCEL)),
            ]
        ]
    )


def escalation_confirm(urgency: str) -> InlineKeyboardMarkup:
    """Send, switch urgency (thường ⇄ khẩn), cancel."""
    switch = (
        _button(texts.BTN_NORMAL, EscalationCb(action=EscalationAction.NORMAL))
        if urgency == "urgent"
        else _button(texts.BTN_URGENT, EscalationCb(action=EscalationAction.URGENT))
    )
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(texts.BTN_SEND, EscalationCb(action=EscalationAction.SEND)), switch],
            [_button(texts.BTN_CANCEL, EscalationCb(action=EscalationAction.CANCEL))],
        ]
    )


def results_done() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(texts.BTN_RESULTS_DONE, InitiativeCb(action=InitiativeAction.DONE))]
        ]
    )


def fields() -> InlineKeyboardMarkup:
    rows = [
        [_button(name, InitiativeCb(action=InitiativeAction.FIELD, index=i))]
        for i, name in enumerate(texts.INI_FIELDS)
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def case_actions(
    case_id: int, actions: Sequence[CaseAction], *, number: str | None = None
) -> InlineKeyboardMarkup | None:
    """The actions core.cases.actions allows on one case (the console's case page offers the
    same), one row; `number` names the case on each button when several are listed."""
    row = case_action_row(case_id, actions, number=number)
    return InlineKeyboardMarkup(inline_keyboard=[row]) if row else None


def case_action_row(
    case_id: int, actions: Sequence[CaseAction], *, number: str | None = None
) -> list[InlineKeyboardButton]:
    # The number's serial part ("XYK-2026-000123" -> "000123"): three buttons carrying the
    # whole number do not fit one row on a phone, and the list above shows it in full.
    suffix = f" {number.rsplit('-', 1)[-1]}" if number else ""
    return [_button(ACTION_LABELS[a] + suffix, CaseCb(action=a, case_id=case_id)) for a in actions]


def skip_case_step(case_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(texts.BTN_SKIP, CaseCb(action=CaseStep.SKIP, case_id=case_id))]]
    )


def import_scope(province: str | None) -> InlineKeyboardMarkup:
    """After a document preview: import nationwide, for the admin's province, or for a unit."""
    rows = [[_button(texts.BTN_IMPORT_NATIONAL, ImportCb(action=ImportAction.NATIONAL))]]
    if province:
        label = texts.BTN_IMPORT_PROVINCE.format(name=province)
        rows.append([_button(label, ImportCb(action=ImportAction.PROVINCE))])
    rows.append([_button(texts.BTN_IMPORT_UNIT, ImportCb(action=ImportAction.UNITS))])
    rows.append([_button(texts.BTN_CANCEL, ImportCb(action=ImportAction.NO))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def import_units(units: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    """One button per unit the document may be scoped to."""
    rows = [[_button(name, ImportCb(action=ImportAction.UNIT, unit_id=uid))] for uid, name in units]
    rows.append([_button(texts.BTN_CANCEL, ImportCb(action=ImportAction.NO))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def import_progress(job_id: int) -> InlineKeyboardMarkup:
    """Under a background import's message: show how far it has got."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(texts.BTN_IMPORT_PROGRESS, ImportJobCb(job_id=job_id))]]
    )


def precedent_scope(proposal_id: int) -> InlineKeyboardMarkup:
    """Where an approved precedent applies: one button per scope."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(label, PrecedentCb(action=scope, proposal_id=proposal_id))]
            for scope, label in SCOPE_LABELS.items()
        ]
    )


def precedent_no_expiry(proposal_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(
                    texts.BTN_NO_EXPIRY,
                    PrecedentCb(action=PrecedentAction.FOREVER, proposal_id=proposal_id),
                )
            ]
        ]
    )


# How each action core queues with a notification is drawn: (id, value) -> (label, payload).
_Draw = Callable[[int, int], tuple[str, CallbackData]]


def _case(action: CaseAction | CaseStep, label: str) -> _Draw:
    return lambda i, _: (label, CaseCb(action=action, case_id=i))


def _commend(kind: SourceKind) -> _Draw:
    return lambda i, _: (
        texts.BTN_COMMEND,
        CommendCb(action=CommendAction.START, kind=kind.value, source_id=i),
    )


DRAW: dict[Action, _Draw] = {
    **{action: _case(a, ACTION_LABELS[a]) for a, action in BUTTON_ACTIONS.items()},
    Action.CASE_HELPFUL: _case(CaseStep.HELPFUL, texts.BTN_HELPFUL),
    Action.CASE_UNHELPFUL: _case(CaseStep.UNHELPFUL, texts.BTN_UNHELPFUL),
    Action.PRECEDENT_APPROVE: lambda i, _: (
        texts.BTN_APPROVE,
        PrecedentCb(action=PrecedentAction.APPROVE, proposal_id=i),
    ),
    Action.PRECEDENT_REJECT: lambda i, _: (
        texts.BTN_REJECT,
        PrecedentCb(action=PrecedentAction.REJECT, proposal_id=i),
    ),
    Action.TASK_NOTE: lambda i, _: (texts.BTN_TASK_NOTE, TaskCb(action=TaskAction.NOTE, task_id=i)),
    Action.TASK_DONE: lambda i, _: (texts.BTN_TASK_DONE, TaskCb(action=TaskAction.DONE, task_id=i)),
    Action.COMMEND_TASK: _commend(SourceKind.TASK),
    Action.COMMEND_CASE: _commend(SourceKind.CASE),
    Action.DRILL_PICK: lambda i, v: (
        letter(v),
        DrillCb(action=DrillAction.PICK, target=i, value=v),
    ),
    Action.DRILL_WRITE: lambda i, _: (BTN_WRITE, DrillCb(action=DrillAction.WRITE, target=i)),
    Action.DRILL_PUBLISH: lambda i, _: (
        texts.BTN_DRILL_PUBLISH,
        DrillCb(action=DrillAction.PUBLISH, target=i),
    ),
    Action.MENTOR_REPLY: lambda i, _: (
        texts.BTN_MENTOR_REPLY,
        MentorCb(action=MentorAction.REPLY, target=i),
    ),
    Action.QUESTION_ESCALATE: lambda i, _: (
        BTN_FORMAL,
        QuestionCb(action=QuestionAction.ESCALATE, qid=i),
    ),
}


def draw(item: Mapping[str, Any]) -> InlineKeyboardButton:
    """One outbox button: an action core queued, or one the bot drew itself (text and
    callback_data: a reply it could not send at once, or a row queued before actions)."""
    if "callback_data" in item:
        return InlineKeyboardButton(text=item["text"], callback_data=item["callback_data"])
    label, data = DRAW[Action(item["action"])](int(item["id"]), int(item.get("value", 0)))
    return _button(label, data)


def from_rows(rows: Rows) -> InlineKeyboardMarkup | None:
    """Outbox button rows as an aiogram keyboard."""
    if not rows:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[[draw(b) for b in row] for row in rows])


def drill_self_check(delivery_id: int) -> InlineKeyboardMarkup:
    """Under the reveal of a free answer: did it match the approved one?"""

    def mark(value: int, label: str) -> InlineKeyboardButton:
        return _button(label, DrillCb(action=DrillAction.SELF, target=delivery_id, value=value))

    return InlineKeyboardMarkup(
        inline_keyboard=[[mark(1, texts.BTN_DRILL_RIGHT), mark(0, texts.BTN_DRILL_WRONG)]]
    )


def drill_schedule(item: DrillSchedule) -> InlineKeyboardMarkup:
    """/luyentap: one button per rhythm (the current one marked), then pause or resume."""
    rhythm = [
        _button(
            texts.BTN_DRILL_EVERY.format(mark="• " if d == item.interval_days else "", days=d),
            DrillCb(action=DrillAction.EVERY, target=0, value=d),
        )
        for d in INTERVAL_CHOICES
    ]
    label = texts.BTN_DRILL_RESUME if item.paused else texts.BTN_DRILL_PAUSE
    toggle = _button(label, DrillCb(action=DrillAction.PAUSE, target=0, value=int(not item.paused)))
    return InlineKeyboardMarkup(inline_keyboard=[rhythm, [toggle]])


def _formal_row(question_id: int) -> list[InlineKeyboardButton]:
    return [_button(BTN_FORMAL, QuestionCb(action=QuestionAction.ESCALATE, qid=question_id))]


def formal_escalation(question_id: int) -> InlineKeyboardMarkup:
    """The formal route (xin ý kiến) for a logged question."""
    return InlineKeyboardMarkup(inline_keyboard=[_formal_row(question_id)])


def mentor_choice(mentors: Sequence[Mentor], question_id: int) -> InlineKeyboardMarkup:
    """The mentors a cadre may ask about a logged question, then the formal route."""
    rows = [
        [
            _button(
                texts.BTN_MENTOR.format(name=m.user.full_name),
                MentorCb(action=MentorAction.ASK, target=m.user_id, value=question_id),
            )
        ]
        for m in mentors
    ]
    return InlineKeyboardMarkup(inline_keyboard=[*rows, _formal_row(question_id)])


def mentor_switch(mentor: Mentor | None, position: str | None) -> InlineKeyboardMarkup | None:
    """/dongnghiep: volunteer, or stop (nothing without a position to volunteer for)."""
    if not position:
        return None
    on = mentor is not None and mentor.active
    label = texts.BTN_MENTOR_OFF if on else texts.BTN_MENTOR_ON
    data = MentorCb(action=MentorAction.TOGGLE, target=0, value=int(not on))
    return InlineKeyboardMarkup(inline_keyboard=[[_button(label, data)]])
