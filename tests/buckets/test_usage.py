from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.factories import BucketFactory, TaskFactory, TimeEntryFactory, UserFactory
from timetracker.buckets.models import BucketAlert, Recurrence
from timetracker.buckets.usage import (
    Period,
    Usage,
    period_at,
    periods,
    record_alerts,
    usage,
    usage_history,
    used_seconds,
)
from timetracker.lib.rounding import RoundingPolicy
from timetracker.tasks.models import TimeEntry, write_path

pytestmark = pytest.mark.django_db

AMS = ZoneInfo("Europe/Amsterdam")
HOUR = 3600


def bucket_of(recurrence, start, **kwargs):
    return BucketFactory.build(recurrence=recurrence, start_date=start, **kwargs)


def starts(bucket, until):
    return [period.start for period in periods(bucket, until=until)]


def log(bucket, when, hours=1.0, *, worked=None, **kwargs):
    """A stopped entry on one of the bucket's tasks; naive times are read as UTC."""
    started_at = when if when.tzinfo else when.replace(tzinfo=UTC)
    worked = worked or timedelta(hours=hours)
    return TimeEntryFactory(task=TaskFactory(bucket=bucket), started_at=started_at, worked=worked, **kwargs)


@pytest.fixture
def amsterdam(settings):
    settings.TIME_ZONE = "Europe/Amsterdam"


# Period arithmetic


def test_monthly_periods_clamp_the_day_but_count_from_the_start_date():
    bucket = bucket_of(Recurrence.MONTHLY, date(2026, 1, 31))
    # May 30 still belongs to the period that starts Apr 30; the next one starts May 31.
    assert starts(bucket, date(2026, 5, 30)) == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),  # not Mar 28: counted from Jan 31, not from Feb 28
        date(2026, 4, 30),
    ]
    assert period_at(bucket, date(2026, 2, 27)) == Period(date(2026, 1, 31), date(2026, 2, 28))
    assert period_at(bucket, date(2026, 2, 28)) == Period(date(2026, 2, 28), date(2026, 3, 31))


def test_monthly_periods_use_february_29_in_a_leap_year():
    bucket = bucket_of(Recurrence.MONTHLY, date(2028, 1, 30))
    assert period_at(bucket, date(2028, 3, 1)) == Period(date(2028, 2, 29), date(2028, 3, 30))


def test_yearly_periods_from_a_leap_day_fall_on_february_28_otherwise():
    bucket = bucket_of(Recurrence.YEARLY, date(2024, 2, 29))
    assert starts(bucket, date(2028, 3, 1)) == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]


def test_quarterly_periods_are_counted_from_the_start_date_not_the_previous_period():
    bucket = bucket_of(Recurrence.QUARTERLY, date(2025, 11, 30))
    assert starts(bucket, date(2026, 8, 30)) == [
        date(2025, 11, 30),
        date(2026, 2, 28),
        date(2026, 5, 30),
        date(2026, 8, 30),
    ]


def test_quarterly_and_yearly_boundaries():
    quarterly = bucket_of(Recurrence.QUARTERLY, date(2026, 1, 1))
    assert period_at(quarterly, date(2026, 3, 31)) == Period(date(2026, 1, 1), date(2026, 4, 1))
    assert period_at(quarterly, date(2026, 4, 1)) == Period(date(2026, 4, 1), date(2026, 7, 1))
    yearly = bucket_of(Recurrence.YEARLY, date(2026, 1, 1))
    assert period_at(yearly, date(2026, 12, 31)) == Period(date(2026, 1, 1), date(2027, 1, 1))
    assert period_at(yearly, date(2027, 1, 1)) == Period(date(2027, 1, 1), date(2028, 1, 1))


def test_weekly_periods_last_seven_days_from_the_start_date():
    bucket = bucket_of(Recurrence.WEEKLY, date(2026, 11, 25))  # a Wednesday
    assert period_at(bucket, date(2026, 12, 1)) == Period(date(2026, 11, 25), date(2026, 12, 2))
    assert period_at(bucket, date(2026, 12, 2)) == Period(date(2026, 12, 2), date(2026, 12, 9))
    assert starts(bucket, date(2026, 12, 9)) == [date(2026, 11, 25), date(2026, 12, 2), date(2026, 12, 9)]


def test_a_bucket_that_does_not_renew_has_one_open_period():
    bucket = bucket_of(Recurrence.NONE, date(2026, 1, 1))
    assert period_at(bucket, date(2030, 6, 1)) == Period(date(2026, 1, 1), None)
    assert periods(bucket, until=date(2030, 6, 1)) == [Period(date(2026, 1, 1), None)]


@pytest.mark.parametrize("recurrence", [Recurrence.WEEKLY, Recurrence.MONTHLY, Recurrence.NONE])
def test_a_day_before_the_start_date_belongs_to_the_first_period(recurrence):
    bucket = bucket_of(recurrence, date(2026, 3, 15))
    assert period_at(bucket, date(2025, 1, 1)).start == date(2026, 3, 15)
    assert starts(bucket, date(2025, 1, 1)) == [date(2026, 3, 15)]


@pytest.mark.parametrize(
    ("period", "label"),
    [
        (Period(date(2026, 11, 1), date(2026, 12, 1)), "November 2026"),
        (Period(date(2026, 10, 1), date(2027, 1, 1)), "Q4 2026"),
        (Period(date(2026, 1, 1), date(2027, 1, 1)), "2026"),
        (Period(date(2026, 11, 23), date(2026, 11, 30)), "Week of 23 Nov 2026"),
        (Period(date(2026, 1, 1), None), "Since 1 Jan 2026"),
        (Period(date(2026, 1, 15), date(2026, 2, 15)), "15 Jan 2026 \N{EN DASH} 14 Feb 2026"),
    ],
)
def test_period_labels(period, label):
    assert period.label == label


def test_period_bounds_are_local_midnights_across_a_dst_change(amsterdam):
    start, end = Period(date(2026, 3, 1), date(2026, 4, 1)).bounds()
    assert start == datetime(2026, 2, 28, 23, tzinfo=UTC)  # CET, UTC+1
    assert end == datetime(2026, 3, 31, 22, tzinfo=UTC)  # CEST, UTC+2
    assert str(start.tzinfo) == "Europe/Amsterdam"
    assert Period(date(2026, 1, 1), None).bounds()[1] is None


# Usage


def test_a_bucket_that_does_not_renew_counts_all_its_time():
    bucket = BucketFactory(hours=Decimal("10"), start_date=date(2025, 1, 1))
    log(bucket, datetime(2025, 2, 1, 9), hours=2)
    log(bucket, datetime(2026, 6, 1, 9), hours=1.5)
    log(BucketFactory(), datetime(2026, 6, 1, 9), hours=4)  # another bucket
    log(None, datetime(2026, 6, 1, 9), hours=4)  # no bucket
    current = usage(bucket, day=date(2026, 7, 1))
    assert current == Usage(Period(date(2025, 1, 1), None), 10 * HOUR, 0, int(3.5 * HOUR))
    assert current.remaining_seconds == int(6.5 * HOUR)
    assert current.percent_used == 35
    assert not current.is_over


def test_usage_counts_the_rounded_time():
    bucket = BucketFactory(start_date=date(2026, 1, 1))
    hourly = RoundingPolicy(enabled=True, mode="up", interval_minutes=60)
    entry = log(bucket, datetime(2026, 1, 5, 9), hours=0.5, policy=hourly)
    assert (entry.duration_seconds, entry.rounded_seconds) == (HOUR // 2, HOUR)
    assert usage(bucket, day=date(2026, 1, 5)).used_seconds == HOUR


def test_a_monthly_bucket_resets_at_local_midnight(amsterdam):
    bucket = BucketFactory(recurrence=Recurrence.MONTHLY, start_date=date(2026, 1, 1))
    # 23:30 in Amsterdam on Oct 31 is still October, though it is 22:30 UTC.
    log(bucket, datetime(2026, 10, 31, 23, 30, tzinfo=AMS), hours=1)
    # 00:30 in Amsterdam on Nov 1 is November, though it is still Oct 31 in UTC.
    log(bucket, datetime(2026, 11, 1, 0, 30, tzinfo=AMS), hours=2)
    assert usage(bucket, day=date(2026, 10, 31)).used_seconds == 1 * HOUR
    assert usage(bucket, day=date(2026, 11, 1)).used_seconds == 2 * HOUR


def test_the_current_period_follows_today_in_the_agency_time_zone(amsterdam):
    bucket = BucketFactory(recurrence=Recurrence.MONTHLY, start_date=date(2026, 1, 1))
    log(bucket, datetime(2026, 11, 1, 0, 30, tzinfo=AMS), hours=2)
    # Oct 31 23:30 UTC is already Nov 1 in Amsterdam.
    with time_machine.travel(datetime(2026, 10, 31, 23, 30, tzinfo=UTC), tick=False):
        current = usage(bucket)
    assert current.period == Period(date(2026, 11, 1), date(2026, 12, 1))
    assert current.used_seconds == 2 * HOUR


def test_billable_only_buckets_ignore_non_billable_time():
    counted = BucketFactory(start_date=date(2026, 1, 1), billable_only=True)
    everything = BucketFactory(start_date=date(2026, 1, 1), billable_only=False)
    for bucket in (counted, everything):
        log(bucket, datetime(2026, 1, 5, 9), hours=1)
        log(bucket, datetime(2026, 1, 6, 9), hours=2, billable=False)
    assert usage(counted, day=date(2026, 1, 31)).used_seconds == 1 * HOUR
    assert usage(everything, day=date(2026, 1, 31)).used_seconds == 3 * HOUR


def test_running_entries_are_not_counted():
    bucket = BucketFactory(start_date=date(2026, 1, 1), billable_only=False)
    log(bucket, datetime(2026, 1, 5, 9), hours=1)
    running = log(bucket, datetime(2026, 1, 6, 9), ended_at=None)
    # Give the running entry a duration, so only its running state can keep it out.
    with write_path():
        TimeEntry.objects.filter(pk=running.pk).update(rounded_seconds=5 * HOUR)
    period = period_at(bucket, date(2026, 1, 6))
    assert used_seconds(bucket, period) == 1 * HOUR
    assert usage(bucket, day=date(2026, 1, 6)).used_seconds == 1 * HOUR


def test_an_overrun_leaves_negative_remaining_time():
    bucket = BucketFactory(hours=Decimal("10"), start_date=date(2026, 1, 1))
    log(bucket, datetime(2026, 1, 5, 9), hours=12.5)
    current = usage(bucket, day=date(2026, 1, 6))
    assert current.remaining_seconds == -int(2.5 * HOUR)
    assert current.is_over
    assert current.percent_used == 125


def test_using_exactly_all_hours_is_not_an_overrun():
    bucket = BucketFactory(hours=Decimal("2"), start_date=date(2026, 1, 1))
    log(bucket, datetime(2026, 1, 5, 9), hours=2)
    current = usage(bucket, day=date(2026, 1, 6))
    assert (current.remaining_seconds, current.is_over, current.percent_used) == (0, False, 100)


@pytest.mark.parametrize(
    ("allowance", "used", "percent"),
    [(0, 0, 0), (0, 1, 999), (3 * HOUR, HOUR - 1, 33), (HOUR, HOUR - 1, 99)],
)
def test_percent_used_rounds_down_and_survives_zero_hours(allowance, used, percent):
    assert Usage(Period(date(2026, 1, 1), None), allowance, 0, used).percent_used == percent


def test_unused_time_rolls_over_cumulatively_but_an_overrun_does_not():
    bucket = BucketFactory(
        hours=Decimal("10"), recurrence=Recurrence.MONTHLY, start_date=date(2026, 1, 1), rollover=True
    )
    log(bucket, datetime(2026, 1, 10, 9), hours=4)  # 6h left over
    log(bucket, datetime(2026, 2, 10, 9), hours=2)  # 10 + 6 - 2 = 14h left over
    log(bucket, datetime(2026, 3, 10, 9), hours=30)  # 10 + 14 - 30 = 6h overrun
    march = usage(bucket, day=date(2026, 3, 15))
    assert (march.rolled_over_seconds, march.available_seconds) == (14 * HOUR, 24 * HOUR)
    assert march.remaining_seconds == -6 * HOUR
    april = usage(bucket, day=date(2026, 4, 15))
    assert (april.rolled_over_seconds, april.remaining_seconds) == (0, 10 * HOUR)
    may = usage(bucket, day=date(2026, 5, 15))  # April's unused 10h carries on
    assert (may.rolled_over_seconds, may.remaining_seconds) == (10 * HOUR, 20 * HOUR)


def test_without_rollover_each_period_starts_afresh():
    bucket = BucketFactory(hours=Decimal("10"), recurrence=Recurrence.MONTHLY, start_date=date(2026, 1, 1))
    log(bucket, datetime(2026, 1, 10, 9), hours=4)
    february = usage(bucket, day=date(2026, 2, 15))
    assert (february.rolled_over_seconds, february.remaining_seconds) == (0, 10 * HOUR)
    history = usage_history(bucket, until=date(2026, 2, 15))
    assert [(u.rolled_over_seconds, u.remaining_seconds) for u in history] == [(0, 10 * HOUR), (0, 6 * HOUR)]


def test_usage_history_lists_every_period_newest_first():
    bucket = BucketFactory(
        hours=Decimal("10"), recurrence=Recurrence.MONTHLY, start_date=date(2026, 9, 1), rollover=True
    )
    log(bucket, datetime(2026, 9, 10, 9), hours=7)
    log(bucket, datetime(2026, 11, 10, 9), hours=1)
    history = usage_history(bucket, until=date(2026, 11, 15))
    assert [u.period.label for u in history] == ["November 2026", "October 2026", "September 2026"]
    assert [u.used_seconds for u in history] == [1 * HOUR, 0, 7 * HOUR]
    assert [u.rolled_over_seconds for u in history] == [13 * HOUR, 3 * HOUR, 0]
    assert history[0] == usage(bucket, day=date(2026, 11, 15))


def test_usage_history_defaults_to_today(amsterdam):
    bucket = BucketFactory(recurrence=Recurrence.WEEKLY, start_date=date(2026, 11, 2))
    with time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=UTC), tick=False):
        history = usage_history(bucket)
    assert [u.period.start for u in history] == [date(2026, 11, 16), date(2026, 11, 9), date(2026, 11, 2)]


@pytest.mark.parametrize("months", [2, 12])
def test_usage_with_rollover_takes_one_query_however_many_periods(months, django_assert_num_queries):
    bucket = BucketFactory(recurrence=Recurrence.MONTHLY, start_date=date(2026, 1, 1), rollover=True)
    for month in range(1, months + 1):
        log(bucket, datetime(2026, month, 3, 9), hours=month)
    day = date(2026, months, 20)
    with django_assert_num_queries(1):
        current = usage(bucket, day=day)
    with django_assert_num_queries(1):
        history = usage_history(bucket, until=day)
    assert len(history) == months
    assert current.used_seconds == months * HOUR
    # Month k leaves 10 - k hours; they add up while the bucket is underused.
    assert current.rolled_over_seconds == sum(10 - k for k in range(1, months)) * HOUR


def test_usage_without_rollover_takes_one_query(django_assert_num_queries):
    bucket = BucketFactory(recurrence=Recurrence.MONTHLY, start_date=date(2020, 1, 1))
    with django_assert_num_queries(1):
        usage(bucket, day=date(2026, 6, 1))


# Alerts


@pytest.fixture
def team(alice, dana, bob):
    """Alice is an Admin, Dana a Manager, Bob Staff; the others must never be e-mailed."""
    UserFactory(username="eve", role="Manager", is_active=False)
    UserFactory(username="frank", role="Manager", email="")
    root = UserFactory(username="root", is_superuser=True)  # a superuser needs no group
    return alice, dana, bob, root


@pytest.fixture
def acme(team):
    return BucketFactory(
        title="Acme monthly maintenance",
        hours=Decimal("10"),
        recurrence=Recurrence.MONTHLY,
        start_date=date(2026, 1, 1),
        thresholds=[50, 80, 100],
    )


def record(bucket, day, capture):
    with capture(execute=True):
        return record_alerts(bucket, day=day)


def test_alerts_are_recorded_for_every_threshold_crossed_at_once(
    acme, mailoutbox, django_capture_on_commit_callbacks
):
    log(acme, datetime(2026, 11, 3, 9), hours=9)
    created = record(acme, date(2026, 11, 20), django_capture_on_commit_callbacks)
    assert sorted(alert.threshold for alert in created) == [50, 80]
    alerts = BucketAlert.objects.filter(bucket=acme)
    assert {(a.threshold, a.period_start, a.used_seconds) for a in alerts} == {
        (50, date(2026, 11, 1), 9 * HOUR),
        (80, date(2026, 11, 1), 9 * HOUR),
    }
    assert len(mailoutbox) == 1


def test_alerts_are_not_recorded_twice_in_a_period(acme, mailoutbox, django_capture_on_commit_callbacks):
    log(acme, datetime(2026, 11, 3, 9), hours=9)
    record(acme, date(2026, 11, 20), django_capture_on_commit_callbacks)
    assert record(acme, date(2026, 11, 21), django_capture_on_commit_callbacks) == []
    assert BucketAlert.objects.filter(bucket=acme).count() == 2
    assert len(mailoutbox) == 1

    log(acme, datetime(2026, 11, 22, 9), hours=1)
    created = record(acme, date(2026, 11, 22), django_capture_on_commit_callbacks)
    assert [alert.threshold for alert in created] == [100]
    assert len(mailoutbox) == 2
    assert mailoutbox[1].subject == "Acme monthly maintenance reached 100% of its hours"


def test_alerts_are_recorded_again_in_the_next_period(acme, django_capture_on_commit_callbacks):
    log(acme, datetime(2026, 11, 3, 9), hours=9)
    log(acme, datetime(2026, 12, 3, 9), hours=6)
    record(acme, date(2026, 11, 20), django_capture_on_commit_callbacks)
    created = record(acme, date(2026, 12, 20), django_capture_on_commit_callbacks)
    assert [(alert.threshold, alert.period_start) for alert in created] == [(50, date(2026, 12, 1))]


def test_no_alert_just_below_a_threshold(acme, mailoutbox, django_capture_on_commit_callbacks):
    log(acme, datetime(2026, 11, 3, 9), worked=timedelta(hours=5) - timedelta(seconds=1))
    assert record(acme, date(2026, 11, 20), django_capture_on_commit_callbacks) == []
    assert mailoutbox == []


def test_a_bucket_without_hours_reaches_every_threshold_once_used(
    team, mailoutbox, django_capture_on_commit_callbacks
):
    bucket = BucketFactory(hours=Decimal("0"), start_date=date(2026, 1, 1), thresholds=[50, 100])
    assert record(bucket, date(2026, 1, 5), django_capture_on_commit_callbacks) == []
    log(bucket, datetime(2026, 1, 5, 9), hours=0.25)
    created = record(bucket, date(2026, 1, 5), django_capture_on_commit_callbacks)
    assert sorted(alert.threshold for alert in created) == [50, 100]


def test_the_alert_e_mail_goes_to_managers_and_admins_only(
    acme, team, mailoutbox, django_capture_on_commit_callbacks
):
    alice, dana, bob, root = team
    log(acme, datetime(2026, 11, 3, 9), hours=8.5)
    created = record(acme, date(2026, 11, 20), django_capture_on_commit_callbacks)
    (mail,) = mailoutbox
    assert sorted(mail.to) == sorted([alice.email, dana.email, root.email])
    assert bob.email not in mail.to
    assert mail.subject == "Acme monthly maintenance reached 80% of its hours"
    assert "50%, 80%" in mail.body
    assert "November 2026" in mail.body
    assert "8h 30m of 10h" in mail.body
    for alert in created:
        assert set(alert.notified.all()) == {alice, dana, root}


def test_no_e_mail_is_sent_before_the_transaction_commits(
    acme, mailoutbox, django_capture_on_commit_callbacks
):
    log(acme, datetime(2026, 11, 3, 9), hours=9)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        record_alerts(acme, day=date(2026, 11, 20))
    assert mailoutbox == []
    # The alert's e-mail (and automation's hand-over of the threshold events) wait for the commit.
    for callback in callbacks:
        callback()
    assert len(mailoutbox) == 1
