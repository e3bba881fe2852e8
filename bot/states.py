"""One StatesGroup per dialogue; states survive restarts through the persistent storage."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class Registration(StatesGroup):
    full_name = State()
    position = State()


class Feedback(StatesGroup):
    why = State()


class Escalation(StatesGroup):
    text = State()
    attachments = State()
    urgency = State()
    confirm = State()


class Initiative(StatesGroup):
    title = State()
    problem = State()
    actions = State()
    results = State()
    field = State()


class Answering(StatesGroup):
    answer = State()
    legal_basis = State()
    forward_note = State()


class PrecedentReview(StatesGroup):
    scope = State()
    expiry = State()
    reason = State()


class Import(StatesGroup):
    confirm = State()


class TaskReport(StatesGroup):
    note = State()


class Commending(StatesGroup):
    citation = State()


class DrillAnswering(StatesGroup):
    text = State()


class MentorReplying(StatesGroup):
    text = State()
