"""Working-time arithmetic: office hours, lunch break, weekends, holidays, Tết, custom calendars."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.cases.calendar import (
    DEFAULT_CALENDAR,
    WorkCalendar,
    add_working_time,
    coverage_warning,
    deadline_marks,
    load_overrides,
    working_time_between,
)
from core.config import Settings

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VN)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (vn(2026, 11, 23, 10), 4, vn(2026, 11, 23, 15)),  # lunch 11:30-12:30 not counted
        (vn(2026, 11, 23, 7, 30), 8.5, vn(2026, 11, 23, 17)),  # one whole day
        (vn(2026, 11, 27, 15), 4, vn(2026, 11, 30, 9, 30)),  # Friday afternoon -> Monday
        (vn(2026, 11, 28, 9), 1, vn(2026, 11, 30, 8, 30)),  # Saturday counts nothing
        (vn(2026, 11, 25, 18), 1, vn(2026, 11, 26, 8, 30)),  # after hours -> next morning
        (vn(2026, 11, 25, 6), 1, vn(2026, 11, 25, 8, 30)),  # before opening
        (vn(2026, 11, 25, 12), 1, vn(2026, 11, 25, 13, 30)),  # during the break
        (vn(2026, 11, 23, 17), 1, vn(2026, 11, 25, 8, 30)),  # 24/11 Ngày Văn hóa Việt Nam
        (vn(2026, 8, 28, 16), 2, vn(2026, 9, 3, 8, 30)),  # 31/8 given in lieu, National Day
        (vn(2026, 2, 13, 16), 17, vn(2026, 2, 24, 16)),  # spans Tết Bính Ngọ and a weekend
        (vn(2026, 4, 24, 16, 30), 1, vn(2026, 4, 28, 8)),  # Giỗ Tổ moved to Monday 27/4
        (vn(2025, 12, 31, 16, 30), 1, vn(2026, 1, 5, 8)),  # New Year 1-2/1 then weekend
    ],
)
def test_add_working_time(start: datetime, hours: float, expected: datetime) -> None:
    due = add_working_time(start, hours)
    assert due == expected
    assert due.tzinfo is UTC


@pytest.mark.parametrize(
    ("a", "b", "hours"),
    [
        (vn(2026, 11, 23, 10), vn(2026, 11, 23, 15), 4.0),
        (vn(2026, 11, 28, 8), vn(2026, 11, 29, 20), 0.0),  # a weekend
        (vn(2026, 11, 27, 16), vn(2026, 11, 30, 8), 1.5),
        (vn(2026, 2, 13, 17), vn(2026, 2, 23, 7, 30), 0.0),  # the whole Tết closure
        (vn(2026, 11, 25, 18), vn(2026, 11, 25, 6), -8.5),  # reversed order is negative
    ],
)
def test_working_time_between(a: datetime, b: datetime, hours: float) -> None:
    assert working_time_between(a, b) == pytest.approx(hours)


def test_between_is_inverse_of_add_and_antisymmetric() -> None:
    start = vn(2026, 2, 10, 9, 17)
    for step in range(0, 60):
        hours = step * 0.75
        due = add_working_time(start, hours)
        assert working_time_between(start, due) == pytest.approx(hours)
        assert working_time_between(due, start) == pytest.approx(-hours)


def test_marks_are_ordered_and_at_fractions() -> None:
    start = vn(2026, 11, 26, 14)
    half, most, due = deadline_marks(start, 17)
    assert start < half < most < due
    assert working_time_between(start, half) == pytest.approx(8.5)
    assert working_time_between(start, most) == pytest.approx(13.6)


def test_tet_and_weekends_are_closed() -> None:
    for day in (date(2025, 1, 29), date(2026, 2, 17), date(2027, 2, 8), date(2026, 11, 28)):
        assert not DEFAULT_CALENDAR.is_working_day(day)
    assert DEFAULT_CALENDAR.is_working_day(date(2026, 2, 23))
    assert DEFAULT_CALENDAR.day_hours() == pytest.approx(8.5)


def test_calendar_from_settings_with_holidays_file(tmp_path: Path) -> None:
    holidays = tmp_path / "ngay-nghi.txt"
    holidays.write_text(
        "# ngày nghỉ riêng của tỉnh\n2026-11-25\n\n2026-11-26  # bù\n-2026-09-02\n", "utf-8"
    )
    assert load_overrides(holidays) == (
        {date(2026, 11, 25), date(2026, 11, 26)},
        {date(2026, 9, 2)},
    )
    settings = Settings(
        holidays_file=holidays,
        office_start="08:00",
        office_end="16:00",
        office_break_start="",
        office_break_end="",
    )
    cal = WorkCalendar.from_settings(settings, today=date(2026, 6, 1))
    assert cal.day_hours() == pytest.approx(8)
    # Monday 15:00 + 2h: one hour Monday; Tuesday is Ngày Văn hóa Việt Nam (from the package),
    # Wednesday and Thursday are the province's own days off (from the file).
    assert add_working_time(vn(2026, 11, 23, 15), 2, cal) == vn(2026, 11, 27, 9)
    # The file removes a day: 2 September is an ordinary day here; 31/8 stays a day off.
    assert cal.is_working_day(date(2026, 9, 2)) and not cal.is_working_day(date(2026, 8, 31))


def test_the_package_gives_substituted_days_and_doctor_warns_before_the_end() -> None:
    cal = WorkCalendar.from_settings(Settings(), today=date(2026, 6, 1))
    for day in (date(2026, 8, 31), date(2026, 11, 24), date(2028, 1, 26)):  # 2028: Tết
        assert not cal.is_working_day(day)
    assert cal.until == date(2028, 12, 31)
    assert coverage_warning(cal, date(2026, 6, 1)) is None
    warning = coverage_warning(cal, date(2028, 9, 1))
    assert warning and "chỉ còn đến 31/12/2028" in warning
    builtin = WorkCalendar()  # the fallback list without the package
    assert "đã hết" in (coverage_warning(builtin, date(2028, 2, 1)) or "")


def test_naive_and_negative_inputs_are_rejected() -> None:
    with pytest.raises(ValueError):
        add_working_time(datetime(2026, 1, 5, 9), 1)
    with pytest.raises(ValueError):
        add_working_time(vn(2026, 1, 5, 9), -1)
    assert add_working_time(vn(2026, 1, 5, 9), 0) == vn(2026, 1, 5, 9)
    assert vn(2026, 1, 5, 9) + timedelta(0) == add_working_time(vn(2026, 1, 5, 9), 0)
