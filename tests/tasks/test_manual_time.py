from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import InvoiceLineFactory, TaskFactory, TimeEntryFactory
from timetracker.tasks import timesheet
from timetracker.tasks.models import TimeEntry

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
DAY = date(2026, 11, 11)  # a Wednesday, the week before the steady clock's today


@pytest.fixture
def task(bob):
    return TimeEntryFactory(user=bob, task__title="Plugin updates").task


@pytest.mark.parametrize("text", ["1:30", "1h 30m", "90m", "1.5", "1,5", "1h30m", "90 min"])
def test_past_time_as_a_date_and_a_duration_in_any_format(bob_client, bob, task, text):
    data = {"task": task.pk, "date": DAY, "duration": text, "billable": "on"}
    response = bob_client.post(reverse("tasks:entry_add"), data)
    assert response.status_code == 302
    entry = TimeEntry.objects.filter(task=task, source="manual").get()
    assert entry.duration_seconds == 90 * 60 and entry.user == bob and entry.recorded_by == bob
    assert timezone.localtime(entry.started_at).date() == DAY


def test_past_time_as_start_and_end_times_even_past_midnight(bob_client, task):
    bob_client.post(
        reverse("tasks:entry_add"), {"task": task.pk, "date": DAY, "start": "22:15", "end": "01:00"}
    )
    entry = TimeEntry.objects.get(task=task, source="manual")
    assert entry.duration_seconds == (2 * 60 + 45) * 60


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"duration": "1:75"}, "minutes must be below 60"),
        ({"duration": "soon"}, "Cannot read"),
        ({"duration": "0:00"}, "At least one minute"),
        ({}, "Give a duration"),
        ({"duration": "1:00", "start": "09:00", "end": "10:00"}, "not both"),
        ({"start": "09:00", "end": "09:00"}, "at least one minute after"),
    ],
)
def test_bad_manual_time_is_explained_and_nothing_saved(bob_client, task, data, message):
    response = bob_client.post(reverse("tasks:entry_add"), {"task": task.pk, "date": DAY, **data}, **HTMX)
    assert response.status_code == 200 and message in response.text
    assert not TimeEntry.objects.filter(source="manual").exists()


def test_manual_time_cannot_go_on_another_users_task(bob_client, dana):
    theirs = TimeEntryFactory(user=dana).task
    response = bob_client.post(
        reverse("tasks:entry_add"), {"task": theirs.pk, "date": DAY, "duration": "1:00"}, **HTMX
    )
    assert "Select a valid choice" in response.text


def test_typing_into_a_cell_creates_then_adjusts_then_removes_one_entry(bob_client, bob, task):
    url = reverse("tasks:timesheet_cell")
    response = bob_client.post(url, {"task": task.pk, "day": DAY, "value": "1:30"}, **HTMX)
    assert response.text.lstrip().startswith('<div id="timesheet-grid"')
    assert "1:30" in response.text
    bob_client.post(url, {"task": task.pk, "day": DAY, "value": "2h"}, **HTMX)
    manual = TimeEntry.objects.filter(task=task, source="manual")
    assert list(manual.values_list("duration_seconds", flat=True)) == [2 * 3600]
    bob_client.post(url, {"task": task.pk, "day": DAY, "value": ""}, **HTMX)
    assert not manual.exists()


def test_a_cell_counts_timer_entries_and_only_adds_the_difference(bob, task):
    start = timezone.make_aware(datetime.combine(DAY, time(10, 0)))
    TimeEntryFactory(user=bob, task=task, started_at=start, worked=timedelta(minutes=45))
    entry = timesheet.set_day_total(user=bob, task=task, day=DAY, seconds=2 * 3600)
    assert entry.duration_seconds == 75 * 60
    assert entry.started_at >= start + timedelta(minutes=45)  # placed after the timer entry, not over it
    with pytest.raises(ValueError, match="comes from timer or invoiced entries"):
        timesheet.set_day_total(user=bob, task=task, day=DAY, seconds=30 * 60)


def test_invoiced_manual_time_is_never_adjusted(bob, task):
    start = timezone.make_aware(datetime.combine(DAY, time(9, 0)))
    locked = TimeEntryFactory(
        user=bob, task=task, started_at=start, source="manual", invoice_line=InvoiceLineFactory()
    )
    entry = timesheet.set_day_total(user=bob, task=task, day=DAY, seconds=2 * 3600)
    assert entry.pk != locked.pk and entry.duration_seconds == 3600


def test_a_bad_cell_value_is_explained(bob_client, task):
    response = bob_client.post(
        reverse("tasks:timesheet_cell"), {"task": task.pk, "day": DAY, "value": "lots"}, **HTMX
    )
    assert "Plugin updates: Cannot read" in response.text


def test_the_grid_shows_a_week_of_totals(bob_client, bob, task):
    for offset, minutes in [(0, 60), (2, 30), (2, 15)]:
        start = timezone.make_aware(
            datetime.combine(DAY - timedelta(days=2) + timedelta(days=offset), time(9, 0))
        )
        TimeEntryFactory(
            user=bob, task=task, started_at=start + timedelta(hours=offset), worked=timedelta(minutes=minutes)
        )
    response = bob_client.get(reverse("tasks:timesheet"), {"week": DAY})
    assert response.context["first_day"] == date(2026, 11, 9)
    row = response.context["rows"][0]
    assert [s for _, s in row.cells][:3] == [3600, 0, 45 * 60]
    assert response.context["week_total"] == 105 * 60


def test_a_cell_on_another_users_task_is_404(bob_client, dana):
    theirs = TimeEntryFactory(user=dana).task
    response = bob_client.post(
        reverse("tasks:timesheet_cell"), {"task": theirs.pk, "day": DAY, "value": "1:00"}
    )
    assert response.status_code == 404
    assert not TimeEntry.objects.filter(source="manual").exists()


def test_an_added_row_shows_before_it_has_time(bob_client, bob):
    fresh = TaskFactory(title="Fresh task", assignee=bob)
    response = bob_client.get(reverse("tasks:timesheet"), {"week": DAY, "add": fresh.pk})
    assert [row.task.title for row in response.context["rows"]] == ["Fresh task"]


def test_past_time_on_a_new_task_completes_it(bob_client, bob):
    fresh = TaskFactory(assignee=bob)
    bob_client.post(reverse("tasks:entry_add"), {"task": fresh.pk, "date": DAY, "duration": "1:00"})
    fresh.refresh_from_db()
    assert fresh.status == "completed"
    timesheet.set_day_total(user=bob, task=fresh, day=DAY, seconds=0)
    fresh.refresh_from_db()
    assert fresh.status == "not_started"
