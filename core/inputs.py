"""The one home for checking what people type or send, shared by every front.

Text: NUL and other C0 control characters are refused (PostgreSQL cannot store NUL, XML and
spreadsheets cannot hold the others); multi-line text keeps newlines and tabs, with CR LF
folded to LF (browsers send textareas with CR LF). Questions and other free text share one
length limit, answers another, both from the settings (`configure`, called by AppContext).
Ids, dates and datetimes are range-checked so the database never sees a value it rejects,
and search words become LIKE patterns whose wildcards are literal.

`check_*` raise the core DomainError (422, a Vietnamese message) for the console and the
bot; the Annotated types below apply the same checks inside pydantic models and FastAPI
parameters, where a failure becomes the API's usual 422.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from annotated_types import Interval
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from core.config import Settings
from core.errors import DomainError, invalid

# Ids are INTEGER columns on PostgreSQL (SQLite allows 2^63-1; the smaller range holds for both).
MAX_ID = 2**31 - 1
YEAR_MIN, YEAR_MAX = 2000, 2100

_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_CONTROL_LINE = re.compile("[\x00-\x1f\x7f]")

CONTROL_REASON = "chứa ký tự điều khiển không hợp lệ (ví dụ ký tự NUL)"
TOO_LONG_REASON = "dài {length} ký tự, vượt giới hạn {limit} ký tự"
YEAR_REASON = f"năm phải trong khoảng {YEAR_MIN}-{YEAR_MAX}"


@dataclass
class InputLimits:
    """The process's limits; defaults are the settings' defaults until `configure` runs."""

    text: int = Settings.model_fields["max_text_chars"].default
    answer: int = Settings.model_fields["max_answer_chars"].default
    timezone: str = Settings.model_fields["timezone"].default


LIMITS = InputLimits()


def configure(settings: Settings) -> None:
    """Adopt this process's settings (every front builds an AppContext, which calls this)."""
    LIMITS.text = settings.max_text_chars
    LIMITS.answer = settings.max_answer_chars
    LIMITS.timezone = settings.timezone


def _refuse(reason: str, **details: object) -> DomainError:
    return invalid(f"Nội dung {reason}.", reason=reason, **details)


def check_text(value: str, *, limit: int | None = None, multiline: bool = True) -> str:
    """`value` with CR LF folded to LF; DomainError on control characters or over `limit`."""
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if (_CONTROL_MULTILINE if multiline else _CONTROL_LINE).search(value):
        raise _refuse(CONTROL_REASON)
    if limit is not None and len(value) > limit:
        reason = TOO_LONG_REASON.format(length=len(value), limit=limit)
        raise _refuse(reason, length=len(value), limit=limit)
    return value


def check_long_text(value: str) -> str:
    """A question or other free text (initiative sections, notes) under the one text limit."""
    return check_text(value, limit=LIMITS.text)


def check_answer(value: str) -> str:
    """A supervisor's answer under the answer limit."""
    return check_text(value, limit=LIMITS.answer)


def check_line(value: str) -> str:
    """A one-line value (title, name, topic, search words): no control characters at all."""
    return check_text(value, multiline=False)


def check_year(value: date) -> None:
    """DomainError for a date outside the years the product deals with."""
    if not YEAR_MIN <= value.year <= YEAR_MAX:
        raise invalid(f"Ngày không hợp lệ: {YEAR_REASON}.", reason=YEAR_REASON)


def local_datetime(value: datetime) -> datetime:
    """An aware datetime: a naive one is read in the configured timezone; years range-checked."""
    check_year(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(LIMITS.timezone))
    return value


# --- pydantic / FastAPI types ------------------------------------------------------------


def _pydantic(check: Callable[[Any], Any]) -> AfterValidator:
    """Run a core check inside pydantic; its DomainError becomes a validation error."""

    def validate(value: Any) -> Any:
        try:
            result = check(value)
        except DomainError as exc:
            reason = str(exc.details.get("reason", exc.message))
            raise PydanticCustomError("input_invalid", "{reason}", {"reason": reason}) from exc
        return value if result is None else result

    return AfterValidator(validate)


Id = Annotated[int, Interval(ge=1, le=MAX_ID)]
LongText = Annotated[str, _pydantic(check_long_text)]
AnswerText = Annotated[str, _pydantic(check_answer)]
# Multi-line text whose length the field itself bounds (a note, a legal basis).
Text = Annotated[str, _pydantic(check_text)]
Line = Annotated[str, _pydantic(check_line)]
Day = Annotated[date, _pydantic(check_year)]
LocalDateTime = Annotated[datetime, _pydantic(local_datetime)]


# --- LIKE searches --------------------------------------------------------------------------

LIKE_ESCAPE = "\\"


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its % and _ taken literally (pass
    `escape=LIKE_ESCAPE` to like/ilike)."""
    escaped = text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
    return "%" + escaped.replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_") + "%"
