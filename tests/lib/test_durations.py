import pytest
from hypothesis import given
from hypothesis import strategies as st

from timetracker.lib.durations import MAX_SECONDS, format_duration, parse_duration

seconds_in_range = st.integers(min_value=0, max_value=MAX_SECONDS)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1:30", 5400),
        ("1:30:15", 5415),
        ("0:05", 300),
        ("0:00", 0),
        ("1h 30m", 5400),
        ("1h30m", 5400),
        ("2h", 7200),
        ("90m", 5400),
        ("45s", 45),
        ("1h 30m 15s", 5415),
        ("1.5", 5400),
        ("1,5", 5400),
        ("2", 7200),
        ("1.5h", 5400),
        ("1,5h", 5400),
        ("90 min", 5400),
        ("2 hrs", 7200),
        ("2 hours", 7200),
        ("1 hour", 3600),
        ("30 mins", 1800),
        ("30 minutes", 1800),
        ("20 sec", 20),
        ("  1H 30M  ", 5400),
        ("10000h", MAX_SECONDS),
    ],
)
def test_parse_duration_reads_common_forms(text, seconds):
    assert parse_duration(text) == seconds


def test_decimal_hours_round_to_the_nearest_second():
    # 0.0001 h is 0.36 s, 0.00015 h is 0.54 s: exact Decimal maths decides which way they go.
    assert parse_duration("0.0001") == 0
    assert parse_duration("0.00015") == 1
    assert parse_duration("0.333333") == 1200


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("-1:30", "negative"),
        ("-2h", "negative"),
        ("1:75", "minutes must be below 60"),
        ("1:30:60", "seconds must be below 60"),
        ("1:5", "two digits"),
        ("banana", "expected a form like"),
        ("1h30", "expected a form like"),
        ("1..5", "expected a form like"),
        ("5 parsecs", 'unknown unit "parsecs"'),
        ("1h 2h", "hours are given more than once"),
        ("10m 5min", "minutes are given more than once"),
        ("10001h", "more than 10,000 hours"),
        ("10000.001", "more than 10,000 hours"),
    ],
)
def test_parse_duration_rejects_bad_text_naming_the_problem_and_the_input(text, problem):
    with pytest.raises(ValueError, match="Cannot read") as caught:
        parse_duration(text)
    assert problem in str(caught.value)
    assert f'"{text}"' in str(caught.value)


def test_error_message_matches_the_documented_wording():
    with pytest.raises(ValueError) as caught:
        parse_duration("1:75")
    assert str(caught.value) == 'Cannot read "1:75" as a duration: minutes must be below 60'


@pytest.mark.parametrize("value", [None, 90, 1.5, b"1:30"])
def test_parse_duration_rejects_non_text_with_value_error(value):
    with pytest.raises(ValueError, match="expected text"):
        parse_duration(value)


@pytest.mark.parametrize(
    ("seconds", "hm", "clock", "decimal"),
    [
        (0, "0m", "0:00", "0.00"),
        (45 * 60, "45m", "0:45", "0.75"),
        (5 * 60, "5m", "0:05", "0.08"),
        (5400, "1h 30m", "1:30", "1.50"),
        (5459, "1h 30m", "1:30", "1.52"),
        (7200, "2h", "2:00", "2.00"),
        (7500, "2h 5m", "2:05", "2.08"),
        (12 * 3600, "12h", "12:00", "12.00"),
        (-5400, "-1h 30m", "-1:30", "-1.50"),
        (-300, "-5m", "-0:05", "-0.08"),
    ],
)
def test_format_duration_in_each_style(seconds, hm, clock, decimal):
    assert format_duration(seconds) == hm
    assert format_duration(seconds, "hm") == hm
    assert format_duration(seconds, "clock") == clock
    assert format_duration(seconds, "decimal") == decimal


def test_decimal_style_rounds_half_up():
    # 18 s is exactly 0.005 h.
    assert format_duration(18, "decimal") == "0.01"
    assert format_duration(17, "decimal") == "0.00"


def test_tiny_overrun_shows_as_zero_without_a_minus():
    assert format_duration(-10, "hm") == "0m"
    assert format_duration(-10, "clock") == "0:00"
    assert format_duration(-10, "decimal") == "0.00"


def test_format_duration_rejects_unknown_style():
    with pytest.raises(ValueError, match='Unknown duration style "minutes"'):
        format_duration(60, "minutes")


@pytest.mark.parametrize("value", [1.5, "60", None, True])
def test_format_duration_rejects_non_integer_seconds(value):
    with pytest.raises(ValueError, match="expected whole seconds"):
        format_duration(value)


@given(seconds_in_range)
def test_clock_format_reads_back_truncated_to_whole_minutes(seconds):
    assert parse_duration(format_duration(seconds, "clock")) == seconds // 60 * 60


@given(seconds_in_range)
def test_hm_format_reads_back_truncated_to_whole_minutes(seconds):
    assert parse_duration(format_duration(seconds, "hm")) == seconds // 60 * 60


@given(seconds_in_range)
def test_decimal_format_reads_back_within_half_a_hundredth_of_an_hour(seconds):
    assert abs(parse_duration(format_duration(seconds, "decimal")) - seconds) <= 18


@given(st.integers(min_value=1, max_value=MAX_SECONDS), st.sampled_from(["hm", "clock", "decimal"]))
def test_negative_seconds_format_as_the_positive_text_with_a_minus(seconds, style):
    positive = format_duration(seconds, style)
    expected = positive if positive in ("0m", "0:00", "0.00") else "-" + positive
    assert format_duration(-seconds, style) == expected


@given(st.text())
def test_parse_duration_raises_nothing_but_value_error(text):
    try:
        seconds = parse_duration(text)
    except ValueError:
        return
    assert 0 <= seconds <= MAX_SECONDS


@given(
    st.integers(min_value=0, max_value=999),
    st.integers(min_value=0, max_value=59),
    st.integers(min_value=0, max_value=59),
)
def test_unit_form_and_clock_form_agree(hours, minutes, seconds):
    clock = f"{hours}:{minutes:02d}:{seconds:02d}"
    assert parse_duration(f"{hours}h {minutes}m {seconds}s") == parse_duration(clock)
    assert parse_duration(clock) == hours * 3600 + minutes * 60 + seconds
