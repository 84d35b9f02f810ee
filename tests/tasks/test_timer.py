from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.factories import BucketFactory, ClientFactory, ClientSettingsFactory, TaskFactory, TimeEntryFactory
from timetracker.billing.models import Settings
from timetracker.tasks import timer
from timetracker.tasks.choices import EntrySource, RateSource, TaskStatus, TimerMode
from timetracker.tasks.models import TimeEntry

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 24, 9, 0, 17, 400000, tzinfo=UTC)


def at(minutes, seconds=0):
    return T0 + timedelta(minutes=minutes, seconds=seconds)


def test_start_creates_one_running_entry_and_marks_the_task_working(bob):
    task = TaskFactory()
    entry = timer.start(user=bob, task=task, now=T0)
    assert entry.is_running and entry.source == EntrySource.TIMER and entry.recorded_by == bob
    task.refresh_from_db()
    assert task.status == TaskStatus.WORKING


def test_starting_a_second_timer_stops_and_submits_the_first(bob):
    first, second = TaskFactory(), TaskFactory()
    old = timer.start(user=bob, task=first, now=T0)
    new = timer.start(user=bob, task=second, now=at(30))
    old.refresh_from_db()
    assert not old.is_running and old.duration_seconds == 30 * 60
    assert list(TimeEntry.objects.running().filter(user=bob)) == [new]
    first.refresh_from_db()
    assert first.status == TaskStatus.COMPLETED


def test_a_sub_minute_timer_replaced_by_a_new_one_is_dropped_not_kept(bob):
    first, second = TaskFactory(), TaskFactory()
    timer.start(user=bob, task=first, now=T0)
    timer.start(user=bob, task=second, now=at(0, 20))
    assert not TimeEntry.objects.filter(task=first).exists()
    first.refresh_from_db()
    assert first.status == TaskStatus.NOT_STARTED


def test_pause_and_resume_keep_one_entry_and_add_up_paused_seconds(bob):
    task = TaskFactory()
    entry = timer.start(user=bob, task=task, now=T0)
    timer.pause(entry=entry, now=at(10))
    task.refresh_from_db()
    assert task.status == TaskStatus.PAUSED
    timer.resume(entry=entry, now=at(25))
    timer.pause(entry=entry, now=at(40))
    timer.resume(entry=entry, now=at(45))
    assert entry.paused_seconds == 20 * 60 and entry.paused_at is None
    timer.stop(entry=entry, now=at(60))
    assert TimeEntry.objects.filter(task=task).count() == 1
    entry.refresh_from_db()
    assert entry.duration_seconds == 40 * 60


def test_stopping_a_paused_timer_does_not_count_the_pause(bob):
    entry = timer.start(user=bob, task=TaskFactory(), now=T0)
    timer.pause(entry=entry, now=at(15))
    timer.stop(entry=entry, now=at(75))
    assert entry.duration_seconds == 15 * 60 and entry.paused_at is None


def test_stop_floors_start_and_end_to_whole_minutes(bob):
    entry = timer.start(user=bob, task=TaskFactory(), now=T0)
    timer.stop(entry=entry, now=at(12, 30))  # 09:12:47.4
    entry.refresh_from_db()
    assert entry.started_at == T0.replace(second=0, microsecond=0)
    assert entry.ended_at == at(12).replace(second=0, microsecond=0)
    assert entry.duration_seconds == 12 * 60


def test_stop_refuses_under_a_minute_and_leaves_the_timer_running(bob):
    task = TaskFactory()
    entry = timer.start(user=bob, task=task, now=T0)
    with pytest.raises(timer.TooShort, match="Less than a minute"):
        timer.stop(entry=entry, now=at(0, 40))
    entry.refresh_from_db()
    assert entry.is_running and entry.ended_at is None
    timer.discard(entry=entry)
    assert not TimeEntry.objects.exists()
    task.refresh_from_db()
    assert task.status == TaskStatus.NOT_STARTED


def test_stop_rounds_with_the_clients_policy_and_shows_both_values(bob):
    settings = Settings.load()
    settings.rounding_enabled, settings.rounding_mode, settings.rounding_interval = True, "nearest", 15
    settings.save()
    special = ClientFactory()
    ClientSettingsFactory(client=special, rounding_mode="up", rounding_interval=30)

    plain_entry = timer.start(user=bob, task=TaskFactory(), now=T0)
    timer.stop(entry=plain_entry, now=at(37))
    special_entry = timer.start(user=bob, task=TaskFactory(client=special), now=at(40))
    timer.stop(entry=special_entry, now=at(77))

    assert (plain_entry.duration_seconds, plain_entry.rounded_seconds) == (37 * 60, 30 * 60)
    assert (special_entry.duration_seconds, special_entry.rounded_seconds) == (37 * 60, 60 * 60)


def test_stop_snapshots_the_rate_and_a_later_rate_change_does_not_touch_it(bob):
    client = ClientFactory(hourly_rate=Decimal("80.00"))
    task = TaskFactory(client=client)
    entry = timer.start(user=bob, task=task, now=T0)
    timer.stop(entry=entry, now=at(90))
    assert (entry.hourly_rate, entry.rate_source, entry.amount) == (
        Decimal("80.00"),
        RateSource.CLIENT,
        Decimal("120.00"),
    )
    client.hourly_rate = Decimal("200.00")
    client.save()
    entry.refresh_from_db()
    assert entry.hourly_rate == Decimal("80.00") and entry.amount == Decimal("120.00")


def test_stop_completes_the_task(bob):
    task = TaskFactory()
    timer.stop(entry=timer.start(user=bob, task=task, now=T0), now=at(5))
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED


def test_a_stopped_timer_cannot_be_stopped_or_paused_again(bob):
    entry = timer.start(user=bob, task=TaskFactory(), now=T0)
    timer.stop(entry=entry, now=at(5))
    with pytest.raises(timer.TimerError, match="already stopped"):
        timer.stop(entry=entry, now=at(6))
    with pytest.raises(timer.TimerError, match="already stopped"):
        timer.pause(entry=entry, now=at(6))


def test_continue_resumes_a_paused_timer_on_the_same_task(bob):
    task = TaskFactory()
    entry = timer.start(user=bob, task=task, now=T0)
    timer.pause(entry=entry, now=at(5))
    again = timer.continue_task(user=bob, task=task, now=at(20))
    assert again.pk == entry.pk and not again.is_paused and again.paused_seconds == 15 * 60


def test_continue_on_a_stopped_task_starts_a_new_entry(bob):
    task = TaskFactory()
    first = timer.start(user=bob, task=task, now=T0)
    timer.stop(entry=first, now=at(10))
    second = timer.continue_task(user=bob, task=task, now=at(60))
    assert second.pk != first.pk and second.is_running
    assert TimeEntry.objects.filter(task=task).count() == 2


def test_count_down_needs_a_bucket(bob):
    with pytest.raises(timer.TimerError, match="needs a bucket"):
        timer.start(user=bob, task=TaskFactory(), timer_mode=TimerMode.DOWN, now=T0)
    assert not TimeEntry.objects.exists()


def test_count_down_shows_the_buckets_remaining_time_going_negative(bob):
    client = ClientFactory()
    bucket = BucketFactory(clients=[client], hours=Decimal("1"), billable_only=False)
    task = TaskFactory(client=client, bucket=bucket)
    TimeEntryFactory(task=task, user=bob, worked=timedelta(minutes=45))
    entry = timer.start(user=bob, task=task, timer_mode=TimerMode.DOWN)
    assert timer.seconds_shown(entry, now=entry.started_at + timedelta(minutes=10)) == 5 * 60
    assert timer.seconds_shown(entry, now=entry.started_at + timedelta(minutes=20)) == -5 * 60


def test_a_used_up_bucket_with_a_hard_stop_refuses_to_start(bob):
    client = ClientFactory()
    bucket = BucketFactory(clients=[client], hours=Decimal("1"), hard_stop=True, billable_only=False)
    task = TaskFactory(client=client, bucket=bucket)
    TimeEntryFactory(task=task, user=bob, worked=timedelta(hours=1))
    with pytest.raises(timer.TimerError, match="used up"):
        timer.start(user=bob, task=task)
    bucket.hard_stop = False
    bucket.save()
    assert timer.start(user=bob, task=task).is_running


def test_timer_actions_are_recorded_in_the_entry_history(bob):
    entry = timer.start(user=bob, task=TaskFactory(), now=T0)
    timer.pause(entry=entry, now=at(5))
    timer.resume(entry=entry, now=at(6))
    timer.stop(entry=entry, now=at(10))
    assert entry.history.count() == 4
