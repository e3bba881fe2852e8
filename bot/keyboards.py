"""Inline keyboards; labels come from bot.texts, payloads from bot.callbacks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot import texts
from bot.callbacks import (
    CaseCb,
    EscalationCb,
    ImportCb,
    InitiativeCb,
    PositionCb,
    PrecedentCb,
    QuestionCb,
)
from core.cases.actions import ACTION_LABELS, CaseAction
from core.cases.enums import SCOPE_LABELS
from core.mentors.texts import BTN_PEER


def _button(text: str, data: Any) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def answer(
    qid: int, *, novel: bool, has_more: bool, article: str | None = None
) -> InlineKeyboardMarkup:
    """👍 · 👎 · ❓ · ➕ · 📄 under a cited answer (escalation first when not covered, then 🤝)."""
    escalate = [_button(texts.BTN_ESCALATE, QuestionCb(action="esc", qid=qid))]
    feedback = [
        _button(texts.BTN_HELPFUL, QuestionCb(action="up", qid=qid)),
        _button(texts.BTN_UNHELPFUL, QuestionCb(action="down", qid=qid)),
    ]
    more = [_button(texts.BTN_MORE, QuestionCb(action="more", qid=qid))] if has_more else []
    if article:
        label = texts.BTN_FULL_ARTICLE.format(article=article)
        more.append(_button(label, QuestionCb(action="full", qid=qid)))
    # Not covered: a peer who knows the position may help informally (core.mentors).
    peer = [_button(BTN_PEER, QuestionCb(action="peer", qid=qid))] if novel else []
    rows = [escalate, peer, feedback, more] if novel else [feedback, escalate, more]
    return InlineKeyboardMarkup(inline_keyboard=[r for r in rows if r])


def skip_why(qid: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(texts.BTN_SKIP, QuestionCb(action="skipwhy", qid=qid))]]
    )


def positions(names: Sequence[str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(name, PositionCb(index=i))] for i, name in enumerate(names)]
    )


def escalation_continue() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(texts.BTN_CONTINUE, EscalationCb(action="cont")),
                _button(texts.BTN_CANCEL, EscalationCb(action="cancel")),
            ]
        ]
    )


def escalation_confirm(urgency: str) -> InlineKeyboardMarkup:
    """Send, switch urgency (thường ⇄ khẩn), cancel."""
    switch = (
        _button(texts.BTN_NORMAL, EscalationCb(action="normal"))
        if urgency == "urgent"
        else _button(texts.BTN_URGENT, EscalationCb(action="urgent"))
    )
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(texts.BTN_SEND, EscalationCb(action="send")), switch],
            [_button(texts.BTN_CANCEL, EscalationCb(action="cancel"))],
        ]
    )


def results_done() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(texts.BTN_RESULTS_DONE, InitiativeCb(action="done"))]]
    )


def fields() -> InlineKeyboardMarkup:
    rows = [
        [_button(name, InitiativeCb(action="field", index=i))]
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
    return [
        _button(ACTION_LABELS[a] + suffix, CaseCb(action=a.value, case_id=case_id)) for a in actions
    ]


def skip_case_step(case_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(texts.BTN_SKIP, CaseCb(action="skip", case_id=case_id))]]
    )


def import_scope(province: str | None) -> InlineKeyboardMarkup:
    """After a document preview: import nationwide, for the admin's province, or for a unit."""
    rows = [[_button(texts.BTN_IMPORT_NATIONAL, ImportCb(action="national"))]]
    if province:
        label = texts.BTN_IMPORT_PROVINCE.format(name=province)
        rows.append([_button(label, ImportCb(action="province"))])
    rows.append([_button(texts.BTN_IMPORT_UNIT, ImportCb(action="units"))])
    rows.append([_button(texts.BTN_CANCEL, ImportCb(action="no"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def import_units(units: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    """One button per unit the document may be scoped to."""
    rows = [[_button(name, ImportCb(action="unit", unit_id=uid))] for uid, name in units]
    rows.append([_button(texts.BTN_CANCEL, ImportCb(action="no"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


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
            [_button(texts.BTN_NO_EXPIRY, PrecedentCb(action="forever", proposal_id=proposal_id))]
        ]
    )


def from_rows(rows: list[list[dict[str, Any]]]) -> InlineKeyboardMarkup | None:
    """Outbox button rows ({text, callback_data}) as an aiogram keyboard."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=b["text"], callback_data=b["callback_data"]) for b in row]
            for row in rows
        ]
    )
