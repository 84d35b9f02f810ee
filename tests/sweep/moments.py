"""The awkward real moments the calendar sweep visits, in UTC.

Ordinary tests run at conftest's STEADY_NOW, a quiet mid-month afternoon; these are the moments it hides:
the last days of a month (when "last month" and "this month" both move), a leap day, the turn of the year
(when Amsterdam is already in the new year and New York not yet) and a minute either side of each DST switch.
"""

from datetime import UTC, date, datetime

import pytest

AMSTERDAM, NEW_YORK = "Europe/Amsterdam", "America/New_York"

# The days the clocks change: Amsterdam 02:00 -> 03:00 and 03:00 -> 02:00, New York 02:00 -> 03:00 and
# 02:00 -> 01:00. Spring days have 23 hours, autumn days 25.
AMSTERDAM_SPRING, AMSTERDAM_AUTUMN = date(2026, 3, 29), date(2026, 10, 25)
NEW_YORK_SPRING, NEW_YORK_AUTUMN = date(2026, 3, 8), date(2026, 11, 1)

# Taken when the module is imported, before the autouse fixture pins the clock.
REAL_NOW = datetime.now(UTC)


def _at(*parts):
    return datetime(*parts, tzinfo=UTC)


YEAR_END, NEW_YEAR, LEAP_DAY = _at(2026, 12, 31, 23, 59), _at(2027, 1, 1, 0, 1), _at(2028, 2, 29, 23, 30)

MOMENTS = [
    # The 27th to the 31st: the demo's history stopped reaching "last month" from about the 27th. The hours
    # vary so that on the 31st Amsterdam is already in February while UTC and New York are still in January.
    pytest.param(_at(2027, 1, 27, 8, 0), id="2027-01-27"),
    pytest.param(_at(2027, 1, 28, 12, 0), id="2027-01-28"),
    pytest.param(_at(2027, 1, 29, 16, 0), id="2027-01-29"),
    pytest.param(_at(2027, 1, 30, 20, 0), id="2027-01-30"),
    pytest.param(_at(2027, 1, 31, 23, 30), id="2027-01-31"),
    pytest.param(_at(2026, 11, 30, 12, 0), id="2026-11-30-reported"),
    pytest.param(_at(2028, 2, 28, 12, 0), id="2028-02-28-leap-year"),
    pytest.param(LEAP_DAY, id="2028-02-29-leap-day"),
    pytest.param(YEAR_END, id="2026-12-31-23:59"),
    pytest.param(NEW_YEAR, id="2027-01-01-00:01"),
    pytest.param(_at(2026, 3, 29, 0, 59), id="amsterdam-spring-before"),
    pytest.param(_at(2026, 3, 29, 1, 1), id="amsterdam-spring-after"),
    pytest.param(_at(2026, 10, 25, 0, 59), id="amsterdam-autumn-before"),
    pytest.param(_at(2026, 10, 25, 1, 1), id="amsterdam-autumn-after"),
    pytest.param(_at(2026, 3, 8, 6, 59), id="new-york-spring-before"),
    pytest.param(_at(2026, 3, 8, 7, 1), id="new-york-spring-after"),
    pytest.param(_at(2026, 11, 1, 5, 59), id="new-york-autumn-before"),
    pytest.param(_at(2026, 11, 1, 6, 1), id="new-york-autumn-after"),
    pytest.param(REAL_NOW, id="real-now"),
]

# The invoice PDF takes seconds to render, so it is checked where its dates are the most awkward.
PDF_MOMENTS = (YEAR_END, NEW_YEAR, LEAP_DAY, REAL_NOW)
