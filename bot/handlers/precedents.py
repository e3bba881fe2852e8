"""Admin: [Phê duyệt] a proposed precedent (scope, then an optional expiry date) or [Từ chối]
it with a reason. The same core service as the web console's precedent page."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from aiogram import Bot, F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import filters, keyboards, texts
from bot.callbacks import PrecedentAction, PrecedentCb
from bot.dialogue import advance, kept, prompt
from bot.inputs import refusal
from bot.render import esc
from bot.routing import RouterFactory
from bot.states import PrecedentReview
from core.cases import precedents
from core.cases.enums import PROPOSAL_LABELS, SCOPE_LABELS, ProposalStatus
from core.cases.models import PrecedentProposal
from core.cases.schemas import PrecedentApprove
from core.cases.texts import day
from core.config import Settings
from core.users.models import User
from retrieval.service import Retriever

router = RouterFactory(__name__)
TEXT = F.text & ~F.text.startswith("/")
MAX_REASON_CHARS = 2000
_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


def parse_day(text: str) -> date | None:
    """A date typed as dd/mm/yyyy (or dd-mm-yyyy, dd.mm.yyyy, yyyy-mm-dd); None if invalid."""
    text = text.strip()
    try:
        if match := _DMY.fullmatch(text):
            d, m, y = (int(g) for g in match.groups())
            return date(y, m, d)
        return date.fromisoformat(text)
    except ValueError:
        return None


async def _pending(
    query: CallbackQuery, session: AsyncSession, user: User, proposal_id: int
) -> PrecedentProposal | None:
    """The proposal if it is still undecided; otherwise tells the admin why not."""
    proposal = await precedents.get_proposal(session, actor=user, proposal_id=proposal_id)
    if proposal.status != ProposalStatus.PROPOSED:
        status = PROPOSAL_LABELS[ProposalStatus(proposal.status)].lower()
        await query.answer(texts.PREC_DECIDED.format(status=status), show_alert=True)
        return None
    return proposal


@router.callback_query(
    PrecedentCb.filter(F.action.in_((PrecedentAction.APPROVE, PrecedentAction.REJECT))),
    filters.ADMIN,
)
async def review_start(
    query: CallbackQuery,
    callback_data: PrecedentCb,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    bot: Bot,
) -> None:
    """[Phê duyệt] asks for the scope, [Từ chối] for the reason; both only while undecided."""
    proposal = await _pending(query, session, user, callback_data.proposal_id)
    if proposal is None:
        return
    await query.answer()
    number = esc(proposal.case.number)
    markup: InlineKeyboardMarkup | None = None
    text, step = texts.PREC_ASK_REASON.format(number=number), PrecedentReview.reason
    if callback_data.action == PrecedentAction.APPROVE:
        text = texts.PREC_ASK_SCOPE.format(number=number, title=esc(proposal.title))
        markup, step = keyboards.precedent_scope(proposal.id), PrecedentReview.scope
    await prompt(
        bot, state, chat_id=query.from_user.id, text=text, markup=markup, state=step,
        data={"proposal_id": proposal.id, "number": proposal.case.number},
    )  # fmt: skip


@router.callback_query(PrecedentReview.scope, PrecedentCb.filter(F.action.in_(SCOPE_LABELS)))
async def scope_picked(
    query: CallbackQuery, callback_data: PrecedentCb, state: FSMContext, bot: Bot
) -> None:
    if (await state.get_data()).get("proposal_id") != callback_data.proposal_id:
        await query.answer(texts.EXPIRED_BUTTON)
        return
    await query.answer()
    text = texts.PREC_ASK_EXPIRY.format(scope=SCOPE_LABELS[callback_data.action])
    await prompt(
        bot, state, chat_id=query.from_user.id, text=text,
        markup=keyboards.precedent_no_expiry(callback_data.proposal_id),
        state=PrecedentReview.expiry, update={"scope": callback_data.action.value},
    )  # fmt: skip


@router.message(PrecedentReview.expiry, TEXT)
async def expiry_typed(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    settings: Settings,
    retriever: Retriever,
    bot: Bot,
) -> None:
    expires_on = parse_day(message.text or "")
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    if expires_on is None or expires_on <= today:
        await message.answer(
            texts.PREC_BAD_DATE,
            reply_markup=keyboards.precedent_no_expiry(
                int((await state.get_data())["proposal_id"])
            ),
        )
        return
    await _approve(bot, message.chat.id, state, session, user, retriever, expires_on)


@router.callback_query(
    PrecedentReview.expiry, PrecedentCb.filter(F.action == PrecedentAction.FOREVER)
)
async def no_expiry(
    query: CallbackQuery,
    state: FSMContext,
    session: AsyncSession,
    user: User,
    retriever: Retriever,
    bot: Bot,
) -> None:
    await query.answer()
    await _approve(bot, query.from_user.id, state, session, user, retriever, None)


async def _approve(
    bot: Bot, chat_id: int, state: FSMContext, session: AsyncSession, user: User,
    retriever: Retriever, expires_on: date | None,
) -> None:  # fmt: skip
    data = await state.get_data()
    scope = str(data.get("scope", "unit"))
    proposal = await precedents.approve(
        session, actor=user, proposal_id=int(data["proposal_id"]),
        data=PrecedentApprove(scope=scope, expires_on=expires_on),
    )  # fmt: skip
    await advance(state, None)  # commits the approval with the end of the dialogue
    await retriever.sync()  # searchable at once, as on the web
    expiry = day(expires_on) if expires_on else texts.PREC_NO_EXPIRY
    await bot.send_message(
        chat_id=chat_id,
        text=texts.PREC_APPROVED.format(
            number=esc(proposal.case.number), scope=SCOPE_LABELS[scope], expiry=expiry
        ),
    )


@router.message(PrecedentReview.reason, TEXT)
async def reason_typed(
    message: Message, state: FSMContext, session: AsyncSession, user: User
) -> None:
    reason = " ".join((message.text or "").split())
    if (problem := refusal(reason, limit=MAX_REASON_CHARS)) is not None:
        await message.answer(kept(problem))
        return
    data = await state.get_data()
    proposal = await precedents.reject(
        session, actor=user, proposal_id=int(data["proposal_id"]), note=reason
    )
    await advance(state, None)
    await message.answer(texts.PREC_REJECTED.format(number=esc(proposal.case.number)))


@router.callback_query(
    PrecedentCb.filter(F.action.in_((PrecedentAction.APPROVE, PrecedentAction.REJECT)))
)
async def not_admin(query: CallbackQuery) -> None:
    await query.answer(texts.ADMIN_ONLY, show_alert=True)


@router.callback_query(PrecedentCb.filter())
async def stale(query: CallbackQuery) -> None:
    """A scope or expiry button from a finished or cancelled review."""
    await query.answer(texts.EXPIRED_BUTTON)
