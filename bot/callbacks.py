"""Typed inline-button payloads (each family has its own prefix; Telegram allows 64 bytes).

Every action is an enum member; its value is the verb on the wire ("case:claim:12"). Core queues
notification buttons as actions (core.outbox.buttons) and bot.keyboards.DRAW turns them into
these payloads, so the wire format lives here alone."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from core.cases.actions import CaseAction


class QuestionAction(StrEnum):
    """Buttons under a cited answer."""

    UP = "up"
    DOWN = "down"
    ESCALATE = "esc"
    MORE = "more"
    FULL = "full"
    SKIP_WHY = "skipwhy"
    PEER = "peer"


class EscalationAction(StrEnum):
    """Escalation dialogue: no more files, urgency, send, cancel."""

    CONTINUE = "cont"
    NORMAL = "normal"
    URGENT = "urgent"
    SEND = "send"
    CANCEL = "cancel"


class InitiativeAction(StrEnum):
    """Initiative dialogue: results finished, the n-th suggested field, cancel."""

    DONE = "done"
    FIELD = "field"
    CANCEL = "cancel"


class CaseStep(StrEnum):
    """Case buttons besides the CaseAction verbs: skip (basis or note), the asker's feedback."""

    SKIP = "skip"
    HELPFUL = "helpful"
    UNHELPFUL = "unhelpful"


class PrecedentAction(StrEnum):
    """Review of a proposed precedent: decide, the scope picked, no expiry date."""

    APPROVE = "approve"
    REJECT = "reject"
    NATIONAL = "national"
    PROVINCE = "province"
    UNIT = "unit"
    FOREVER = "forever"


class ImportAction(StrEnum):
    """Admin document import: a scope, the list of units, or no."""

    NATIONAL = "national"
    PROVINCE = "province"
    UNIT = "unit"
    UNITS = "units"
    NO = "no"


class TaskAction(StrEnum):
    """A hard task's owner buttons: add a progress note, mark finished."""

    NOTE = "note"
    DONE = "done"


class CommendAction(StrEnum):
    """Commend: ask for the citation, or use the suggested one."""

    START = "start"
    DEFAULT = "default"


class DrillAction(StrEnum):
    """Situation drills: answer (option, written, self-marked), publish, schedule, pause."""

    PICK = "pick"
    WRITE = "write"
    SELF = "self"
    PUBLISH = "publish"
    EVERY = "every"
    PAUSE = "pause"


class MentorAction(StrEnum):
    """Mentoring: ask a mentor, reply, volunteer on or off."""

    ASK = "ask"
    REPLY = "reply"
    TOGGLE = "toggle"


class QuestionCb(CallbackData, prefix="q"):
    """Buttons under a cited answer: up, down, esc (escalate), more, skipwhy."""

    action: QuestionAction
    qid: int


class PositionCb(CallbackData, prefix="pos"):
    """Pick the n-th position of the unit during registration."""

    index: int


class EscalationCb(CallbackData, prefix="esc"):
    """Escalation dialogue: cont (no more files), normal, urgent, send, cancel."""

    action: EscalationAction


class InitiativeCb(CallbackData, prefix="ini"):
    """Initiative dialogue: done (results finished), field (n-th suggested field), cancel."""

    action: InitiativeAction
    index: int = -1


class CaseCb(CallbackData, prefix="case"):
    """Case buttons: "case:<action>:<id>".

    Actions: claim, forward, answer, propose, skip (legal basis / note), helpful, unhelpful.
    """

    action: CaseAction | CaseStep
    case_id: int


class PrecedentCb(CallbackData, prefix="prec"):
    """Review of a proposed precedent: "prec:<action>:<proposal id>". Actions: approve,
    reject, national, province, unit (the scope picked), forever (no expiry date)."""

    action: PrecedentAction
    proposal_id: int


class ImportCb(CallbackData, prefix="imp"):
    """Admin document import: a scope to import with (national, province, unit with its id),
    "units" to list the units to choose from, or "no"."""

    action: ImportAction
    unit_id: int = 0


class ImportJobCb(CallbackData, prefix="impjob"):
    """An admin's background import: show its progress so far."""

    job_id: int


class TaskCb(CallbackData, prefix="task"):
    """A hard task's owner buttons: "task:<action>:<id>".
    Actions: note (add a progress note), done (mark finished)."""

    action: TaskAction
    task_id: int


class CommendCb(CallbackData, prefix="rec"):
    """Commend the official behind a source: "rec:<action>:<kind>:<id>". Actions: start (ask
    for the citation), default (use the suggested one)."""

    action: CommendAction
    kind: str
    source_id: int


class DrillCb(CallbackData, prefix="drill"):
    """Situation drills: "drill:<action>:<id>:<value>".
    Actions: pick (delivery, option), write (delivery), self (delivery, 1/0), publish (drill),
    every (0, days), pause (0, 1 pause / 0 resume)."""

    action: DrillAction
    target: int
    value: int = 0


class MentorCb(CallbackData, prefix="mtr"):
    """Mentoring: "mtr:<action>:<id>:<value>".
    Actions: ask (mentor, question id), reply (request), toggle (0, 1 on / 0 off)."""

    action: MentorAction
    target: int
    value: int = 0
