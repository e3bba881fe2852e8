"""Free text typed in a chat goes through the input checker every front shares (core.inputs):
control characters are refused, questions and answers have the same limits as the API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import Message, TelegramObject

from bot import texts
from bot.render import esc
from core.errors import DomainError
from core.inputs import LIMITS, check_text


def refusal(text: str, *, limit: int | None = None) -> str | None:
    """The reply refusing `text` (a control character, or longer than `limit`), else None."""
    try:
        check_text(text, limit=limit)
    except DomainError as exc:
        if "limit" in exc.details:
            return texts.TOO_LONG.format(length=exc.details["length"], limit=exc.details["limit"])
        return texts.ERROR_DOMAIN.format(message=esc(exc.message))
    return None


def long_text_refusal(text: str) -> str | None:
    """For a question or other free text: the one text limit (TROLY_MAX_TEXT_CHARS)."""
    return refusal(text, limit=LIMITS.text)


def answer_refusal(text: str) -> str | None:
    """For a supervisor's answer: the answer limit (TROLY_MAX_ANSWER_CHARS)."""
    return refusal(text, limit=LIMITS.answer)


class ControlCharacterGuard(BaseMiddleware):
    """Every message's text or caption is checked before any handler sees it, so no dialogue
    step (registration, captions, reasons, …) can store a control character; length limits
    stay with the handlers, which know whether a question or an answer is expected."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Message):
            text = event.text or event.caption
            if text and (problem := refusal(text)) is not None:
                await event.answer(problem)
                return None
        return await handler(event, data)
