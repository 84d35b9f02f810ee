""" "Allow overlapping entries" off: the write path refuses a person's overlapping time, whoever writes it."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from tests.factories import TaskFactory, UserFactory
from timetracker.billing.models import Settings
from timetracker.tasks import entries, timer

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")
NINE = datetime(2026, 11, 16, 9, 0, tzinfo=AMS)


@pytest.fixture
def strict():
    settings = Settings.load()
    settings.allow_overlapping_entries = False
    settings.save()


@pytest.fixture
def sam():
    return UserFactory(role="Staff", username="sam", time_zone="Europe/Amsterdam")


def record(user, start, minutes, task=None):
    task = task or TaskFactory(title="Copy", assignee=user)
    return entries.record(
        task=task, user=user, started_at=start, ended_at=start + timedelta(minutes=minutes), by=user
    )


def test_an_overlapping_entry_is_refused_naming_the_other(strict, sam):
    record(sam, NINE, 60)
    with pytest.raises(entries.Overlaps, match=r'overlaps "Copy" from 16 Nov 2026 09:00 to 10:00'):
        record(sam, NINE + timedelta(minutes=30), 60)


def test_touching_entries_and_other_peoples_time_do_not_overlap(strict, sam):
    record(sam, NINE, 60)
    record(sam, NINE + timedelta(minutes=60), 30)  # starts the minute the first ends
    record(UserFactory(role="Staff"), NINE, 60)


def test_moving_an_entry_onto_another_is_refused(strict, sam):
    record(sam, NINE, 60)
    later = record(sam, NINE + timedelta(hours=2), 30)
    with pytest.raises(entries.Overlaps):
        entries.change(later, started_at=NINE + timedelta(minutes=45), by=sam)
    later.refresh_from_db()
    assert later.started_at == NINE + timedelta(hours=2)


def test_a_running_timer_counts_up_to_now(strict, sam):
    timer.start(user=sam, task=TaskFactory(assignee=sam))
    now = timer.running_entry(sam).started_at
    with pytest.raises(entries.Overlaps, match=r"now \(running\)"):
        record(sam, now - timedelta(minutes=30), 45)
    record(sam, now - timedelta(minutes=90), 30)  # before the timer started


def test_allowed_by_default(sam):
    record(sam, NINE, 60)
    record(sam, NINE, 60)


def test_the_manual_time_form_shows_the_refusal(strict, sam, client):
    task = TaskFactory(title="Copy", assignee=sam)
    record(sam, NINE, 60, task=task)
    client.force_login(sam)
    response = client.post(
        reverse("tasks:entry_add"),
        {"task": task.pk, "date": "2026-11-16", "start": "09:30", "end": "10:30", "billable": "on"},
    )
    assert "overlapping entries are turned off in Settings" in response.content.decode()


def test_stopping_a_timer_into_a_later_entry_is_refused(strict, sam):
    from django.utils import timezone

    now = timezone.now()
    record(sam, now + timedelta(hours=1), 60)  # planned ahead, while nothing ran yet
    running = timer.start(user=sam, task=TaskFactory(assignee=sam), now=now)
    with pytest.raises(entries.Overlaps):
        timer.stop(entry=running, now=now + timedelta(hours=3))
    assert timer.running_entry(sam) == running  # still running, nothing lost


def test_the_weekly_grid_puts_a_second_task_after_the_first(strict, sam):
    from timetracker.tasks import timesheet

    day = NINE.date()
    first = timesheet.set_day_total(user=sam, task=TaskFactory(assignee=sam), day=day, seconds=3600)
    second = timesheet.set_day_total(user=sam, task=TaskFactory(assignee=sam), day=day, seconds=1800)
    assert second.started_at == first.ended_at  # one after the other, not both at 09:00
