"""JSON log lines carry the request id; an offered X-Request-ID is kept only when it is a
plain token."""

from __future__ import annotations

import io
import json
import logging

from core.logs import ContextFilter, JsonFormatter, new_request_id, request_id


def test_json_lines_carry_the_request_id() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("troly.test.logs")
    logger.addHandler(handler)
    logger.propagate = False
    token = request_id.set("abc123")
    try:
        logger.warning("đã gửi %d tin", 3)
    finally:
        request_id.reset(token)
        logger.removeHandler(handler)
    entry = json.loads(stream.getvalue())
    assert entry["message"] == "đã gửi 3 tin" and entry["request_id"] == "abc123"
    assert entry["level"] == "WARNING" and entry["logger"] == "troly.test.logs"


def test_offered_ids_are_kept_only_when_plain() -> None:
    assert new_request_id("lb-7f3a.01") == "lb-7f3a.01"
    assert new_request_id("bad id\nwith newline") != "bad id\nwith newline"
    assert len(new_request_id(None)) == 16
