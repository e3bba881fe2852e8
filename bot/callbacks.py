"""Typed inline-button payloads (each family has its own prefix; Telegram allows 64 bytes)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class QuestionCb(CallbackData, prefix="q"):
    """Buttons under a cited answer: up, down, esc (escalate), more, skipwhy."""

    action: str
    qid: int


class PositionCb(CallbackData, prefix="pos"):
    """Pick the n-th position of the unit during registration."""

    index: int


class EscalationCb(CallbackData, prefix="esc"):
    """Escalation dialogue: cont (no more files), normal, urgent, send, cancel."""

    action: str


class InitiativeCb(CallbackData, prefix="ini"):
    """Initiative dialogue: done (results finished), field (n-th suggested field), cancel."""

    action: str
    index: int = -1


class CaseCb(CallbackData, prefix="case"):
    """Case buttons, same wire format as core.cases.texts: "case:<action>:<id>".

    Actions: claim, forward, answer, propose, skip (legal basis / note), helpful, unhelpful.
    """

    action: str
    case_id: int


class PrecedentCb(CallbackData, prefix="prec"):
    """Review of a proposed precedent, same wire format as core.cases.precedents:
    "prec:<action>:<proposal id>". Actions: approve, reject, national, province, unit (the
    scope picked), forever (no expiry date)."""

    action: str
    proposal_id: int


class ImportCb(CallbackData, prefix="imp"):
    """Admin document import: a scope to import with (national, province, unit with its id),
    "units" to list the units to choose from, or "no"."""

    action: str
    unit_id: int = 0


class TaskCb(CallbackData, prefix="task"):
    """A hard task's owner buttons, same wire format as core.tasks.texts: "task:<action>:<id>".
    Actions: note (add a progress note), done (mark finished)."""

    action: str
    task_id: int


class CommendCb(CallbackData, prefix="rec"):
    """Commend the official behind a source, same wire format as core.tasks.texts:
    "rec:<action>:<kind>:<id>". Actions: start (ask for the citation), default (use the
    suggested one)."""

    action: str
    kind: str
    source_id: int


class DrillCb(CallbackData, prefix="drill"):
    """Situation drills, same wire format as core.drills.texts: "drill:<action>:<id>:<value>".
    Actions: pick (delivery, option), write (delivery), self (delivery, 1/0), publish (drill),
    every (0, days), pause (0, 1 pause / 0 resume)."""

    action: str
    target: int
    value: int = 0


class MentorCb(CallbackData, prefix="mtr"):
    """Mentoring, same wire format as core.mentors.texts: "mtr:<action>:<id>:<value>".
    Actions: ask (mentor, question id), reply (request), toggle (0, 1 on / 0 off)."""

    action: str
    target: int
    value: int = 0
