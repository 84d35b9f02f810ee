import pytest
from hypothesis import given
from hypothesis import strategies as st

from timetracker.lib.charts import bars


def test_the_tallest_bar_fills_the_height_and_others_scale():
    laid_out = bars([("Mon", 2), ("Tue", 4), ("Wed", 0)], width=300, height=100)
    assert [b.height for b in laid_out] == [50, 100, 0]
    assert [b.y for b in laid_out] == [50, 0, 100]
    assert [b.x for b in laid_out] == [0, 100, 200]


def test_no_points_no_bars_and_all_zero_is_flat():
    assert bars([]) == []
    assert {b.height for b in bars([("a", 0), ("b", 0)])} == {0}


def test_negative_values_are_refused():
    with pytest.raises(ValueError, match="cannot be negative"):
        bars([("a", -1)])


@given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=60))
def test_bars_stay_inside_the_chart(values):
    for bar in bars([(str(i), v) for i, v in enumerate(values)], width=600, height=160):
        assert 0 <= bar.y <= 160 and 0 <= bar.height <= 160
        assert abs(bar.y + bar.height - 160) < 0.02
        assert bar.x >= 0 and bar.x + bar.width <= 600.01
