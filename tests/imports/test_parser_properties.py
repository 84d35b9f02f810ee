"""Property tests: the value readers give back what any export could have written."""

from datetime import datetime, time
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from timetracker.imports.parsers.base import hours_to_seconds, parse_clock, parse_date

moments = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2999, 12, 31))


@given(moments)
def test_every_date_reads_back_in_each_notation(moment):
    day = moment.date()
    assert parse_date(day.isoformat()) == day
    assert parse_date(f"{day.month}/{day.day}/{day.year}", "mdy") == day
    assert parse_date(f"{day.day:02d}/{day.month:02d}/{day.year}", "dmy") == day
    assert parse_date(f"{day.day:02d}.{day.month:02d}.{day.year}") == day


@given(st.times().map(lambda t: t.replace(microsecond=0)))
def test_every_clock_time_reads_back_in_24_and_12_hour_form(clock):
    assert parse_clock(clock.isoformat()) == clock
    assert parse_clock(clock.strftime("%I:%M:%S %p")) == clock
    assert parse_clock(clock.strftime("%-I:%M %p")) == time(clock.hour, clock.minute)


@given(st.decimals(min_value=0, max_value=9999, places=2))
def test_decimal_hours_read_the_same_with_a_point_or_a_comma(hours):
    expected = int((hours * 3600).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    assert hours_to_seconds(f"{hours:.2f}") == expected
    assert hours_to_seconds(f"{hours:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")) == expected
