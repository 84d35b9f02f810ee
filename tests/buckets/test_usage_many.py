from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from tests.factories import BucketFactory, TaskFactory, TimeEntryFactory
from timetracker.buckets.models import Bucket, Recurrence
from timetracker.buckets.usage import usage, usage_many

pytestmark = pytest.mark.django_db

HOUR = 3600
DAY = date(2026, 11, 20)


def log(bucket, when, hours=1.0, **kwargs):
    started_at = when.replace(tzinfo=UTC)
    return TimeEntryFactory(
        task=TaskFactory(bucket=bucket), started_at=started_at, worked=timedelta(hours=hours), **kwargs
    )


def buckets_of_every_kind():
    """A bucket that never renews, a monthly one, a rollover one and a weekly one, each with time on it."""
    never = BucketFactory(title="Never", hours=Decimal("10"), start_date=date(2026, 1, 1))
    monthly = BucketFactory(
        title="Monthly", hours=Decimal("10"), recurrence=Recurrence.MONTHLY, start_date=date(2026, 1, 15)
    )
    rollover = BucketFactory(
        title="Rollover",
        hours=Decimal("10"),
        recurrence=Recurrence.MONTHLY,
        start_date=date(2026, 8, 1),
        rollover=True,
    )
    weekly = BucketFactory(
        title="Weekly",
        hours=Decimal("2"),
        recurrence=Recurrence.WEEKLY,
        start_date=date(2026, 11, 2),
        rollover=True,
        billable_only=False,
    )
    log(never, datetime(2026, 2, 1, 9), hours=2)
    log(never, datetime(2026, 11, 19, 9), hours=1.5)
    log(never, datetime(2026, 11, 19, 12), hours=5, billable=False)  # billable only: not counted
    log(monthly, datetime(2026, 11, 10, 9), hours=3)  # previous period (Oct 15 - Nov 15)
    log(monthly, datetime(2026, 11, 16, 9), hours=4)
    log(rollover, datetime(2026, 8, 10, 9), hours=4)  # 6h carried
    log(rollover, datetime(2026, 9, 10, 9), hours=20)  # overrun: nothing carried
    log(rollover, datetime(2026, 10, 10, 9), hours=1)  # 9h carried
    log(rollover, datetime(2026, 11, 3, 9), hours=2)
    log(weekly, datetime(2026, 11, 3, 9), hours=1, billable=False)  # counted: billable_only is off
    log(weekly, datetime(2026, 11, 17, 9), hours=1)
    log(weekly, datetime(2026, 11, 30, 9), hours=1)  # after the current period: not counted
    return [never, monthly, rollover, weekly]


def test_usage_many_equals_usage_for_every_kind_of_bucket():
    buckets = buckets_of_every_kind()
    many = usage_many(buckets, day=DAY)
    assert set(many) == {bucket.pk for bucket in buckets}
    for bucket in buckets:
        assert many[bucket.pk] == usage(bucket, day=DAY), bucket.title


def test_usage_many_gets_the_figures_right():
    never, monthly, rollover, weekly = buckets_of_every_kind()
    many = usage_many([never, monthly, rollover, weekly], day=DAY)
    assert many[never.pk].used_seconds == int(3.5 * HOUR)
    assert (many[monthly.pk].period.start, many[monthly.pk].used_seconds) == (date(2026, 11, 15), 4 * HOUR)
    assert (many[rollover.pk].rolled_over_seconds, many[rollover.pk].used_seconds) == (9 * HOUR, 2 * HOUR)
    # Weekly from Mon Nov 2: week 1 leaves 1h, week 2 adds its unused 2h, so week 3 starts with 3h extra.
    assert many[weekly.pk].rolled_over_seconds == 3 * HOUR
    assert many[weekly.pk].used_seconds == 1 * HOUR


def test_usage_many_of_no_buckets_asks_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert usage_many([], day=DAY) == {}


def test_a_bucket_without_time_has_used_nothing():
    bucket = BucketFactory(recurrence=Recurrence.MONTHLY, start_date=date(2026, 1, 1), rollover=True)
    assert usage_many([bucket], day=DAY)[bucket.pk] == usage(bucket, day=DAY)
    assert usage_many([bucket], day=DAY)[bucket.pk].used_seconds == 0


def test_running_entries_do_not_count():
    bucket = BucketFactory(start_date=date(2026, 1, 1))
    log(bucket, datetime(2026, 11, 19, 9), hours=1)
    log(bucket, datetime(2026, 11, 20, 9), ended_at=None)
    assert usage_many([bucket], day=DAY)[bucket.pk].used_seconds == HOUR


@pytest.mark.parametrize("count", [2, 20])
def test_usage_many_takes_one_query_however_many_buckets(count, django_assert_num_queries):
    for i in range(count):
        recurrence = [Recurrence.NONE, Recurrence.MONTHLY, Recurrence.WEEKLY][i % 3]
        bucket = BucketFactory(recurrence=recurrence, start_date=date(2025, 1, 1), rollover=i % 2 == 0)
        log(bucket, datetime(2026, 11, 3, 9), hours=1)
    buckets = list(Bucket.objects.all())
    with django_assert_num_queries(1):
        many = usage_many(buckets, day=DAY)
    assert len(many) == count
    assert all(many[bucket.pk] == usage(bucket, day=DAY) for bucket in buckets)
