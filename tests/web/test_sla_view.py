"""The queue's SLA colouring follows the 50/80/100% marks the queue service stores on a case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.cases.models import Case
from core.cases.queueview import sla_of

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _case(status: str = "new") -> Case:
    return Case(
        status=status,
        window_started_at=START,
        remind_50_at=START + timedelta(hours=4),
        remind_80_at=START + timedelta(hours=7),
        due_at=START + timedelta(hours=9),
    )


@pytest.mark.parametrize(
    ("hours", "state"),
    [
        (0, "ok"),
        (3.9, "ok"),
        (4, "warn"),
        (6.9, "warn"),
        (7, "danger"),
        (9, "overdue"),
        (30, "overdue"),
    ],
)
def test_state_follows_the_stored_marks(hours: float, state: str) -> None:
    assert sla_of(_case(), START + timedelta(hours=hours)).state == state


@pytest.mark.parametrize("status", ["answered", "closed", "withdrawn", "expired"])
def test_finished_cases_are_done_even_after_the_deadline(status: str) -> None:
    view = sla_of(_case(status), START + timedelta(hours=30))
    assert view.state == "done" and view.label == "đã xong"


def test_open_states_count_as_running() -> None:
    for status in ("new", "claimed", "forwarded"):
        assert sla_of(_case(status), START + timedelta(hours=8)).state == "danger"
