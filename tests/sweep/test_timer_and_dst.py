"""Time recorded across midnight, a month end and the DST switches, through the pages and the API."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from tests.factories import BucketFactory, ClientFactory, TaskFactory
from tests.sweep.moments import (
    AMSTERDAM,
    AMSTERDAM_AUTUMN,
    AMSTERDAM_SPRING,
    NEW_YORK,
    NEW_YORK_AUTUMN,
    NEW_YORK_SPRING,
)
from timetracker.buckets.models import Recurrence
from timetracker.tasks.models import TimeEntry

pytestmark = [pytest.mark.sweep, pytest.mark.django_db]
HTMX = {"HTTP_HX_REQUEST": "true"}

# The last days of months of 30 and 31 days, the year's last, a leap February's 28th (not its end) and 29th.
MONTH_ENDS = [
    date(2026, 10, 31),
    date(2026, 11, 30),
    date(2026, 12, 31),
    date(2027, 1, 31),
    date(2028, 2, 28),
    date(2028, 2, 29),
]


def at(day, clock, zone):
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=ZoneInfo(zone))


def in_zone(user, zone):
    user.time_zone = zone
    user.save(update_fields=["time_zone"])


def signed_in(client, user, moment):
    """Sign in at `moment`: a session from the pinned clock would have expired months away from it."""
    with time_machine.travel(moment, tick=True):
        client.force_login(user)
    return client


def monthly_task(user):
    client = ClientFactory()
    bucket = BucketFactory(clients=[client], recurrence=Recurrence.MONTHLY, start_date=date(2026, 1, 1))
    return TaskFactory(client=client, bucket=bucket, assignee=user, billable=True)


def used_per_period(http, bucket_id):
    """{period start: used seconds} as the bucket's page shows them, every period included."""
    page = http.get(reverse("buckets:detail", args=[bucket_id]), {"history": "all"})
    assert page.status_code == 200
    return {row.period.start: row.used_seconds for row in page.context["history"]}


def period_started_in(day, zone, agency_zone):
    """The month (the agency's: periods are the same for everyone) in which 23:50 local on `day` falls."""
    started = at(day, "23:50", zone).astimezone(ZoneInfo(agency_zone))
    return started.date().replace(day=1)


@pytest.mark.parametrize("day", MONTH_ENDS, ids=str)
@pytest.mark.parametrize(
    ("zone", "agency_zone"),
    [(AMSTERDAM, AMSTERDAM), (NEW_YORK, NEW_YORK), (NEW_YORK, "UTC")],
    ids=["amsterdam", "new-york", "new-york-in-a-utc-agency"],
)
def test_a_timer_over_midnight_is_one_entry_counted_in_the_period_it_started(
    settings, bob, client, zone, agency_zone, day
):
    settings.TIME_ZONE = agency_zone
    in_zone(bob, zone)
    task = monthly_task(bob)
    midnight = at(day + timedelta(days=1), "00:00", zone)
    bob_client = signed_in(client, bob, midnight - timedelta(minutes=10))
    with time_machine.travel(midnight - timedelta(minutes=10), tick=True):
        assert bob_client.post(reverse("tasks:task_continue", args=[task.pk])).status_code == 302
    entry = TimeEntry.objects.running().get(user=bob)
    with time_machine.travel(midnight + timedelta(minutes=10), tick=True):
        assert bob_client.post(reverse("tasks:timer_stop", args=[entry.pk])).status_code == 302
        used = used_per_period(bob_client, task.bucket_id)
    entry = TimeEntry.objects.get(task=task)
    assert entry.ended_at is not None and entry.duration_seconds == 20 * 60
    started_in = period_started_in(day, zone, agency_zone)
    assert used[started_in] == entry.rounded_seconds
    assert sum(used.values()) == entry.rounded_seconds  # and in no other period


@pytest.mark.parametrize("day", [date(2026, 10, 31), date(2026, 12, 31), date(2028, 2, 29)], ids=str)
@pytest.mark.parametrize("zone", [AMSTERDAM, NEW_YORK])
def test_a_timer_paused_over_a_month_end_through_the_api_counts_the_time_worked(
    settings, bob, client, zone, day
):
    settings.TIME_ZONE = zone
    in_zone(bob, zone)
    task = monthly_task(bob)
    midnight = at(day + timedelta(days=1), "00:00", zone)
    bob_client = signed_in(client, bob, midnight - timedelta(minutes=10))
    steps = [(-10, "start", 201), (-2, "pause", 200), (3, "start", 200), (15, "stop", 200)]
    for minutes, action, status in steps:
        # A stopped clock for each step: the pause is measured to the second, and a ticking clock's few
        # milliseconds of jitter would make it 4:59 instead of 5:00.
        with time_machine.travel(midnight + timedelta(minutes=minutes), tick=False):
            response = bob_client.post(
                f"/api/v1/tasks/{task.pk}/{action}", {}, content_type="application/json"
            )
        assert response.status_code == status, f"{action}: {response.content}"
    with time_machine.travel(midnight + timedelta(minutes=16), tick=True):
        used = used_per_period(bob_client, task.bucket_id)
    entry = TimeEntry.objects.get(task=task)
    # 25 minutes from start to stop, 5 of them paused.
    assert entry.duration_seconds == 20 * 60 and entry.paused_seconds == 5 * 60
    assert used[day.replace(day=1)] == entry.rounded_seconds
    assert sum(used.values()) == entry.rounded_seconds


# Local wall-clock spans over the switch, and the hours that really pass: Amsterdam skips 02:00-03:00 in
# spring and repeats it in autumn; New York skips 02:00-03:00 in spring and repeats 01:00-02:00 in autumn.
DST_SPANS = [
    pytest.param(AMSTERDAM, AMSTERDAM_SPRING, "01:30", "03:30", 1, id="amsterdam-spring"),
    pytest.param(AMSTERDAM, AMSTERDAM_AUTUMN, "01:30", "03:30", 3, id="amsterdam-autumn"),
    pytest.param(NEW_YORK, NEW_YORK_SPRING, "00:30", "03:30", 2, id="new-york-spring"),
    pytest.param(NEW_YORK, NEW_YORK_AUTUMN, "00:30", "03:30", 4, id="new-york-autumn"),
]


@pytest.mark.parametrize(("zone", "day", "start", "end", "hours"), DST_SPANS)
def test_manual_time_over_a_dst_switch_stores_the_hours_that_passed(
    bob, client, zone, day, start, end, hours
):
    in_zone(bob, zone)
    task = TaskFactory(assignee=bob)
    bob_client = signed_in(client, bob, at(day, "12:00", zone))
    with time_machine.travel(at(day, "12:00", zone), tick=True):
        response = bob_client.post(
            reverse("tasks:entry_add"), {"task": task.pk, "date": day, "start": start, "end": end}
        )
    assert response.status_code == 302
    entry = TimeEntry.objects.get(task=task)
    assert entry.duration_seconds == hours * 3600
    assert entry.ended_at - entry.started_at == timedelta(hours=hours)
    assert entry.started_at == at(day, start, zone)


@pytest.mark.parametrize(
    ("zone", "day"),
    [(AMSTERDAM, AMSTERDAM_SPRING), (NEW_YORK, NEW_YORK_SPRING)],
    ids=["amsterdam", "new-york"],
)
def test_a_start_time_the_clocks_skip_is_a_form_error_naming_it(bob, client, zone, day):
    in_zone(bob, zone)
    task = TaskFactory(assignee=bob)
    bob_client = signed_in(client, bob, at(day, "12:00", zone))
    with time_machine.travel(at(day, "12:00", zone), tick=True):
        response = bob_client.post(
            reverse("tasks:entry_add"),
            {"task": task.pk, "date": day, "start": "02:15", "end": "04:00"},
            **HTMX,
        )
    assert not TimeEntry.objects.filter(task=task).exists(), "02:15 does not exist that day; nothing is saved"
    assert response.status_code == 200
    # The error itself names the time (the re-rendered input would show "02:15" anyway).
    assert "02:15" in str(response.context["form"].errors)


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        pytest.param(AMSTERDAM, AMSTERDAM_SPRING, id="amsterdam-23-hours"),
        pytest.param(AMSTERDAM, AMSTERDAM_AUTUMN, id="amsterdam-25-hours"),
        pytest.param(NEW_YORK, NEW_YORK_SPRING, id="new-york-23-hours"),
        pytest.param(NEW_YORK, NEW_YORK_AUTUMN, id="new-york-25-hours"),
    ],
)
def test_a_grid_cell_on_a_dst_day_records_what_was_typed(bob, client, zone, day):
    in_zone(bob, zone)
    task = TaskFactory(assignee=bob)
    bob_client = signed_in(client, bob, at(day, "12:00", zone))
    with time_machine.travel(at(day, "12:00", zone), tick=True):
        response = bob_client.post(
            reverse("tasks:timesheet_cell"), {"task": task.pk, "day": day, "value": "8:00"}, **HTMX
        )
        week = bob_client.get(reverse("tasks:timesheet"), {"week": day})
    assert response.status_code == 200 and not response.context["error"]
    entry = TimeEntry.objects.get(task=task)
    assert entry.duration_seconds == 8 * 3600
    assert entry.started_at.astimezone(ZoneInfo(zone)).date() == day
    assert dict(week.context["rows"][0].cells)[day] == 8 * 3600
