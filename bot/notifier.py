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
from aiogram.types import InlineKeyboardMarkup

from bot import keyboards, render
from core.outbox.buttons import Rows
from core.outbox.worker import PermanentFailure, RetryLater

CAPTION_CHARS = 1024  # Telegram's limit for a photo or document caption


class TelegramNotifier:
    """Sends outbox messages (HTML, split under the limit, buttons on the last part), and
    photos or documents (by Telegram file id) with the text as their caption."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(
        self,
        chat_id: int,
        text: str,
        buttons: Rows,
        media: dict[str, Any] | None = None,
    ) -> None:
        markup = keyboards.from_rows(buttons)
        try:
            if media is not None:
                await self._send_file(chat_id, text, media, markup)
                return
            parts = render.split(text)
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

    async def _send_file(
        self,
        chat_id: int,
        caption: str,
        media: dict[str, Any],
        markup: InlineKeyboardMarkup | None,
    ) -> None:
        caption = render.split(caption, CAPTION_CHARS)[0]
        file_id = str(media["file_id"])
        if media.get("kind") == "photo":
            await self.bot.send_photo(
                chat_id=chat_id, photo=file_id, caption=caption, reply_markup=markup
            )
        else:
            await self.bot.send_document(
                chat_id=chat_id, document=file_id, caption=caption, reply_markup=markup
            )
