"""The buttons a queued notification carries: what each does, never how a front draws it.

Core writes rows of semantic actions ({"action": "case.claim", "id": 12}) into the outbox; the
bot turns each into its label and callback data (bot/keyboards.py), so the wire format lives
in the bot alone. Every member here must have a bot handler (tests/bot/test_outbox_buttons.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, NotRequired, TypedDict


class Action(StrEnum):
    """Everything a notification button may ask for; `id` is the row it acts on."""

    CASE_CLAIM = "case.claim"
    CASE_ANSWER = "case.answer"
    CASE_FORWARD = "case.forward"
    CASE_PROPOSE = "case.propose"
    CASE_HELPFUL = "case.helpful"  # the asker's verdict on an answer
    CASE_UNHELPFUL = "case.unhelpful"
    PRECEDENT_APPROVE = "precedent.approve"  # id: the proposal
    PRECEDENT_REJECT = "precedent.reject"
    TASK_NOTE = "task.note"
    TASK_DONE = "task.done"
    COMMEND_TASK = "commend.task"  # commend whoever finished the task
    COMMEND_CASE = "commend.case"  # commend whoever answered the case
    DRILL_PICK = "drill.pick"  # id: the delivery, value: the option's index
    DRILL_WRITE = "drill.write"  # id: the delivery
    DRILL_PUBLISH = "drill.publish"  # id: the drill
    MENTOR_REPLY = "mentor.reply"  # id: the mentor request
    QUESTION_ESCALATE = "question.escalate"  # id: the question log row (formal xin ý kiến)


class Button(TypedDict):
    """One button as stored in the outbox's JSON."""

    action: str
    id: int
    value: NotRequired[int]


Buttons = list[list[Button]]


def button(action: Action, target: int, value: int | None = None) -> Button:
    out = Button(action=action.value, id=target)
    if value is not None:
        out["value"] = value
    return out


def row(*buttons: Button) -> Buttons:
    """One row of buttons (none: no keyboard)."""
    return [list(buttons)] if buttons else []


# What an outbox row may hold: core's actions, or buttons the bot drew itself ({text,
# callback_data}: a reply it could not send at once, bot/sender.py, and rows queued before core
# wrote actions). The bot's notifier draws both.
Rows = Sequence[Sequence[Mapping[str, Any]]]
