"""Time typed on the days the clocks change is stored as the time that really passed, on every writer;
a time that does not exist is explained; a day never holds more than it has."""

from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import ClientFactory, TaskFactory, TimeEntryFactory, UserFactory
from timetracker.tasks.models import TimeEntry

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}

# (zone, spring day, autumn day, a start and end that straddle the switch, hours in spring, in autumn)
SWITCHES = [
    ("Europe/Amsterdam", date(2026, 3, 29), date(2026, 10, 25), "01:30", "03:30", 1, 3),
    ("America/New_York", date(2026, 3, 8), date(2026, 11, 1), "00:30", "03:30", 2, 4),
]


def person(zone):
    user = UserFactory(role="Staff", time_zone=zone)
    return user, TaskFactory(assignee=user, client=ClientFactory(hourly_rate=Decimal("100.00")))


def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize(("zone", "spring", "autumn", "start", "end", "short", "long"), SWITCHES)
def test_manual_start_and_end_on_switch_days_store_the_real_elapsed_time(
    client, zone, spring, autumn, start, end, short, long
):
    user, task = person(zone)
    logged_in(client, user)
    for day in (spring, autumn):
        response = client.post(
            reverse("tasks:entry_add"),
            {"task": task.pk, "date": day, "start": start, "end": end, "billable": "on"},
        )
        assert response.status_code == 302, response.content
    hours = [e.duration_seconds / 3600 for e in TimeEntry.objects.order_by("started_at")]
    assert hours == [short, long]
    amounts = list(TimeEntry.objects.order_by("started_at").values_list("amount", flat=True))
    assert amounts == [Decimal(100 * short), Decimal(100 * long)]


@pytest.mark.parametrize(("zone", "day", "clock"), [("Europe/Amsterdam", date(2026, 3, 29), "02:15")])
def test_a_time_that_does_not_exist_is_explained_not_stored(client, zone, day, clock):
    user, task = person(zone)
    logged_in(client, user)
    for data in ({"start": clock, "end": "04:00"}, {"start": "01:00", "end": clock}):
        response = client.post(reverse("tasks:entry_add"), {"task": task.pk, "date": day, **data})
        assert response.status_code == 200
        assert "02:15 does not exist on Sun 29 Mar 2026 in Europe/Amsterdam" in response.text
    assert not TimeEntry.objects.exists()


def test_an_ambiguous_autumn_end_is_read_as_its_first_occurrence_after_the_start(client):
    # 02:00-03:00 happens twice on 25 Oct in Amsterdam. A start is read as the first (summer) 02:30; an end
    # as the first occurrence that follows the start: 02:30 to 02:30 is the repeated hour itself.
    user, task = person("Europe/Amsterdam")
    logged_in(client, user)
    url = reverse("tasks:entry_add")
    client.post(url, {"task": task.pk, "date": "2026-10-25", "start": "02:30", "end": "02:30"})
    client.post(url, {"task": task.pk, "date": "2026-10-25", "start": "01:45", "end": "02:15"})
    assert [e.duration_seconds // 60 for e in TimeEntry.objects.order_by("started_at")] == [30, 60]


@pytest.mark.parametrize(("zone", "spring", "autumn", "start", "end", "short", "long"), SWITCHES)
def test_the_api_hours_and_date_form_is_real_time_too(zone, spring, autumn, start, end, short, long):
    user, task = person(zone)
    api = APIClient()
    api.force_authenticate(user)
    for day in (spring, autumn):
        body = {"task_id": task.pk, "date": day.isoformat(), "hours": 8, "minutes": 0}
        assert api.post("/api/v1/time-entries", body, format="json").status_code == 201
    assert [e.duration_seconds for e in TimeEntry.objects.all()] == [8 * 3600, 8 * 3600]


@pytest.mark.parametrize(("zone", "spring", "autumn", "start", "end", "short", "long"), SWITCHES)
def test_a_grid_cell_on_a_short_day_records_what_was_typed(
    client, zone, spring, autumn, start, end, short, long
):
    user, task = person(zone)
    logged_in(client, user)
    url = reverse("tasks:timesheet_cell")
    client.post(url, {"task": task.pk, "day": spring, "value": "8:00"}, **HTMX)
    entry = TimeEntry.objects.get()
    assert entry.duration_seconds == 8 * 3600
    # 23 hours fit in the spring day, 24 do not; the autumn day holds 25.
    client.post(url, {"task": task.pk, "day": spring, "value": "23:00"}, **HTMX)
    assert TimeEntry.objects.get().duration_seconds == 23 * 3600
    refused = client.post(url, {"task": task.pk, "day": spring, "value": "24:00"}, **HTMX)
    assert "does not fit" in refused.text and TimeEntry.objects.get().duration_seconds == 23 * 3600
    client.post(url, {"task": task.pk, "day": autumn, "value": "25:00"}, **HTMX)
    assert TimeEntry.objects.filter(duration_seconds=25 * 3600).count() == 1


def test_a_grid_cell_refuses_more_than_a_day(bob_client, bob):
    task = TimeEntryFactory(user=bob).task
    url = reverse("tasks:timesheet_cell")
    response = bob_client.post(url, {"task": task.pk, "day": "2026-11-11", "value": "25:00"}, **HTMX)
    assert response.status_code == 200
    assert "Wed 11 Nov holds 24h" in response.text and "does not fit" in response.text
    assert TimeEntry.objects.count() == 1


def test_editing_an_entrys_end_in_the_admin_recomputes_it(alice_client, alice):
    client = ClientFactory(hourly_rate=Decimal("100.00"))
    entry = TimeEntryFactory(task=TaskFactory(client=client), hourly_rate=Decimal("100.00"))
    assert (entry.duration_seconds, entry.amount) == (3600, Decimal("100.00"))
    url = reverse("admin:tasks_timeentry_change", args=[entry.pk])
    page = alice_client.get(url)
    assert page.status_code == 200
    local = lambda moment: moment.astimezone(ZoneInfo(alice.time_zone))  # noqa: E731
    data = {
        "task": entry.task_id,
        "user": entry.user_id,
        "started_at_0": local(entry.started_at).strftime("%Y-%m-%d"),
        "started_at_1": local(entry.started_at).strftime("%H:%M:%S"),
        "ended_at_0": local(entry.ended_at + timedelta(hours=1)).strftime("%Y-%m-%d"),
        "ended_at_1": local(entry.ended_at + timedelta(hours=1)).strftime("%H:%M:%S"),
        "paused_seconds": 0,
        "billable": "on",
        "hourly_rate": "100.00",
        "description": "Longer than thought",
    }
    response = alice_client.post(url, data)
    assert response.status_code == 302, response.content
    entry.refresh_from_db()
    assert (entry.duration_seconds, entry.rounded_seconds, entry.amount) == (7200, 7200, Decimal("200.00"))
    assert entry.description == "Longer than thought"
    assert entry.history.order_by("-history_date").first().history_user == alice


def test_an_admin_edit_under_a_minute_is_a_form_error(alice_client, alice):
    entry = TimeEntryFactory()
    url = reverse("admin:tasks_timeentry_change", args=[entry.pk])
    moment = entry.started_at.astimezone(ZoneInfo(alice.time_zone))
    data = {
        "task": entry.task_id,
        "user": entry.user_id,
        "started_at_0": moment.strftime("%Y-%m-%d"),
        "started_at_1": moment.strftime("%H:%M:%S"),
        "ended_at_0": moment.strftime("%Y-%m-%d"),
        "ended_at_1": moment.strftime("%H:%M:%S"),
        "paused_seconds": 0,
    }
    response = alice_client.post(url, data)
    assert response.status_code == 200 and "At least one minute of work" in response.text
    entry.refresh_from_db()
    assert entry.duration_seconds == 3600
