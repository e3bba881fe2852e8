"""Process logging: one line per record, text or JSON (TROLY_LOG_FORMAT=json), each carrying
the id of the HTTP request or Telegram update being handled (`request_id`).

What is logged at INFO never includes secrets or question text; ids and counts only.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

# The HTTP request ("X-Request-ID", or a generated one) or Telegram update ("tg-<update id>").
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def new_request_id(offered: str | None = None) -> str:
    """The caller's id when it is a plain token (a proxy's), else a fresh one."""
    if offered and _SAFE_ID.match(offered):
        return offered
    return uuid.uuid4().hex[:16]


class ContextFilter(logging.Filter):
    """Adds `request_id` to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id (and the error)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(log_format: str = "text", level: int = logging.INFO) -> None:
    """Route every logger (uvicorn's too, when it is given no config of its own) to stderr."""
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s")
        )
    logging.basicConfig(level=level, handlers=[handler], force=True)
