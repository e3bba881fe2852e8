"""The outbox Notifier with aiogram: Telegram errors become RetryLater / PermanentFailure."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)

from bot import keyboards, render
from core.outbox.worker import PermanentFailure, RetryLater


class TelegramNotifier:
    """Sends outbox messages (HTML, split under the limit, buttons on the last part)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: int, text: str, buttons: list[list[dict[str, Any]]]) -> None:
        parts = render.split(text)
        markup = keyboards.from_rows(buttons)
        try:
            for index, part in enumerate(parts):
                last = index == len(parts) - 1
                await self.bot.send_message(
                    chat_id=chat_id, text=part, reply_markup=markup if last else None
                )
        except TelegramRetryAfter as error:
            raise RetryLater(float(error.retry_after), "Telegram 429") from error
        except (TelegramServerError, TelegramNetworkError) as error:
            raise RetryLater(None, f"Telegram: {error.message}") from error
        except TelegramUnauthorizedError as error:
            # A wrong or revoked token is an operator problem, not the recipient's: keep trying.
            raise RetryLater(None, f"Telegram: {error.message}") from error
        except (TelegramForbiddenError, TelegramNotFound) as error:
            raise PermanentFailure(f"Telegram: {error.message}") from error
        except TelegramBadRequest as error:
            # Malformed text or a chat that does not exist: retrying cannot help.
            raise PermanentFailure(f"Telegram: {error.message}") from error
