import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timetracker.lib.rounding import INTERVALS, MODES, RoundingPolicy, round_seconds

seconds = st.integers(min_value=0, max_value=10_000 * 3600)
modes = st.sampled_from(MODES)
intervals = st.sampled_from(INTERVALS)


@pytest.mark.parametrize(
    ("seconds", "mode", "interval", "expected"),
    [
        (7 * 60, "nearest", 15, 0),
        (8 * 60, "nearest", 15, 15 * 60),
        (7 * 60 + 30, "nearest", 15, 15 * 60),  # exactly half way rounds up
        (7 * 60 + 29, "nearest", 15, 0),
        (1, "up", 15, 15 * 60),
        (15 * 60, "up", 15, 15 * 60),
        (29 * 60 + 59, "down", 15, 15 * 60),
        (61 * 60, "up", 60, 2 * 3600),
        (3 * 60, "nearest", 6, 6 * 60),
        (29, "nearest", 1, 0),
        (30, "nearest", 1, 60),
        (0, "up", 15, 0),
    ],
)
def test_round_seconds_examples(seconds, mode, interval, expected):
    assert round_seconds(seconds, mode, interval) == expected


def test_round_seconds_rejects_negative_seconds():
    with pytest.raises(ValueError, match='"-1" seconds: tracked time cannot be negative'):
        round_seconds(-1, "up", 15)


@pytest.mark.parametrize("value", [1.5, "60", None, True])
def test_round_seconds_rejects_non_integer_seconds(value):
    with pytest.raises(ValueError, match="expected whole seconds"):
        round_seconds(value, "up", 15)


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"mode": "sideways"}, 'Unknown rounding mode "sideways"'),
        ({"mode": "UP"}, 'Unknown rounding mode "UP"'),
        ({"interval_minutes": 7}, 'Unsupported rounding interval "7"'),
        ({"interval_minutes": 0}, 'Unsupported rounding interval "0"'),
        ({"interval_minutes": 15.0}, 'Unsupported rounding interval "15.0"'),
        ({"interval_minutes": True}, 'Unsupported rounding interval "True"'),
        ({"interval_minutes": "15"}, 'Unsupported rounding interval "15"'),
    ],
)
def test_policy_rejects_bad_mode_or_interval_even_when_disabled(kwargs, problem):
    with pytest.raises(ValueError, match=problem):
        RoundingPolicy(enabled=False, **kwargs)


def test_policy_is_immutable():
    policy = RoundingPolicy()
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.enabled = True


def test_default_policy_does_not_round():
    assert RoundingPolicy().apply(7 * 60) == 7 * 60


def test_enabled_policy_rounds_with_its_mode_and_interval():
    assert RoundingPolicy(enabled=True, mode="up", interval_minutes=6).apply(61) == 6 * 60


def test_up_policy_leaves_zero_at_zero():
    assert RoundingPolicy(enabled=True, mode="up", interval_minutes=60).apply(0) == 0


@pytest.mark.parametrize(
    ("policy", "text"),
    [
        (RoundingPolicy(), "No rounding"),
        (RoundingPolicy(enabled=False, mode="up", interval_minutes=30), "No rounding"),
        (RoundingPolicy(enabled=True, mode="up", interval_minutes=15), "Round up to 15 minutes"),
        (RoundingPolicy(enabled=True, mode="down", interval_minutes=6), "Round down to 6 minutes"),
        (
            RoundingPolicy(enabled=True, mode="nearest", interval_minutes=10),
            "Round to the nearest 10 minutes",
        ),
        (RoundingPolicy(enabled=True, mode="up", interval_minutes=1), "Round up to 1 minute"),
        (RoundingPolicy(enabled=True, mode="nearest", interval_minutes=60), "Round to the nearest 1 hour"),
    ],
)
def test_describe_tells_the_user_what_happens(policy, text):
    assert policy.describe() == text


@given(seconds, modes, intervals)
def test_result_is_a_multiple_of_the_interval(s, mode, interval):
    assert round_seconds(s, mode, interval) % (interval * 60) == 0


@given(seconds, intervals)
def test_up_never_loses_time_and_down_never_adds_time(s, interval):
    assert round_seconds(s, "up", interval) >= s
    assert round_seconds(s, "down", interval) <= s


@given(seconds, intervals)
def test_nearest_moves_at_most_half_an_interval(s, interval):
    assert abs(round_seconds(s, "nearest", interval) - s) <= interval * 60 / 2


@given(seconds, modes, intervals)
def test_rounding_twice_changes_nothing(s, mode, interval):
    once = round_seconds(s, mode, interval)
    assert round_seconds(once, mode, interval) == once


@given(seconds, seconds, modes, intervals)
def test_rounding_keeps_order(a, b, mode, interval):
    low, high = sorted((a, b))
    assert round_seconds(low, mode, interval) <= round_seconds(high, mode, interval)


@given(st.integers(), modes, intervals)
def test_disabled_policy_is_identity(s, mode, interval):
    assert RoundingPolicy(enabled=False, mode=mode, interval_minutes=interval).apply(s) == s


@given(seconds, modes, intervals)
def test_enabled_policy_matches_round_seconds(s, mode, interval):
    policy = RoundingPolicy(enabled=True, mode=mode, interval_minutes=interval)
    assert policy.apply(s) == round_seconds(s, mode, interval)
