"""Local days, weeks and months as aware datetimes, safe across DST switches, and the supported date range.

Aware datetimes that share a tzinfo subtract and compare on the wall clock, so a span across a DST switch
comes out an hour wrong. Everything here that measures or compares real time goes through UTC.
"""

from bisect import bisect_left
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.utils import timezone

FIRST_YEAR, LAST_YEAR = 1970, 2999
_SECOND = timedelta(seconds=1)


class NonexistentTime(ValueError):
    """A wall-clock time that a forward DST jump skips on that day."""


def zone(tz: ZoneInfo | str | None = None) -> ZoneInfo:
    """`tz` as a ZoneInfo: a ZoneInfo, a zone name, or None for the current (the user's) time zone."""
    if tz is None:
        tz = timezone.get_current_timezone()
    if isinstance(tz, ZoneInfo):
        return tz
    if tz is UTC:
        return ZoneInfo("UTC")
    if isinstance(tz, tzinfo):
        # A fixed offset has no name and no DST rules; nothing here could reason about its days.
        raise ValueError(f'Unsupported time zone "{tz}": use a zone name such as "Europe/Amsterdam"')
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f'Unknown time zone "{tz}"') from None


@cache
def zone_choices() -> list[tuple[str, str]]:
    """Every zone name as a form choice, "America/New_York" shown as "America/New York"."""
    return [(name, name.replace("_", " ")) for name in sorted(available_timezones())]


def validate_zone_name(name: str) -> None:
    """A model field validator: a zone name `zone()` knows."""
    from django.core.exceptions import ValidationError

    try:
        zone(name)
    except ValueError as error:
        raise ValidationError(str(error)) from None


def day_or_none(text: str) -> date | None:
    """A query parameter's ISO date (`?week=2026-11-30`) inside the supported range, else None."""
    try:
        day = date.fromisoformat(text or "")
        check_supported(day)
    except (TypeError, ValueError):
        return None
    return day


def check_supported(value: date, what: str = "date") -> None:
    """Raise a ValueError unless `value` (a date or datetime) falls in FIRST_YEAR..LAST_YEAR."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"Choose a {what} between {FIRST_YEAR} and {LAST_YEAR}.")


def _wall(moment: datetime, tz: ZoneInfo) -> datetime:
    # Through UTC: astimezone() into the zone a datetime already has returns it unchanged, even in a gap.
    return moment.astimezone(UTC).astimezone(tz).replace(tzinfo=None, fold=0)


def _exists(naive: datetime, tz: ZoneInfo) -> bool:
    return _wall(naive.replace(tzinfo=tz), tz) == naive


def _jump(naive: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of the forward jump that skips the wall time `naive`."""
    # In a gap, fold=1 reads the time with the offset after the jump (an instant before it) and fold=0 with
    # the offset before (an instant at or after it). The jump is the first second whose wall time is past.
    low = naive.replace(tzinfo=tz, fold=1).astimezone(UTC).replace(microsecond=0)
    high = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    seconds = range(int((high - low) / _SECOND) + 1)
    step = bisect_left(seconds, True, key=lambda s: _wall(low + s * _SECOND, tz) >= naive)
    return low + step * _SECOND


def _day(day: date) -> date:
    if isinstance(day, datetime):
        # A datetime's own time and zone would be silently dropped; its local date is the caller's choice.
        raise TypeError(f"Expected a date, got the datetime {day!r}: pass localdate(moment) instead")
    return day


def local_midnight(day: date, tz: ZoneInfo | str | None = None) -> datetime:
    """The first real instant of `day` in `tz`, aware. Where a DST jump skips midnight, that is the jump."""
    tz = zone(tz)
    naive = datetime.combine(_day(day), time())
    if _exists(naive, tz):
        return naive.replace(tzinfo=tz)
    return _jump(naive, tz).astimezone(tz)


def day_bounds(day: date, tz: ZoneInfo | str | None = None) -> tuple[datetime, datetime]:
    """`[start, end)` of `day`: 23 or 25 real hours long on DST switch days."""
    return local_midnight(day, tz), local_midnight(_day(day) + timedelta(days=1), tz)


def week_first_day(day: date, week_start: int) -> date:
    """The first day of `day`'s week, with weeks starting on `week_start` (0 = Monday .. 6 = Sunday)."""
    if type(week_start) is not int or not 0 <= week_start <= 6:
        raise ValueError(f'Invalid week start "{week_start}": use 0 (Monday) to 6 (Sunday)')
    return _day(day) - timedelta(days=(day.weekday() - week_start) % 7)


def week_bounds(day: date, week_start: int, tz: ZoneInfo | str | None = None) -> tuple[datetime, datetime]:
    first = week_first_day(day, week_start)
    return local_midnight(first, tz), local_midnight(first + timedelta(days=7), tz)


def month_bounds(day: date, tz: ZoneInfo | str | None = None) -> tuple[datetime, datetime]:
    first = _day(day).replace(day=1)
    # Day 28 plus 4 always lands in the next month, whatever this month's length.
    after = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return local_midnight(first, tz), local_midnight(after, tz)


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        # astimezone() would read a naive value in the server's zone, which is never what is meant.
        raise ValueError(f"{name} must be an aware datetime, got {moment!r}")
    return moment


def _show(value: date, day: date | None = None) -> str:
    """`Sun 29 Mar 2026` for a date, `02:00` for a moment on `day` (with its date when on another day)."""
    text = f"{value:%a} {value.day} {value:%b %Y}"
    if day is None:
        return text
    return f"{value:%H:%M}" if value.date() == day else f"{value:%H:%M} on {text}"


def local_moment(
    day: date, clock: time, tz: ZoneInfo | str | None = None, *, after: datetime | None = None
) -> datetime:
    """`day` at the wall-clock time `clock` in `tz`, aware.

    A time skipped by a forward DST jump (spring) raises NonexistentTime. A time that happens twice (autumn)
    is read as its first occurrence (still summer time), unless `after` is given and that first occurrence
    is not later than `after`: then it is the second occurrence. So on the autumn day 01:30-02:30 reads as
    a real span when the end is read with `after=start`, while a start of 02:30 is the earlier 02:30.
    """
    tz = zone(tz)
    if clock.tzinfo is not None:
        raise ValueError(f"clock must be a wall-clock time without a zone, got {clock!r}")
    naive = datetime.combine(_day(day), clock.replace(fold=0))
    if not _exists(naive, tz):
        jump = _jump(naive, tz)
        before, past = _wall(jump - _SECOND, tz) + _SECOND, _wall(jump, tz)
        raise NonexistentTime(
            f"{clock:%H:%M} does not exist on {_show(day)} in {tz.key}: "
            f"the clocks jump from {_show(before, day)} to {_show(past, day)}."
        )
    first, second = naive.replace(tzinfo=tz), naive.replace(tzinfo=tz, fold=1)
    ambiguous = first.utcoffset() != second.utcoffset()
    # Compared in UTC: datetimes sharing a tzinfo compare on the wall clock and ignore fold.
    if ambiguous and after is not None and first.astimezone(UTC) <= _aware(after, "after").astimezone(UTC):
        return second
    return first


def elapsed_seconds(start: datetime, end: datetime) -> int:
    """Whole seconds of real time from `start` to `end` (negative if `end` is earlier), computed in UTC."""
    delta = _aware(end, "end").astimezone(UTC) - _aware(start, "start").astimezone(UTC)
    whole = abs(delta) // _SECOND
    return whole if delta >= timedelta() else -whole


def add_elapsed(moment: datetime, seconds: int) -> datetime:
    """`moment` plus `seconds` of real time, in `moment`'s time zone."""
    later = _aware(moment, "moment").astimezone(UTC) + timedelta(seconds=seconds)
    return later.astimezone(moment.tzinfo)


def localdate(moment: datetime | None = None, tz: ZoneInfo | str | None = None) -> date:
    """The date on the wall calendar in `tz` at the aware `moment` (now by default)."""
    moment = timezone.now() if moment is None else _aware(moment, "moment")
    return moment.astimezone(zone(tz)).date()


def agency_zone() -> ZoneInfo:
    """The agency's zone (settings.TIME_ZONE): bucket periods and the kept day totals are its days, so that
    everyone sees the same month whatever their own zone."""
    return ZoneInfo(settings.TIME_ZONE)


def is_agency_zone(tz: ZoneInfo | str | None = None) -> bool:
    """Whether days in `tz` (default: the active zone) are the agency's days, the ones the kept day totals
    (tasks.DayTotal) are filed on: only then can a viewer's day figures come from them."""
    return zone(tz).key == agency_zone().key


def agency_day(moment: datetime) -> date:
    """The agency's date of a moment: the day that files a time entry in a bucket period and a day total."""
    return _aware(moment, "moment").astimezone(agency_zone()).date()
