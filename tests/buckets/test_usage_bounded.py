"""Bucket usage reads only the entries of the periods it shows: same figures, and SQL an index can answer."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import BucketFactory, TaskFactory, TimeEntryFactory
from timetracker.buckets.models import Recurrence
from timetracker.buckets.usage import usage, usage_history, usage_many

pytestmark = pytest.mark.django_db

HOUR = 3600
DAY = date(2026, 11, 20)
STARTED_AT = r'"tasks_timeentry"\."started_at"'


def log(bucket, when, hours=1.0, **kwargs):
    return TimeEntryFactory(
        task=TaskFactory(bucket=bucket),
        started_at=when.replace(tzinfo=UTC),
        worked=timedelta(hours=hours),
        **kwargs,
    )


def with_time_a_year_either_side(bucket, first, last):
    """Entries a year before the first shown period and a year after the last: never counted."""
    log(bucket, datetime(first.year - 1, first.month, first.day, 9), hours=50)
    log(bucket, datetime(last.year + 1, last.month, last.day, 9), hours=50)
    return bucket


def monthly():
    bucket = BucketFactory(
        title="Monthly", hours=Decimal("10"), recurrence=Recurrence.MONTHLY, start_date=date(2026, 1, 15)
    )
    log(bucket, datetime(2026, 11, 14, 9), hours=3)  # the previous period (Oct 15 - Nov 15)
    log(bucket, datetime(2026, 11, 16, 9), hours=2)
    log(bucket, datetime(2026, 12, 15, 9), hours=4)  # the next period
    return with_time_a_year_either_side(bucket, date(2026, 11, 15), date(2026, 12, 14))


def quarterly_rollover():
    bucket = BucketFactory(
        title="Quarterly",
        hours=Decimal("10"),
        recurrence=Recurrence.QUARTERLY,
        start_date=date(2026, 4, 1),
        rollover=True,
    )
    log(bucket, datetime(2026, 5, 1, 9), hours=3)  # 7h carried
    log(bucket, datetime(2026, 8, 1, 9), hours=12)  # 17h available: 5h carried
    log(bucket, datetime(2026, 10, 5, 9), hours=1)
    return with_time_a_year_either_side(bucket, date(2026, 4, 1), date(2026, 12, 31))


def weekly_rollover():
    bucket = BucketFactory(
        title="Weekly",
        hours=Decimal("2"),
        recurrence=Recurrence.WEEKLY,
        start_date=date(2026, 11, 2),
        rollover=True,
    )
    log(bucket, datetime(2026, 11, 3, 9), hours=1)  # 1h carried
    log(bucket, datetime(2026, 11, 17, 9), hours=1)  # the week before had none: 3h carried into it
    log(bucket, datetime(2026, 11, 23, 9), hours=1)  # next week
    return with_time_a_year_either_side(bucket, date(2026, 11, 2), date(2026, 11, 22))


def never_renews():
    bucket = BucketFactory(title="Never", hours=Decimal("10"), start_date=date(2026, 1, 1))
    log(bucket, datetime(2025, 1, 1, 9), hours=50)  # a year before it started
    log(bucket, datetime(2026, 2, 1, 9), hours=2)
    log(bucket, datetime(2026, 11, 19, 9), hours=1.5)
    log(bucket, datetime(2027, 2, 1, 9), hours=1)  # its one period never ends: later time counts too
    return bucket


@pytest.mark.parametrize(
    ("make", "rolled_over", "used"),
    [
        (monthly, 0, 2 * HOUR),
        (quarterly_rollover, 5 * HOUR, 1 * HOUR),
        (weekly_rollover, 3 * HOUR, 1 * HOUR),
        (never_renews, 0, int(4.5 * HOUR)),
    ],
)
def test_usage_counts_only_the_shown_periods(make, rolled_over, used):
    bucket = make()

    current = usage(bucket, day=DAY)

    assert (current.rolled_over_seconds, current.used_seconds) == (rolled_over, used)
    assert usage_many([bucket], day=DAY)[bucket.pk] == current


def test_usage_many_of_every_kind_at_once_equals_usage_of_each():
    buckets = [monthly(), quarterly_rollover(), weekly_rollover(), never_renews()]

    many = usage_many(buckets, day=DAY)

    assert many == {bucket.pk: usage(bucket, day=DAY) for bucket in buckets}


def test_usage_history_ignores_time_before_the_first_period_and_after_the_last():
    bucket = quarterly_rollover()

    history = usage_history(bucket, until=DAY)

    assert [entry.used_seconds for entry in history] == [1 * HOUR, 12 * HOUR, 3 * HOUR]


# The SQL: usage reads the kept day totals, never the entries, and every query carries the range of the
# days it shows, outside the CASE that splits them.

DAY_COLUMN = r'"tasks_daytotal"\."day"'


def day_range(queries):
    """(lower bounds, upper bounds) on the day in the WHERE of the one query that reads day totals."""
    reads = [query["sql"] for query in queries if query["sql"].startswith("SELECT")]
    assert not [sql for sql in reads if '"tasks_timeentry"' in sql]
    [sql] = [query["sql"] for query in queries if 'FROM "tasks_daytotal"' in query["sql"]]
    # A CASE arm names a period's bounds too, but only a bound outside them lets an index skip rows.
    outside = re.sub(r"CASE WHEN .*? END", "", sql)
    lower = re.findall(rf"{DAY_COLUMN} >= '([^']+)'", outside)
    upper = re.findall(rf"{DAY_COLUMN} < '([^']+)'", outside)
    return [date.fromisoformat(literal[:10]) for literal in lower], [
        date.fromisoformat(x[:10]) for x in upper
    ]


def test_usage_many_reads_days_between_the_first_shown_period_and_the_last():
    buckets = [monthly(), quarterly_rollover(), weekly_rollover()]

    with CaptureQueriesContext(connection) as queries:
        usage_many(buckets, day=DAY)

    # Quarterly from Apr 1 (its rollover needs every period) to Dec 31; the others lie inside that.
    assert day_range(queries) == ([date(2026, 4, 1)], [date(2027, 1, 1)])


def test_usage_many_of_buckets_without_rollover_reads_only_the_current_periods():
    weekly = BucketFactory(recurrence=Recurrence.WEEKLY, start_date=date(2026, 11, 2))

    with CaptureQueriesContext(connection) as queries:
        usage_many([monthly(), weekly], day=DAY)

    assert day_range(queries) == ([date(2026, 11, 15)], [date(2026, 12, 15)])


def test_a_bucket_that_never_renews_bounds_the_range_below_only():
    buckets = [monthly(), never_renews()]

    with CaptureQueriesContext(connection) as queries:
        usage_many(buckets, day=DAY)

    assert day_range(queries) == ([date(2026, 1, 1)], [])


@pytest.mark.parametrize(
    ("make", "lower", "upper"),
    [
        (monthly, date(2026, 11, 15), date(2026, 12, 15)),
        (quarterly_rollover, date(2026, 4, 1), date(2027, 1, 1)),
        (weekly_rollover, date(2026, 11, 2), date(2026, 11, 23)),
    ],
)
def test_usage_reads_days_of_the_shown_periods_only(make, lower, upper):
    bucket = make()

    with CaptureQueriesContext(connection) as queries:
        usage(bucket, day=DAY)

    assert day_range(queries) == ([lower], [upper])


def test_time_falls_in_the_period_of_the_agency_s_day(settings):
    settings.TIME_ZONE = "Europe/Amsterdam"
    bucket = BucketFactory(hours=Decimal("10"), recurrence=Recurrence.MONTHLY, start_date=date(2026, 1, 15))
    log(bucket, datetime(2026, 11, 14, 23, 30), hours=1)  # 00:30 on Nov 15 in Amsterdam: this period
    log(bucket, datetime(2026, 11, 14, 22, 30), hours=2)  # 23:30 on Nov 14 in Amsterdam: the one before
    log(bucket, datetime(2026, 12, 14, 23, 0), hours=4)  # midnight starting Dec 15 in Amsterdam: the next

    assert usage(bucket, day=DAY).used_seconds == HOUR
    assert usage_many([bucket], day=DAY)[bucket.pk].used_seconds == HOUR
