"""Local time as people read it: the deployment's time zone (TROLY_TIMEZONE) and the one
date-and-time format of tables and lists. Instants are stored in UTC and shown through here."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from core.config import get_settings

DATE_TIME = "%d/%m/%Y %H:%M"


def zone() -> ZoneInfo:
    """The deployment's time zone."""
    return ZoneInfo(get_settings().timezone)


def local(value: datetime | None, fmt: str = DATE_TIME) -> str:
    """A stored instant in local time ("—" when there is none); naive values are UTC."""
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone()).strftime(fmt)
