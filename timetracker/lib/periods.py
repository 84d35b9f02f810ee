"""Turning period names like `prev_month` or `20240101..20240331` into datetime ranges."""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from timetracker.lib.dates import local_midnight, localdate, week_first_day, zone

PERIOD_CHOICES = [
    ("today", "Today"),
    ("yesterday", "Yesterday"),
    ("this_week", "This week"),
    ("prev_week", "Previous week"),
    ("next_week", "Next week"),
    ("this_month", "This month"),
    ("prev_month", "Previous month"),
    ("next_month", "Next month"),
    ("this_quarter", "This quarter"),
    ("prev_quarter", "Previous quarter"),
    ("next_quarter", "Next quarter"),
    ("this_year", "This year"),
    ("prev_year", "Previous year"),
    ("next_year", "Next year"),
]
_ACCEPTED = ", ".join(value for value, _ in PERIOD_CHOICES) + (
    ", YYYYMM, YYYYMMDD, YYYYMM..YYYYMM or YYYYMMDD..YYYYMMDD"
)
_OFFSETS = {"prev": -1, "this": 0, "next": 1}
_MONTH = re.compile(r"([0-9]{4})([0-9]{2})")
_DAY = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")


def _fail(text: object, reason: str) -> ValueError:
    shown = f'"{text}"' if isinstance(text, str) else repr(text)
    return ValueError(f"Cannot read {shown} as a period: {reason}. Accepted: {_ACCEPTED}")


def _add_months(year: int, month: int, months: int) -> date:
    index = year * 12 + (month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def _named(name: str, today: date, week_start: int) -> tuple[date, date] | None:
    """First day and the day after the last day, or None if `name` is not a period name."""
    if name == "today":
        return today, today + timedelta(days=1)
    if name == "yesterday":
        return today - timedelta(days=1), today
    prefix, _, unit = name.partition("_")
    if prefix not in _OFFSETS:
        return None
    offset = _OFFSETS[prefix]
    if unit == "week":
        start = week_first_day(today, week_start) + timedelta(weeks=offset)
        return start, start + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}.get(unit)
    if months is None:
        return None
    # Months since the start of the year, floored to the unit: the unit's first month.
    first_month = (today.month - 1) // months * months + 1
    start = _add_months(today.year, first_month, offset * months)
    return start, _add_months(start.year, start.month, months)


def _explicit(part: str, text: str) -> tuple[date, date, str] | None:
    """The days covered by one `YYYYMM` or `YYYYMMDD`, plus which of the two forms it was."""
    try:
        if match := _DAY.fullmatch(part):
            day = date(*map(int, match.groups()))
            return day, day + timedelta(days=1), "YYYYMMDD"
        if match := _MONTH.fullmatch(part):
            start = date(int(match[1]), int(match[2]), 1)
            return start, _add_months(start.year, start.month, 1), "YYYYMM"
    except (ValueError, OverflowError):
        raise _fail(text, f'"{part}" is not a valid date') from None
    return None


def _days(text: str, today: date, week_start: int) -> tuple[date, date]:
    name = text.strip().lower()
    if not name:
        raise _fail(text, "it is empty")
    first, sep, last = name.partition("..")
    if not sep:
        try:
            named = _named(name, today, week_start)
        except (ValueError, OverflowError):
            raise _fail(text, "it falls outside the supported dates") from None
        days = named or _explicit(name, text)
        if days is None:
            raise _fail(text, f'unknown period "{name}"')
        return days[0], days[1]
    start, end = _explicit(first, text), _explicit(last, text)
    if start is None or end is None:
        raise _fail(text, f'"{first if start is None else last}" is neither YYYYMM nor YYYYMMDD')
    if start[2] != end[2]:
        raise _fail(text, f'"{first}" and "{last}" must both be months or both be days')
    if start[0] > end[0]:
        raise _fail(text, f'the range is reversed: "{first}" comes after "{last}"')
    return start[0], end[1]


def resolve_period(
    text: str, *, tz: ZoneInfo | str, today: date | None = None, week_start: int = 0
) -> tuple[datetime, datetime]:
    """Aware `(start, end)` in `tz`, both local midnights; `end` is exclusive."""
    tz = zone(tz)
    if not isinstance(text, str):
        raise _fail(text, f"expected text, got {type(text).__name__}")
    if type(week_start) is not int or not 0 <= week_start <= 6:
        raise ValueError(f'Invalid week start "{week_start}": use 0 (Monday) to 6 (Sunday)')
    if today is None:
        today = localdate(tz=tz)
    elif isinstance(today, datetime) or not isinstance(today, date):
        # A datetime would carry a time and zone of its own that this function would silently drop.
        raise ValueError(f"Invalid today {today!r}: expected a date")
    try:
        first, after_last = _days(text, today, week_start)
        return local_midnight(first, tz), local_midnight(after_last, tz)
    except OverflowError:
        raise _fail(text, "it falls outside the supported dates") from None
