from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import STEADY_NOW
from timetracker.lib.dates import (
    FIRST_YEAR,
    LAST_YEAR,
    NonexistentTime,
    add_elapsed,
    check_supported,
    day_bounds,
    elapsed_seconds,
    local_midnight,
    local_moment,
    localdate,
    month_bounds,
    week_bounds,
    week_first_day,
    zone,
)

AMS = ZoneInfo("Europe/Amsterdam")
NYC = ZoneInfo("America/New_York")
# Havana springs forward at midnight, so 2026-03-08 has no 00:00 at all.
HAVANA = ZoneInfo("America/Havana")
HOUR = 3600

zones = st.sampled_from(
    [
        "Europe/Amsterdam",
        "America/New_York",
        "America/Havana",
        "America/Santiago",
        "Asia/Beirut",
        "Australia/Lord_Howe",  # half-hour DST
        "Pacific/Apia",  # skipped 2011-12-30 entirely
        "Asia/Kolkata",
        "UTC",
    ]
).map(ZoneInfo)
# Random days rarely hit a switch, so each zone's switch days are drawn often on purpose.
SWITCHES = [
    *[("Europe/Amsterdam", date(2026, 3, 29)), ("Europe/Amsterdam", date(2026, 10, 25))],
    *[("America/New_York", date(2026, 3, 8)), ("America/New_York", date(2026, 11, 1))],
    *[("America/Havana", date(2026, 3, 8)), ("America/Havana", date(2026, 11, 1))],  # midnight twice
    *[("America/Santiago", date(2026, 4, 4)), ("America/Santiago", date(2026, 9, 6))],
    *[("Asia/Beirut", date(2026, 3, 29)), ("Asia/Beirut", date(2026, 10, 24))],
    *[("Australia/Lord_Howe", date(2026, 4, 5)), ("Australia/Lord_Howe", date(2026, 10, 4))],
    *[("Pacific/Apia", date(2011, 12, 29)), ("Pacific/Apia", date(2011, 12, 30))],
]
days_in_zones = st.one_of(
    st.tuples(st.dates(min_value=date(FIRST_YEAR, 1, 1), max_value=date(LAST_YEAR, 12, 31)), zones),
    st.sampled_from([(day, ZoneInfo(name)) for name, day in SWITCHES]),
)
# Switches happen around midnight or in the small hours; bias the clock there too.
clocks = st.one_of(st.times(), st.times(max_value=time(3, 59)), st.times(min_value=time(22)))
week_starts = st.integers(min_value=0, max_value=6)


def wall(moment, tz):
    # Through UTC, so a datetime already in `tz` is not returned as it was built.
    return moment.astimezone(UTC).astimezone(tz).replace(tzinfo=None)


def hours(start, end):
    return elapsed_seconds(start, end) / HOUR


@pytest.mark.parametrize(
    ("tz", "day", "length"),
    [
        (AMS, date(2026, 3, 29), 23),
        (AMS, date(2026, 10, 25), 25),
        (AMS, date(2026, 11, 18), 24),
        (NYC, date(2026, 3, 8), 23),
        (NYC, date(2026, 11, 1), 25),
        (HAVANA, date(2026, 3, 8), 23),
    ],
)
def test_switch_days_are_23_or_25_hours_long(tz, day, length):
    start, end = day_bounds(day, tz)
    assert hours(start, end) == length
    assert start.tzinfo is end.tzinfo is tz


def test_a_day_whose_midnight_is_skipped_starts_when_the_clocks_jump():
    start, end = day_bounds(date(2026, 3, 8), HAVANA)
    assert start == datetime(2026, 3, 8, 5, tzinfo=UTC)
    assert (start.time(), start.utcoffset()) == (time(1), timedelta(hours=-4))
    assert end.time() == time(0)
    # Django's make_aware(combine(day, time.min)) gives the same instant but labels it 00:00-05:00, an hour
    # that never showed on a clock in Havana that day.
    assert local_midnight(date(2026, 3, 8), HAVANA).isoformat() == "2026-03-08T01:00:00-04:00"


def test_a_day_skipped_entirely_has_no_length():
    # Samoa crossed the date line: 29 Dec 2011 23:59:59 was followed by 31 Dec 00:00.
    start, end = day_bounds(date(2011, 12, 30), "Pacific/Apia")
    assert start == end == local_midnight(date(2011, 12, 31), "Pacific/Apia")


def test_midnight_on_a_normal_day_is_plain_midnight():
    assert local_midnight(date(2026, 11, 18), AMS) == datetime(2026, 11, 18, tzinfo=AMS)
    assert local_midnight(date(2026, 11, 18), "UTC") == datetime(2026, 11, 18, tzinfo=UTC)


@pytest.mark.parametrize(
    ("week_start", "first"),
    # 2026-03-29 is the Sunday Amsterdam springs forward.
    [(0, date(2026, 3, 23)), (6, date(2026, 3, 29)), (2, date(2026, 3, 25))],
)
def test_week_first_day_follows_the_week_start(week_start, first):
    assert week_first_day(date(2026, 3, 29), week_start) == first
    assert week_first_day(first, week_start) == first


@pytest.mark.parametrize(
    ("tz", "day", "week_start", "first", "length"),
    [
        (AMS, date(2026, 3, 29), 0, date(2026, 3, 23), 7 * 24 - 1),
        (AMS, date(2026, 3, 29), 6, date(2026, 3, 29), 7 * 24 - 1),
        (AMS, date(2026, 3, 28), 6, date(2026, 3, 22), 7 * 24),
        (AMS, date(2026, 10, 25), 0, date(2026, 10, 19), 7 * 24 + 1),
        (NYC, date(2026, 11, 1), 6, date(2026, 11, 1), 7 * 24 + 1),
        (HAVANA, date(2026, 3, 8), 6, date(2026, 3, 8), 7 * 24 - 1),
    ],
)
def test_week_bounds_across_switches(tz, day, week_start, first, length):
    start, end = week_bounds(day, week_start, tz)
    assert wall(start, tz).date() == first
    assert end == local_midnight(first + timedelta(days=7), tz)
    assert hours(start, end) == length


@pytest.mark.parametrize(
    ("tz", "day", "length"),
    [
        (AMS, date(2026, 3, 15), 31 * 24 - 1),
        (AMS, date(2026, 10, 31), 31 * 24 + 1),
        (AMS, date(2026, 2, 28), 28 * 24),
        (NYC, date(2026, 11, 30), 30 * 24 + 1),
        (AMS, date(2028, 2, 29), 29 * 24),
    ],
)
def test_month_bounds_across_switches(tz, day, length):
    start, end = month_bounds(day, tz)
    assert start == local_midnight(day.replace(day=1), tz)
    assert hours(start, end) == length


def test_year_bounds_of_the_supported_range():
    assert month_bounds(date(FIRST_YEAR, 1, 1), "UTC")[0] == datetime(1970, 1, 1, tzinfo=UTC)
    assert month_bounds(date(LAST_YEAR, 12, 31), "UTC")[1] == datetime(3000, 1, 1, tzinfo=UTC)
    assert week_bounds(date(LAST_YEAR, 12, 31), 0, AMS)[1].date() == date(3000, 1, 6)
    check_supported(date(1970, 1, 1))
    check_supported(datetime(2999, 12, 31, 23, 59))


@pytest.mark.parametrize("value", [date(1969, 12, 31), date(3000, 1, 1), datetime(1, 1, 1)])
def test_dates_outside_the_range_are_refused_by_name(value):
    with pytest.raises(ValueError, match=r"^Choose a start date between 1970 and 2999\.$"):
        check_supported(value, "start date")


def test_spring_gap_times_are_refused_with_the_jump_explained():
    with pytest.raises(NonexistentTime) as caught:
        local_moment(date(2026, 3, 29), time(2, 15), AMS)
    assert str(caught.value) == (
        "02:15 does not exist on Sun 29 Mar 2026 in Europe/Amsterdam: the clocks jump from 02:00 to 03:00."
    )
    with pytest.raises(NonexistentTime, match="00:00 does not exist on Sun 8 Mar 2026 in America/Havana: "):
        local_moment(date(2026, 3, 8), time(0), HAVANA)
    with pytest.raises(NonexistentTime, match="from 02:00 to 03:00"):
        local_moment(date(2026, 3, 8), time(2, 59, 59), NYC)
    assert isinstance(caught.value, ValueError)


def test_a_skipped_day_names_the_days_of_the_jump():
    with pytest.raises(NonexistentTime, match=r"the clocks jump from 00:00 to 00:00 on Sat 31 Dec 2011\.$"):
        local_moment(date(2011, 12, 30), time(12), "Pacific/Apia")


@pytest.mark.parametrize(
    ("tz", "day", "start_clock", "end_clock", "elapsed_hours"),
    [
        # The manual entry typed 01:30-03:30: only wall clocks say 2 h.
        (AMS, date(2026, 3, 29), time(1, 30), time(3, 30), 1),
        (AMS, date(2026, 10, 25), time(1, 30), time(3, 30), 3),
        (NYC, date(2026, 3, 8), time(1, 30), time(3, 30), 1),
        (NYC, date(2026, 11, 1), time(0, 30), time(2, 30), 3),
        # In New York 01:00-02:00 happens twice: the end is read after the start.
        (NYC, date(2026, 11, 1), time(1, 30), time(2, 30), 2),
        (NYC, date(2026, 11, 1), time(1, 30), time(1, 15), 0.75),
        (NYC, date(2026, 11, 1), time(1, 30), time(1, 30), 1),
        (NYC, date(2026, 11, 1), time(1, 15), time(1, 45), 0.5),
        (AMS, date(2026, 10, 25), time(2, 30), time(2, 15), 0.75),
    ],
)
def test_spans_on_switch_days_measure_real_time(tz, day, start_clock, end_clock, elapsed_hours):
    start = local_moment(day, start_clock, tz)
    end = local_moment(day, end_clock, tz, after=start)
    assert hours(start, end) == elapsed_hours


def test_an_ambiguous_time_is_summer_time_unless_read_after_it():
    first = local_moment(date(2026, 10, 25), time(2, 30), AMS)
    assert first.utcoffset() == timedelta(hours=2)
    assert local_moment(date(2026, 10, 25), time(2, 30), AMS, after=first).utcoffset() == timedelta(hours=1)
    earlier = datetime(2026, 10, 25, 0, 15, tzinfo=UTC)
    assert local_moment(date(2026, 10, 25), time(2, 30), AMS, after=earlier).utcoffset() == timedelta(hours=2)


def test_local_moment_is_stored_as_the_right_utc_instant():
    moment = local_moment(date(2026, 11, 18), time(9, 30), NYC)
    assert moment.astimezone(UTC) == datetime(2026, 11, 18, 14, 30, tzinfo=UTC)


def test_zone_takes_a_zoneinfo_a_name_or_the_current_zone():
    assert zone(AMS) is AMS
    assert zone("Europe/Amsterdam") == AMS
    assert zone(UTC) == ZoneInfo("UTC")
    with timezone.override(NYC):
        assert zone() == NYC
        assert local_midnight(date(2026, 11, 18)).tzinfo == NYC


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd"])
def test_unknown_zones_are_named(name):
    with pytest.raises(ValueError, match=f'Unknown time zone "{name}"'):
        zone(name)


def test_localdate_is_the_date_on_the_wall_in_the_zone():
    assert localdate(datetime(2026, 11, 18, 23, 30, tzinfo=UTC), AMS) == date(2026, 11, 19)
    assert localdate(datetime(2026, 11, 18, 3, tzinfo=UTC), NYC) == date(2026, 11, 17)
    # Pinned at STEADY_NOW: 14:00 UTC on the 18th is already the 19th in Kiritimati (UTC+14).
    assert localdate(tz="Pacific/Kiritimati") == date(2026, 11, 19)
    assert localdate(tz="UTC") == STEADY_NOW.date()


def test_naive_moments_and_datetimes_as_days_are_refused():
    with pytest.raises(ValueError, match="start must be an aware datetime"):
        elapsed_seconds(datetime(2026, 1, 1), datetime(2026, 1, 2, tzinfo=UTC))
    with pytest.raises(ValueError, match="after must be an aware datetime"):
        local_moment(date(2026, 10, 25), time(2, 30), AMS, after=datetime(2026, 10, 25, 2))
    with pytest.raises(TypeError, match="Expected a date, got the datetime"):
        day_bounds(datetime(2026, 11, 18, 23, tzinfo=UTC), AMS)
    with pytest.raises(ValueError, match="Invalid week start"):
        week_first_day(date(2026, 11, 18), 7)


def test_add_elapsed_counts_real_time_across_a_switch():
    start = datetime(2026, 3, 29, 1, 30, tzinfo=AMS)
    later = add_elapsed(start, 2 * HOUR)
    assert later.tzinfo is AMS
    assert later.replace(tzinfo=None) == datetime(2026, 3, 29, 4, 30)
    assert (
        elapsed_seconds(datetime(2026, 1, 1, tzinfo=UTC), datetime(2025, 12, 31, 23, 59, 59, 500, UTC)) == 0
    )
    assert elapsed_seconds(start, start - timedelta(seconds=1.5)) == -1


@given(days_in_zones)
def test_midnight_is_the_first_instant_of_the_day(day_in_zone):
    day, tz = day_in_zone
    midnight = local_midnight(day, tz)
    assert midnight.tzinfo is tz
    assert wall(midnight, tz) >= datetime.combine(day, time())
    assert wall(midnight.astimezone(UTC) - timedelta(seconds=1), tz) < datetime.combine(day, time())


@given(days_in_zones)
def test_days_touch_and_last_about_24_hours(day_in_zone):
    day, tz = day_in_zone
    start, end = day_bounds(day, tz)
    assert end == day_bounds(day + timedelta(days=1), tz)[0]
    if tz.key != "Pacific/Apia":
        assert 22 * HOUR <= elapsed_seconds(start, end) <= 26 * HOUR


@given(days_in_zones, week_starts)
def test_weeks_start_on_their_day_and_hold_the_day(day_in_zone, week_start):
    day, tz = day_in_zone
    start, end = week_bounds(day, week_start, tz)
    first = week_first_day(day, week_start)
    assert first.weekday() == week_start and 0 <= (day - first).days < 7
    assert start <= day_bounds(day, tz)[0] and day_bounds(day, tz)[1] <= end
    assert end == week_bounds(first + timedelta(days=7), week_start, tz)[0]


@given(days_in_zones)
def test_months_start_on_the_first_and_hold_the_day(day_in_zone):
    day, tz = day_in_zone
    start, end = month_bounds(day, tz)
    assert start == local_midnight(day.replace(day=1), tz)
    assert start <= day_bounds(day, tz)[0] and day_bounds(day, tz)[1] <= end
    assert wall(end, tz).day == 1 or tz.key == "Pacific/Apia"


@given(days_in_zones, clocks)
def test_local_moment_shows_the_typed_time_or_refuses_it(day_in_zone, clock):
    day, tz = day_in_zone
    try:
        moment = local_moment(day, clock, tz)
    except NonexistentTime:
        # Refused only inside a jump: one side reads earlier, the other later.
        naive = datetime.combine(day, clock)
        assert wall(naive.replace(tzinfo=tz, fold=0), tz) != naive
        return
    assert wall(moment, tz) == datetime.combine(day, clock)


@given(days_in_zones, clocks, clocks)
def test_an_end_read_after_the_start_is_its_earliest_later_occurrence(day_in_zone, start_clock, end_clock):
    day, tz = day_in_zone
    try:
        start = local_moment(day, start_clock, tz)
        end = local_moment(day, end_clock, tz, after=start)
    except NonexistentTime:
        return
    naive = datetime.combine(day, end_clock)
    occurrences = {naive.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1)}
    later = [moment for moment in occurrences if moment > start]
    assert end.astimezone(UTC) == (min(later) if later else max(occurrences))


@given(
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2999, 12, 30), timezones=zones),
    st.integers(min_value=-400 * 24 * HOUR, max_value=400 * 24 * HOUR),
)
def test_add_elapsed_and_elapsed_seconds_agree(moment, seconds):
    later = add_elapsed(moment, seconds)
    assert elapsed_seconds(moment, later) == seconds == -elapsed_seconds(later, moment)
    assert later.tzinfo is moment.tzinfo
