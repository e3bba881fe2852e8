"""Dialogue steps that survive a crash: the new state is committed *before* its prompt is sent.

If the process dies after Telegram showed "Bước 2/5" but before the update's transaction
committed, the user would answer step 2 while the stored state still said step 1. So every
dialogue moves through `advance` (set state and data, commit) and prompts through `prompt`
(advance, then send). With Redis storage the state is durable at once and the commit only
covers the update's other writes.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import InlineKeyboardMarkup, Message

from bot import texts
from bot.inputs import refusal
from bot.storage import current_session


class _Keep(Enum):
    STATE = "keep"


KEEP = _Keep.STATE  # advance(..., state=KEEP) changes only the data


def kept(problem: str) -> str:
    """A refusal inside a dialogue: the user is reassured that the steps so far are kept."""
    return f"{problem} {texts.STEPS_KEPT}"


async def step_text(message: Message, *, limit: int) -> str | None:
    """The text typed at a dialogue step, or None once the user is told why it is refused
    (a control character, or longer than `limit`; the steps so far are kept)."""
    text = message.text or ""
    if (problem := refusal(text, limit=limit)) is not None:
        await message.answer(kept(problem))
        return None
    return text


async def commit() -> None:
    """Commit the update's transaction (the one the database storage writes through)."""
    session = current_session.get()
    if session is not None:
        await session.commit()


async def advance(
    fsm: FSMContext,
    state: State | _Keep | None = KEEP,
    *,
    data: dict[str, Any] | None = None,
    update: dict[str, Any] | None = None,
) -> None:
    """Replace (`data`) or merge (`update`) the dialogue data, set `state` (None ends the
    dialogue), and commit, so what the next prompt asks for is what the stored state expects."""
    if data is not None:
        await fsm.set_data(data)
    if update:
        await fsm.update_data(update)
    if state is None:
        await fsm.clear()
    elif not isinstance(state, _Keep):
        await fsm.set_state(state)
    await commit()


async def prompt(
    bot: Bot,
    fsm: FSMContext,
    *,
    chat_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    state: State | _Keep | None = KEEP,
    data: dict[str, Any] | None = None,
    update: dict[str, Any] | None = None,
) -> Message:
    """Set the state and data, commit, then send the prompt for it."""
    await advance(fsm, state, data=data, update=update)
    return await bot.send_message(chat_id=chat_id, text=text, reply_markup=markup)
