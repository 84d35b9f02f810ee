from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timetracker.lib.dates import local_midnight
from timetracker.lib.periods import PERIOD_CHOICES, resolve_period

AMS = ZoneInfo("Europe/Amsterdam")
NAMES = [value for value, _ in PERIOD_CHOICES]
UNITS = ("week", "month", "quarter", "year")

days = st.dates(min_value=date(1971, 1, 1), max_value=date(2099, 12, 31))
zones = st.sampled_from(
    ["Europe/Amsterdam", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
)
week_starts = st.integers(min_value=0, max_value=6)


def local_days(text, tz=AMS, **kwargs):
    start, end = resolve_period(text, tz=tz, **kwargs)
    return start.date(), end.date()


def real_length(start, end):
    # Aware datetimes sharing a tzinfo subtract as wall clock times; UTC gives the elapsed time.
    return end.astimezone(UTC) - start.astimezone(UTC)


@pytest.mark.parametrize(
    ("name", "today", "first", "after_last"),
    [
        ("today", date(2024, 5, 15), date(2024, 5, 15), date(2024, 5, 16)),
        ("yesterday", date(2024, 1, 1), date(2023, 12, 31), date(2024, 1, 1)),
        ("this_week", date(2024, 5, 15), date(2024, 5, 13), date(2024, 5, 20)),
        ("prev_week", date(2024, 5, 15), date(2024, 5, 6), date(2024, 5, 13)),
        ("next_week", date(2024, 12, 31), date(2025, 1, 6), date(2025, 1, 13)),
        ("this_month", date(2024, 2, 29), date(2024, 2, 1), date(2024, 3, 1)),
        ("prev_month", date(2024, 1, 10), date(2023, 12, 1), date(2024, 1, 1)),
        ("next_month", date(2024, 12, 31), date(2025, 1, 1), date(2025, 2, 1)),
        ("this_quarter", date(2024, 5, 15), date(2024, 4, 1), date(2024, 7, 1)),
        ("prev_quarter", date(2024, 2, 10), date(2023, 10, 1), date(2024, 1, 1)),
        ("next_quarter", date(2024, 11, 10), date(2025, 1, 1), date(2025, 4, 1)),
        ("this_year", date(2024, 5, 15), date(2024, 1, 1), date(2025, 1, 1)),
        ("prev_year", date(2024, 1, 1), date(2023, 1, 1), date(2024, 1, 1)),
        ("next_year", date(2024, 12, 31), date(2025, 1, 1), date(2026, 1, 1)),
    ],
)
def test_named_periods(name, today, first, after_last):
    assert local_days(name, today=today) == (first, after_last)


def test_every_choice_resolves_and_has_a_label():
    assert len(NAMES) == len(set(NAMES)) == 14
    for name, label in PERIOD_CHOICES:
        assert label
        resolve_period(name, tz=AMS, today=date(2024, 5, 15))


def test_choice_labels_read_naturally():
    labels = dict(PERIOD_CHOICES)
    assert labels["this_month"] == "This month"
    assert labels["prev_quarter"] == "Previous quarter"


@pytest.mark.parametrize(
    ("week_start", "first"),
    [(0, date(2024, 5, 13)), (6, date(2024, 5, 12)), (2, date(2024, 5, 15)), (3, date(2024, 5, 9))],
)
def test_weeks_begin_on_the_configured_day(week_start, first):
    # 2024-05-15 is a Wednesday.
    assert local_days("this_week", today=date(2024, 5, 15), week_start=week_start) == (
        first,
        first + timedelta(days=7),
    )


@pytest.mark.parametrize(
    ("text", "first", "after_last"),
    [
        ("202401..202403", date(2024, 1, 1), date(2024, 4, 1)),
        ("202311..202402", date(2023, 11, 1), date(2024, 3, 1)),
        ("202405..202405", date(2024, 5, 1), date(2024, 6, 1)),
        ("20240110..20240120", date(2024, 1, 10), date(2024, 1, 21)),
        ("20241231..20241231", date(2024, 12, 31), date(2025, 1, 1)),
        ("202402", date(2024, 2, 1), date(2024, 3, 1)),
        ("20240229", date(2024, 2, 29), date(2024, 3, 1)),
        ("  This_Month ", date(2024, 5, 1), date(2024, 6, 1)),
    ],
)
def test_explicit_months_and_days_are_inclusive(text, first, after_last):
    assert local_days(text, today=date(2024, 5, 15)) == (first, after_last)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("last_month", 'unknown period "last_month"'),
        ("this_decade", 'unknown period "this_decade"'),
        ("", "it is empty"),
        ("20240230", '"20240230" is not a valid date'),
        ("202413", '"202413" is not a valid date'),
        ("20240101..20240230", '"20240230" is not a valid date'),
        ("202403..202401", 'reversed: "202403" comes after "202401"'),
        ("20240105..20240101", 'reversed: "20240105" comes after "20240101"'),
        ("202401..20240105", "must both be months or both be days"),
        ("2024..202401", '"2024" is neither YYYYMM nor YYYYMMDD'),
        ("202401..", '"" is neither YYYYMM nor YYYYMMDD'),
    ],
)
def test_bad_periods_name_the_bad_part_and_list_what_is_accepted(text, problem):
    with pytest.raises(ValueError) as caught:
        resolve_period(text, tz=AMS, today=date(2024, 5, 15))
    message = str(caught.value)
    assert f'Cannot read "{text}" as a period' in message
    assert problem in message
    assert "Accepted: today, yesterday, this_week" in message
    assert "YYYYMMDD..YYYYMMDD" in message


def test_rejects_unknown_time_zone():
    with pytest.raises(ValueError, match='Unknown time zone "Mars/Olympus"'):
        resolve_period("today", tz="Mars/Olympus")


@pytest.mark.parametrize("week_start", [-1, 7, "0"])
def test_rejects_bad_week_start(week_start):
    with pytest.raises(ValueError, match="Invalid week start"):
        resolve_period("this_week", tz=AMS, today=date(2024, 5, 15), week_start=week_start)


def test_rejects_a_datetime_as_today():
    with pytest.raises(ValueError, match="expected a date"):
        resolve_period("today", tz=AMS, today=datetime(2024, 5, 15, 23, 30))


def test_rejects_periods_beyond_the_calendar():
    with pytest.raises(ValueError, match="outside the supported dates"):
        resolve_period("next_year", tz=AMS, today=date(9999, 6, 1))


def test_accepts_zone_name_or_zoneinfo_and_returns_datetimes_in_that_zone():
    start, end = resolve_period("20240515", tz="America/New_York")
    assert start.tzinfo == ZoneInfo("America/New_York") == end.tzinfo
    assert start.astimezone(UTC) == datetime(2024, 5, 15, 4, tzinfo=UTC)
    assert resolve_period("20240515", tz=ZoneInfo("America/New_York")) == (start, end)


def test_today_defaults_to_the_current_date_in_the_zone():
    # Kiritimati (UTC+14) and Pago Pago (UTC-11) never share a date, so a UTC-based default fails one.
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        tz = ZoneInfo(zone)
        before = datetime.now(tz).date()
        start, _ = resolve_period("today", tz=tz)
        assert start.date() in (before, datetime.now(tz).date())


@pytest.mark.parametrize(
    ("day", "hours"),
    [("20240331", 23), ("20241027", 25), ("20240515", 24)],
)
def test_day_length_follows_daylight_saving_time(day, hours):
    start, end = resolve_period(day, tz=AMS)
    assert real_length(start, end) == timedelta(hours=hours)
    assert start.time() == end.time() == time(0)


def test_month_containing_the_spring_change_is_an_hour_short():
    start, end = resolve_period("202403", tz=AMS)
    assert real_length(start, end) == timedelta(days=31) - timedelta(hours=1)
    assert end.utcoffset() == timedelta(hours=2)


def test_a_day_whose_midnight_is_skipped_starts_at_its_first_real_instant():
    # Brazil moved clocks from 00:00 to 01:00 on 2018-11-04.
    start, end = resolve_period("20181104", tz="America/Sao_Paulo")
    assert start.time() == time(1)
    assert real_length(start, end) == timedelta(hours=23)


@given(st.sampled_from(NAMES), days, zones, week_starts)
def test_named_periods_start_before_they_end_at_local_midnights(name, today, zone, week_start):
    start, end = resolve_period(name, tz=zone, today=today, week_start=week_start)
    assert real_length(start, end) > timedelta(0)
    # A local midnight: 00:00, or where the clocks skip it (Australia/Lord_Howe, 2 Mar 1981) the first moment
    # that exists that day, as lib/dates builds it.
    assert start == local_midnight(start.date(), zone) and end == local_midnight(end.date(), zone)
    assert start.tzinfo == end.tzinfo == ZoneInfo(zone)


@given(st.sampled_from([*UNITS, "day"]), days, zones, week_starts)
def test_today_falls_in_every_this_period(unit, today, zone, week_start):
    name = "today" if unit == "day" else f"this_{unit}"
    start, end = local_days(name, tz=zone, today=today, week_start=week_start)
    assert start <= today < end


@given(st.sampled_from(UNITS), days, zones, week_starts)
def test_prev_this_and_next_periods_touch_without_gaps(unit, today, zone, week_start):
    kwargs = {"tz": zone, "today": today, "week_start": week_start}
    prev_start, prev_end = resolve_period(f"prev_{unit}", **kwargs)
    this_start, this_end = resolve_period(f"this_{unit}", **kwargs)
    next_start, next_end = resolve_period(f"next_{unit}", **kwargs)
    assert prev_start < prev_end == this_start < this_end == next_start < next_end


@given(days, zones)
def test_yesterday_ends_where_today_starts(today, zone):
    assert (
        resolve_period("yesterday", tz=zone, today=today)[1]
        == resolve_period("today", tz=zone, today=today)[0]
    )


@given(days, days)
def test_day_ranges_cover_both_ends(a, b):
    first, last = sorted((a, b))
    text = f"{first:%Y%m%d}..{last:%Y%m%d}"
    assert local_days(text) == (first, last + timedelta(days=1))
