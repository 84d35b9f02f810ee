"""GET /api/v1/time-entries: shape, filters, aliases, sorting, key scoping and the 400s."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import client_for
from tests.factories import (
    ClientFactory,
    InvoiceLineFactory,
    ProjectFactory,
    TaskFactory,
    TimeEntryFactory,
)
from timetracker.billing.models import Settings

pytestmark = pytest.mark.django_db
URL = "/api/v1/time-entries"


def at(day, hour=10, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def ids(response):
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def error(response, status):
    assert response.status_code == status, response.content
    return response.json()["error"]["message"]


@pytest.fixture
def task():
    project = ProjectFactory(hourly_rate=Decimal("90.00"))
    return TaskFactory(client=project.client, project=project)


def test_an_entry_has_the_documented_shape(api_alice, alice, bob, task):
    line = InvoiceLineFactory()
    entry = TimeEntryFactory(
        task=task,
        user=bob,
        recorded_by=alice,
        started_at=at(2, 9),
        worked=timedelta(hours=1, minutes=30),
        hourly_rate=Decimal("90.00"),
        description="Banner",
        invoice_line=line,
    )
    row = api_alice.get(URL).json()["results"][0]
    assert row == {
        "id": entry.pk,
        "task_id": task.pk,
        "project_id": task.project_id,
        "client_id": task.client_id,
        "user_id": bob.pk,
        "recorded_by_id": alice.pk,
        "started_at": "2026-03-02T09:00:00Z",
        "ended_at": "2026-03-02T10:30:00Z",
        "paused_duration": 0,
        "duration_seconds": 5400,
        "rounded_seconds": 5400,
        "time_readable": "1h 30m",
        "status": "stopped",
        "billable": True,
        "hourly_rate": "90.00",
        "amount": "135.00",
        "description": "Banner",
        "billing": {"status": "invoiced", "invoice_id": line.invoice_id},
        "updated_at": entry.updated_at.isoformat().replace("+00:00", "Z"),
    }


def test_timestamps_carry_the_users_offset(bob, task):
    bob.time_zone = "Europe/Amsterdam"
    bob.save()
    TimeEntryFactory(task=task, user=bob, started_at=at(2, 9))
    row = client_for(bob).get(URL).json()["results"][0]
    assert row["started_at"] == "2026-03-02T10:00:00+01:00"


def test_staff_see_no_rates_unless_allowed(api_bob, bob, task):
    TimeEntryFactory(task=task, user=bob, hourly_rate=Decimal("90.00"))
    row = api_bob.get(URL).json()["results"][0]
    assert row["hourly_rate"] is None and row["amount"] is None
    Settings.objects.update_or_create(pk=1, defaults={"staff_can_see_rates": True})
    row = api_bob.get(URL).json()["results"][0]
    assert row["hourly_rate"] == "90.00" and row["amount"] == "90.00"


def test_a_staff_key_sees_only_its_own_entries(api_bob, api_dana, alice, bob, task):
    mine = TimeEntryFactory(task=task, user=bob)
    theirs = TimeEntryFactory(task=task, user=alice)
    assert ids(api_bob.get(URL)) == [mine.pk]
    assert sorted(ids(api_dana.get(URL))) == sorted([mine.pk, theirs.pk])
    # Someone else's user id reads as one that does not exist (tests/api/test_id_filter_scope.py).
    assert api_bob.get(URL, {"user_id": alice.pk}).status_code == 400
    assert api_bob.get(f"{URL}/{theirs.pk}").status_code == 404
    assert api_bob.get(f"{URL}/{mine.pk}").json()["id"] == mine.pk


def test_id_filters_and_the_contact_alias(api_alice, alice, bob):
    one, two = ClientFactory(), ClientFactory()
    project = ProjectFactory(client=one)
    a = TimeEntryFactory(task=TaskFactory(client=one, project=project), user=alice)
    b = TimeEntryFactory(task=TaskFactory(client=one), user=bob)
    c = TimeEntryFactory(task=TaskFactory(client=two), user=alice)
    assert ids(api_alice.get(URL, {"task_id": a.task_id})) == [a.pk]
    assert ids(api_alice.get(URL, {"project_id": project.pk})) == [a.pk]
    assert sorted(ids(api_alice.get(URL, {"client_id": one.pk}))) == sorted([a.pk, b.pk])
    assert sorted(ids(api_alice.get(URL, {"contact_id": one.pk}))) == sorted([a.pk, b.pk])
    assert sorted(ids(api_alice.get(URL, {"user_id": alice.pk}))) == sorted([a.pk, c.pk])
    assert ids(api_alice.get(URL, {"client_id": two.pk, "user_id": alice.pk})) == [c.pk]


def test_billable_billing_status_and_query(api_alice, alice, task):
    paid = TimeEntryFactory(task=task, user=alice, started_at=at(2), billed_elsewhere="EXT-1")
    free = TimeEntryFactory(
        task=task, user=alice, started_at=at(3), billable=False, description="Coffee chat"
    )
    open_ = TimeEntryFactory(task=task, user=alice, started_at=at(4), description="Fix the CHAT widget")
    assert ids(api_alice.get(URL, {"billable": "false"})) == [free.pk]
    assert ids(api_alice.get(URL, {"billable": "true"})) == [open_.pk, paid.pk]
    assert ids(api_alice.get(URL, {"billing_status": "invoiced"})) == [paid.pk]
    assert ids(api_alice.get(URL, {"billing_status": "not_invoiced"})) == [open_.pk, free.pk]
    assert ids(api_alice.get(URL, {"query": "chat"})) == [open_.pk, free.pk]


def test_running_entries_only_when_asked_for(api_alice, alice, task):
    stopped = TimeEntryFactory(task=task, user=alice, started_at=at(2))
    running = TimeEntryFactory(task=task, user=alice, ended_at=None)
    assert ids(api_alice.get(URL)) == [stopped.pk]
    assert ids(api_alice.get(URL, {"include_active": "true"})) == [running.pk, stopped.pk]
    assert ids(api_alice.get(URL, {"status": "running"})) == [running.pk]
    assert ids(api_alice.get(URL, {"status": "stopped", "include_active": "true"})) == [stopped.pk]
    row = api_alice.get(f"{URL}/{running.pk}").json()
    assert row["status"] == "running" and row["ended_at"] is None
    assert row["duration_seconds"] >= 3 * 3600 - 5


def test_dates_are_local_days_of_the_user(bob, task):
    bob.time_zone = "America/New_York"
    bob.save()
    api = client_for(bob)
    # 03:00 UTC on the 3rd is still the evening of the 2nd in New York.
    late = TimeEntryFactory(task=task, user=bob, started_at=at(3, 3))
    next_day = TimeEntryFactory(task=task, user=bob, started_at=at(3, 15))
    earlier = TimeEntryFactory(task=task, user=bob, started_at=at(1, 15))
    assert ids(api.get(URL, {"day": "2026-03-02"})) == [late.pk]
    assert ids(api.get(URL, {"from_date": "2026-03-02"})) == [next_day.pk, late.pk]
    assert ids(api.get(URL, {"date_start": "2026-03-02"})) == [next_day.pk, late.pk]
    assert ids(api.get(URL, {"to_date": "2026-03-02"})) == [late.pk, earlier.pk]
    assert ids(api.get(URL, {"date_end": "2026-03-01"})) == [earlier.pk]
    assert ids(api.get(URL, {"from_date": "2026-03-02", "to_date": "2026-03-02"})) == [late.pk]


def test_sort_and_order_with_timesheet_aliases(api_alice, alice, task):
    short = TimeEntryFactory(task=task, user=alice, started_at=at(2), worked=timedelta(minutes=5))
    long = TimeEntryFactory(task=task, user=alice, started_at=at(3), worked=timedelta(hours=2))
    middle = TimeEntryFactory(task=task, user=alice, started_at=at(4), worked=timedelta(minutes=30))
    assert ids(api_alice.get(URL)) == [middle.pk, long.pk, short.pk]
    assert ids(api_alice.get(URL, {"order": "asc"})) == [short.pk, long.pk, middle.pk]
    assert ids(api_alice.get(URL, {"sort": "timer_created", "order": "asc"})) == [
        short.pk,
        long.pk,
        middle.pk,
    ]
    assert ids(api_alice.get(URL, {"sort": "duration"})) == [long.pk, middle.pk, short.pk]
    assert ids(api_alice.get(URL, {"sort": "timer_time", "order": "asc"})) == [short.pk, middle.pk, long.pk]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"colour": "red"}, "colour"),
        ({"task_id": "999999"}, "task_id"),
        ({"project_id": "999999"}, "project_id"),
        ({"client_id": "999999"}, "client_id"),
        ({"contact_id": "999999"}, "contact_id"),  # the message names the parameter as it was sent
        ({"user_id": "999999"}, "user_id"),
        ({"task_id": "abc"}, "task_id"),
        ({"billable": "maybe"}, "billable"),
        ({"include_active": "sure"}, "include_active"),
        ({"from_date": "2026-13-01"}, "from_date"),
        ({"to_date": "yesterday"}, "to_date"),
        ({"day": "2026-02-30"}, "day"),
        ({"from_date": "2026-03-05", "to_date": "2026-03-01"}, "from_date"),
        ({"status": "paused"}, "status"),
        ({"billing_status": "paid"}, "billing_status"),
        ({"sort": "title"}, "sort"),
        ({"order": "up"}, "order"),
        ({"filter": "colour:red"}, "colour"),
        ({"filter": "period:last_decade"}, "last_decade"),
        ({"filter": "state:closed"}, "closed"),
        ({"filter": "period"}, "period"),
        ({"per_page": "101"}, "per_page"),
    ],
)
def test_malformed_filters_are_a_400_naming_them(api_alice, params, named):
    message = error(api_alice.get(URL, params), 400)
    assert named in message


def test_another_users_task_is_unknown_to_staff(api_bob, alice):
    hidden = TaskFactory()
    TimeEntryFactory(task=hidden, user=alice)
    assert "task_id" in error(api_bob.get(URL, {"task_id": hidden.pk}), 400)


def test_no_key_is_401_and_an_outsider_403(charlie):
    assert error(APIClient().get(URL), 401)
    assert error(client_for(charlie).get(URL), 403)


def test_pagination(api_alice, alice, task):
    for day in range(1, 8):
        TimeEntryFactory(task=task, user=alice, started_at=at(day))
    body = api_alice.get(URL, {"per_page": 3, "page": 3}).json()
    assert body["count"] == 7 and len(body["results"]) == 1 and body["next"] is None


def test_a_list_page_takes_a_fixed_number_of_queries(api_alice, alice, bob, django_assert_max_num_queries):
    Settings.load()

    def make(count):
        for n in range(count):
            TimeEntryFactory(
                task=TaskFactory(project=ProjectFactory()),
                user=alice if n % 2 else bob,
                invoice_line=InvoiceLineFactory() if n % 3 == 0 else None,
            )

    def queries(params):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert api_alice.get(URL, params).status_code == 200
        return len(captured)

    make(5)
    few = queries({"per_page": 100})
    make(45)
    many = queries({"per_page": 100})
    assert few == many
    with django_assert_max_num_queries(few):
        assert len(api_alice.get(URL, {"per_page": 100}).json()["results"]) == 50


@pytest.mark.parametrize("page", ["0", "null", "9"])
def test_a_page_that_does_not_exist_is_a_400(api_alice, alice, task, page):
    TimeEntryFactory(task=task, user=alice)
    assert "page" in error(api_alice.get(URL, {"page": page}), 400)
    assert "page" in error(api_alice.get(f"{URL}/unbilled", {"page": page}), 400)
