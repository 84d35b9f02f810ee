"""The lists' counts and the unbilled figures come from the kept totals when the filters allow: they must
equal what counting the entries gives, for every mix of filters, and for Staff their own only."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import ClientFactory, ProjectFactory, TaskFactory
from timetracker.billing import invoicing
from timetracker.tasks import entries
from timetracker.tasks.models import TimeEntry

pytestmark = pytest.mark.django_db
URL = "/api/v1/time-entries"
UNBILLED = "/api/v1/time-entries/unbilled"


@pytest.fixture
def mixed(alice, bob, dana):
    """Two clients, a project, billable and not, one entry invoiced, one billed elsewhere, a running timer."""
    acme = ClientFactory(name="Acme", hourly_rate=Decimal("100.00"))
    other = ClientFactory(name="Other", hourly_rate=Decimal("75.00"))
    project = ProjectFactory(client=acme)
    tasks = [TaskFactory(client=acme, project=project), TaskFactory(client=acme), TaskFactory(client=other)]
    start = timezone.now() - timedelta(days=20)
    made = []
    for n in range(12):
        at = start + timedelta(hours=5 * n)
        made.append(
            entries.record(
                task=tasks[n % 3],
                user=(bob, dana, alice)[n % 4 % 3],
                started_at=at,
                ended_at=at + timedelta(minutes=30 + 7 * n),
                billable=n % 5 != 0,
            )
        )
    invoicing.create_invoice(client=other, by=alice, start=start.date(), end=timezone.localdate())
    billed_outside = next(e for e in made if e.task.client == acme and e.billable)
    invoicing.mark_invoiced([billed_outside], reference="OUT-1", by=alice)
    entries.record(task=tasks[0], user=bob, started_at=timezone.now() - timedelta(minutes=3))  # running
    return {"acme": acme, "other": other, "project": project, "task": tasks[0]}


def filters(mixed, bob):
    return [
        {},
        {"client_id": mixed["acme"].pk},
        {"contact_id": mixed["other"].pk},
        {"project_id": mixed["project"].pk},
        {"task_id": mixed["task"].pk},
        {"user_id": bob.pk},
        {"status": "stopped"},
        {"status": "running"},
        {"include_active": "true"},
        {"billable": "false"},
        {"client_id": mixed["acme"].pk, "user_id": bob.pk, "sort": "duration", "order": "asc"},
    ]


@pytest.mark.parametrize("who", ["api_alice", "api_bob"])
def test_the_list_count_equals_the_entries_it_lists(request, mixed, bob, who):
    api = request.getfixturevalue(who)
    for params in filters(mixed, bob):
        body = api.get(URL, params | {"per_page": 100}).json()
        assert body["count"] == len(body["results"]), params
        if who == "api_bob":
            assert {row["user_id"] for row in body["results"]} <= {bob.pk}


def test_an_unfiltered_count_reads_no_entries(api_alice, mixed):
    with CaptureQueriesContext(connection) as queries:
        body = api_alice.get(URL, {"per_page": 1}).json()
    assert body["count"] == TimeEntry.objects.stopped().count() > 1
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert not any("tasks_timeentry" in sql for sql in counts), counts


@pytest.mark.parametrize("who", ["api_alice", "api_bob"])
def test_unbilled_figures_equal_the_unbilled_entries(request, mixed, bob, who):
    api = request.getfixturevalue(who)
    for params in ({}, {"client_id": mixed["acme"].pk}, {"project_id": mixed["project"].pk}):
        body = api.get(UNBILLED, params | {"per_page": 100}).json()
        rows = body["results"]
        assert body["count"] == len(rows), params
        listed = TimeEntry.objects.filter(pk__in=[row["id"] for row in rows])
        assert listed.count() == len(rows)
        figures = listed.totals()
        hours = (Decimal(figures["rounded"]) / 3600).quantize(Decimal("0.01"))
        assert Decimal(body["total_hours"]) == hours, params
        if body["total_amount"] is not None:
            assert Decimal(body["total_amount"]) == figures["amount"], params
        assert not listed.invoiced().exists() and not listed.non_billable().exists()
    assert api.get(UNBILLED).json()["count"] > 0
