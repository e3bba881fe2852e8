"""What someone may do next on a case: the one rule the console's case page, the bot's buttons
(/hangdoi, notifications, the keyboards after each step) and the services' guards agree on.

The services still enforce each transition atomically (a claim race, a stale page); this module
only decides which actions a front offers, from the same facts the services check.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from core.cases.access import can_act, can_view, supervised_ids
from core.cases.enums import CLAIMABLE_STATUSES, OPEN_STATUSES, CaseStatus
from core.cases.models import Case
from core.outbox.buttons import Action, Buttons, button, row
from core.users.authz import is_admin, is_staff
from core.users.models import User


class CaseAction(StrEnum):
    """A case action; the value is the bot's callback verb ("case:<action>:<id>")."""

    CLAIM = "claim"
    ANSWER = "answer"
    FORWARD = "forward"
    PROPOSE = "propose"


ACTION_LABELS = {
    CaseAction.CLAIM: "Nhận xử lý",
    CaseAction.ANSWER: "Trả lời",
    CaseAction.FORWARD: "Chuyển",
    CaseAction.PROPOSE: "Đề xuất thành hướng dẫn",
}
# The outbox button of each action (the bot draws it with ACTION_LABELS).
BUTTON_ACTIONS = {
    CaseAction.CLAIM: Action.CASE_CLAIM,
    CaseAction.ANSWER: Action.CASE_ANSWER,
    CaseAction.FORWARD: Action.CASE_FORWARD,
    CaseAction.PROPOSE: Action.CASE_PROPOSE,
}


def _decide(case: Case, *, sees: bool, acts: bool, holds: bool, admin: bool) -> list[CaseAction]:
    """The rule itself, over the facts about one person and one case (in display order)."""
    status = CaseStatus(case.status)
    claimable = status in CLAIMABLE_STATUSES
    # A claimed case is worked on by its holder; an admin may step in.
    free_hand = claimable or (status == CaseStatus.CLAIMED and (holds or admin))
    out: list[CaseAction] = []
    if acts and claimable:
        out.append(CaseAction.CLAIM)
    if acts and free_hand:
        out.append(CaseAction.ANSWER)
    if acts and status in OPEN_STATUSES and free_hand:
        out.append(CaseAction.FORWARD)
    if sees and status in (CaseStatus.ANSWERED, CaseStatus.CLOSED) and case.answer:
        out.append(CaseAction.PROPOSE)
    return out


def actions_for(actor: User, units: set[int], case: Case) -> list[CaseAction]:
    """Actions `actor` (supervising `units`) may take on `case`, in display order."""
    if not is_staff(actor):
        return []
    return _decide(
        case,
        sees=can_view(actor, units, case),
        acts=can_act(actor, units, case),
        holds=case.status == CaseStatus.CLAIMED and case.assignee_id == actor.id,
        admin=is_admin(actor),
    )


async def allowed_actions(session: AsyncSession, actor: User, case: Case) -> list[CaseAction]:
    """`actions_for` with the actor's supervised units read fresh."""
    return actions_for(actor, await supervised_ids(session, actor), case)


def level_actions(case: Case) -> list[CaseAction]:
    """What a supervisor of the case's level (not holding it) may do: the notification buttons
    for the people told a case is waiting for them."""
    return _decide(case, sees=True, acts=True, holds=False, admin=False)


def holder_actions(case: Case) -> list[CaseAction]:
    """What the supervisor holding the case may do (buttons of their reminders)."""
    return _decide(case, sees=True, acts=True, holds=True, admin=False)


def action_buttons(case_id: int, actions: list[CaseAction]) -> Buttons:
    """One row of notification buttons for the given actions."""
    return row(*(button(BUTTON_ACTIONS[a], case_id) for a in actions))
