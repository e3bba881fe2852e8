"""Vietnamese working time: office hours Monday–Friday, minus a lunch break and public holidays.

Pure functions over aware datetimes; every deadline in the queue (and initiative evaluation)
is computed here. Results are returned in UTC.

Public holidays come from the `holidays` package (Vietnam's days off, including Tết, days
moved off a weekend and the substituted days off the government announces), for the years
around today. TROLY_HOLIDAYS_FILE overrides it: `YYYY-MM-DD` adds a day off, `-YYYY-MM-DD`
removes one. Without the package the built-in 2025–2027 list is used, and `troly doctor`
warns when the calendar is about to run out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from core.config import Settings

# Public holidays on which public offices close, 2025–2027: New Year, Tết (the announced
# weekday closures), Hùng Kings' day, 30/4 + 1/5, National Day. Days falling on a weekend are
# replaced by the following working day, as the Labour Code requires. 2027 Tết days follow the
# usual pattern and must be checked against the government's yearly announcement: provinces
# can override the list with TROLY_HOLIDAYS_FILE.
BUILTIN_HOLIDAYS: frozenset[date] = frozenset(
    date.fromisoformat(d)
    for d in (
        # 2025
        "2025-01-01",
        "2025-01-27", "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31",  # Tết Ất Tỵ
        "2025-04-07",  # Giỗ Tổ Hùng Vương (10/3 âm lịch)
        "2025-04-30", "2025-05-01", "2025-05-02",  # 02/5 swapped with Saturday 26/4
        "2025-09-01", "2025-09-02",
        # 2026
        "2026-01-01", "2026-01-02",
        "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20",  # Tết Bính Ngọ
        "2026-04-27",  # Giỗ Tổ 26/4 is a Sunday -> Monday
        "2026-04-30", "2026-05-01",
        "2026-08-31",  # substituted day off (worked on Saturday 22/8)
        "2026-09-01", "2026-09-02",
        "2026-11-24",  # Ngày Văn hóa Việt Nam
        # 2027
        "2027-01-01",
        "2027-02-04", "2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10",  # Tết Đinh Mùi
        "2027-04-16",  # Giỗ Tổ Hùng Vương
        "2027-04-30", "2027-05-03",  # 1/5 is a Saturday -> Monday
        "2027-09-02", "2027-09-03",
        "2027-11-24",  # Ngày Văn hóa Việt Nam
    )
)  # fmt: skip
BUILTIN_UNTIL = date(2027, 12, 31)
# Years the package is asked for, around the current year (deadlines rarely span more).
YEARS_BEHIND, YEARS_AHEAD = 1, 2
# `troly doctor` warns when the calendar ends sooner than this.
WARN_DAYS = 180

log = logging.getLogger(__name__)


def package_holidays(years: range) -> frozenset[date] | None:
    """Vietnam's public days off for `years` from the `holidays` package (None without it)."""
    try:
        import holidays
    except ImportError:
        return None
    return frozenset(holidays.country_holidays("VN", years=years, categories=("public",)))


def base_holidays(today: date) -> tuple[frozenset[date], date]:
    """Days off around `today` and the last day they cover: the package, else the built-in."""
    years = range(today.year - YEARS_BEHIND, today.year + YEARS_AHEAD + 1)
    days = package_holidays(years)
    if days is None:
        log.warning("the holidays package is missing: using the built-in 2025–2027 holidays")
        return BUILTIN_HOLIDAYS, BUILTIN_UNTIL
    return days, date(years[-1], 12, 31)


def _clock(value: str) -> time | None:
    return time.fromisoformat(value) if value else None


def load_overrides(path: Path) -> tuple[frozenset[date], frozenset[date]]:
    """The holidays file: days it adds (`YYYY-MM-DD`) and days it removes (`-YYYY-MM-DD`), one
    a line; blank lines and `#` comments are ignored."""
    added: set[date] = set()
    removed: set[date] = set()
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("-"):
            removed.add(date.fromisoformat(line[1:].strip()))
        elif line:
            added.add(date.fromisoformat(line))
    return frozenset(added), frozenset(removed)


@dataclass(frozen=True)
class WorkCalendar:
    """Office hours in one time zone, an optional break, and the days offices are closed."""

    start: time = time(7, 30)
    end: time = time(17, 0)
    break_start: time | None = time(11, 30)
    break_end: time | None = time(12, 30)
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Ho_Chi_Minh"))
    holidays: frozenset[date] = BUILTIN_HOLIDAYS
    # The last day the holiday list is known for; past it only weekends are days off.
    until: date = BUILTIN_UNTIL

    @classmethod
    def from_settings(cls, settings: Settings, today: date | None = None) -> WorkCalendar:
        """The calendar configured for this deployment: the package's days off around today,
        with the holidays file's additions and removals."""
        tz = ZoneInfo(settings.timezone)
        holidays, until = base_holidays(today or datetime.now(tz).date())
        if settings.holidays_file:
            added, removed = load_overrides(settings.holidays_file)
            holidays = (holidays | added) - removed
            until = max([until, *added])
        return cls(
            start=time.fromisoformat(settings.office_start),
            end=time.fromisoformat(settings.office_end),
            break_start=_clock(settings.office_break_start),
            break_end=_clock(settings.office_break_end),
            tz=tz,
            holidays=holidays,
            until=until,
        )

    def is_working_day(self, day: date) -> bool:
        """Monday–Friday and not a public holiday."""
        return day.weekday() < 5 and day not in self.holidays

    def periods(self, day: date) -> list[tuple[datetime, datetime]]:
        """The office periods of one day as aware local datetimes (empty on days off)."""
        if not self.is_working_day(day):
            return []

        def at(t: time) -> datetime:
            return datetime.combine(day, t, tzinfo=self.tz)

        if self.break_start and self.break_end and self.start < self.break_start < self.end:
            return [(at(self.start), at(self.break_start)), (at(self.break_end), at(self.end))]
        return [(at(self.start), at(self.end))]

    def day_hours(self) -> float:
        """Working hours in one ordinary working day."""
        monday = date(2030, 1, 7)  # any Monday outside the holiday list
        return sum((b - a).total_seconds() for a, b in self.periods(monday)) / 3600


DEFAULT_CALENDAR = WorkCalendar()
# Safety bound: no real deadline needs more than a few years of scanning.
_MAX_DAYS = 3 * 366


def _periods_from(cal: WorkCalendar, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Office periods that end after `start`, clipped to begin no earlier than it."""
    local = start.astimezone(cal.tz)
    day = local.date()
    for _ in range(_MAX_DAYS):
        for a, b in cal.periods(day):
            if b > local:
                yield max(a, local), b
        day += timedelta(days=1)
    raise ValueError("working-time computation ran past the calendar bound")


def _require_aware(*values: datetime) -> None:
    if any(v.tzinfo is None for v in values):
        raise ValueError("working-time functions need timezone-aware datetimes")


def add_working_time(
    start: datetime, hours: float, calendar: WorkCalendar = DEFAULT_CALENDAR
) -> datetime:
    """The instant (UTC) when `hours` of office time have elapsed after `start`."""
    _require_aware(start)
    if hours < 0:
        raise ValueError("hours must not be negative")
    remaining = timedelta(hours=hours)
    for a, b in _periods_from(calendar, start):
        span = b - a
        if remaining <= span:
            return (a + remaining).astimezone(UTC)
        remaining -= span
    raise AssertionError("unreachable")  # _periods_from raises first


def working_time_between(
    a: datetime, b: datetime, calendar: WorkCalendar = DEFAULT_CALENDAR
) -> float:
    """Office hours between two instants (negative if `b` is before `a`)."""
    _require_aware(a, b)
    if b < a:
        return -working_time_between(b, a, calendar)
    total = 0.0
    end = b.astimezone(calendar.tz)
    for start, stop in _periods_from(calendar, a):
        if start >= end:
            break
        total += (min(stop, end) - start).total_seconds()
    return total / 3600


def deadline_marks(
    start: datetime, hours: float, calendar: WorkCalendar = DEFAULT_CALENDAR
) -> tuple[datetime, datetime, datetime]:
    """The 50 %, 80 % and 100 % instants of an SLA window starting at `start`."""
    return (
        add_working_time(start, hours * 0.5, calendar),
        add_working_time(start, hours * 0.8, calendar),
        add_working_time(start, hours, calendar),
    )


def working_days(days: Iterable[date], calendar: WorkCalendar = DEFAULT_CALENDAR) -> list[date]:
    """Keep only the working days of `days` (helper for reports and initiatives)."""
    return [d for d in days if calendar.is_working_day(d)]


def coverage_warning(calendar: WorkCalendar, today: date) -> str | None:
    """What `troly doctor` says when the holiday list ends within WARN_DAYS (None: fine)."""
    left = (calendar.until - today).days
    if left >= WARN_DAYS:
        return None
    if left < 0:
        state = f"đã hết từ {calendar.until:%d/%m/%Y}"
    else:
        state = f"chỉ còn đến {calendar.until:%d/%m/%Y}"
    return (
        f"Lịch ngày nghỉ lễ {state}: sau đó chỉ thứ Bảy, Chủ nhật được tính là ngày nghỉ. "
        "Cài hoặc cập nhật gói holidays, hoặc thêm ngày nghỉ vào TROLY_HOLIDAYS_FILE."
    )


_CACHE: dict[tuple[object, ...], WorkCalendar] = {}


def calendar_for(settings: Settings) -> WorkCalendar:
    """The deployment's calendar, cached (re-read when the holidays file changes)."""
    path = settings.holidays_file
    mtime = path.stat().st_mtime if path and path.exists() else None
    key = (
        settings.office_start,
        settings.office_end,
        settings.office_break_start,
        settings.office_break_end,
        settings.timezone,
        str(path),
        mtime,
        date.today().year,  # the package's years move with the calendar year
    )
    if key not in _CACHE:
        _CACHE[key] = WorkCalendar.from_settings(settings)
    return _CACHE[key]
