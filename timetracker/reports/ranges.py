"""Report ranges: stored relative (`last_month`, `last_n_days:30`), resolved to absolute days when run.

A saved report or a share link follows "last month" as time goes on; every output prints the absolute days it
covered, so an e-mailed or printed report always says which dates it is about.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from timetracker.lib.dates import check_supported, local_midnight, localdate, zone
from timetracker.lib.periods import resolve_period

PRESETS = [
    ("today", "Today"),
    ("yesterday", "Yesterday"),
    ("this_week", "This week"),
    ("last_week", "Last week"),
    ("this_month", "This month"),
    ("last_month", "Last month"),
    ("this_quarter", "This quarter"),
    ("last_quarter", "Last quarter"),
    ("this_year", "This year"),
    ("last_year", "Last year"),
    ("year_to_date", "Year to date"),
    ("last_n_days:7", "Last 7 days"),
    ("last_n_days:30", "Last 30 days"),
    ("last_n_days:90", "Last 90 days"),
    ("last_n_days:365", "Last 365 days"),
    ("custom", "Custom dates"),
]
DEFAULT = "this_month"
ALL_TIME = "all"
MAX_DAYS = 3660
_LAST_N = re.compile(r"last_n_days:([0-9]{1,4})")
_CUSTOM = re.compile(r"custom:([0-9-]*)\.\.([0-9-]*)")


@dataclass(frozen=True)
class Period:
    """The days a report covers (inclusive; None = open-ended) and the aware half-open [start, end)."""

    first: date | None
    last: date | None
    start: datetime | None
    end: datetime | None

    def __str__(self):
        if self.first is None and self.last is None:
            return "All time"
        first = _show(self.first) if self.first else "the beginning"
        last = _show(self.last) if self.last else "now"
        return first if self.first == self.last else f"{first} to {last}"


def _show(day):
    return f"{day.day} {day:%b %Y}"


def custom(first: date | None, last: date | None) -> str:
    """The stored form of a fixed range: `custom:2026-01-01..2026-03-31` (either end may be left open)."""
    return f"custom:{first.isoformat() if first else ''}..{last.isoformat() if last else ''}"


def _read_day(text, whole):
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f'"{whole}": "{text}" is not a date like 2026-01-31.') from None
    check_supported(day)
    return day


def _days(text: str, today: date, week_start: int) -> tuple[date | None, date | None]:
    if text == ALL_TIME:
        return None, None
    if text == "year_to_date":
        return today.replace(month=1, day=1), today
    if match := _LAST_N.fullmatch(text):
        days = int(match[1])
        if not 1 <= days <= MAX_DAYS:
            raise ValueError(f'"{text}": the number of days must be between 1 and {MAX_DAYS}.')
        return today - timedelta(days=days - 1), today
    if match := _CUSTOM.fullmatch(text):
        first, last = _read_day(match[1], text), _read_day(match[2], text)
        if first and last and first > last:
            raise ValueError(f'"{text}": the end date comes before the start date.')
        return first, last
    # this_/last_ week, month, quarter and year, today and yesterday: lib/periods knows them as this_/prev_.
    name = "prev_" + text.removeprefix("last_") if text.startswith("last_") else text
    if name not in {"today", "yesterday"} and not name.startswith(("this_", "prev_")):
        raise ValueError(f'Unknown range "{text}".')
    try:
        start, end = resolve_period(name, tz="UTC", today=today, week_start=week_start)
    except ValueError:
        raise ValueError(f'Unknown range "{text}".') from None
    return start.date(), end.date() - timedelta(days=1)


def resolve(text: str, *, tz, week_start: int = 0, today: date | None = None) -> Period:
    """The absolute Period of a range in the time zone `tz` (the viewer's, or a schedule's)."""
    tz = zone(tz)
    today = today or localdate(tz=tz)
    first, last = _days(text.strip(), today, week_start)
    return Period(
        first=first,
        last=last,
        start=local_midnight(first, tz) if first else None,
        end=local_midnight(last + timedelta(days=1), tz) if last else None,
    )
