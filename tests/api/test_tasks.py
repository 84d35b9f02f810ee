from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import client_for
from tests.factories import (
    BucketFactory,
    ClientFactory,
    InvoiceLineFactory,
    ProjectFactory,
    SiteFactory,
    TaskFactory,
    TimeEntryFactory,
)
from timetracker.tasks.models import Task, TimeEntry, write_path

pytestmark = pytest.mark.django_db


def test_a_manager_lists_every_task_with_its_tracked_time(api_dana, bob):
    task = TaskFactory(title="Fix header", hourly_rate=Decimal("80"))
    TimeEntryFactory(task=task, user=bob)
    body = api_dana.get("/api/v1/tasks").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["title"] == "Fix header" and row["tracked_seconds"] == 3600
    assert row["time_readable"].startswith("1h")
    assert row["hourly_rate"] == "80.00" and row["site_ids"] == [] and row["client_id"] == task.client_id


def test_staff_see_only_their_tasks_and_no_rates(api_bob, bob):
    mine = TaskFactory(assignee=bob, hourly_rate=Decimal("80"))
    TaskFactory()
    rows = api_bob.get("/api/v1/tasks").json()["results"]
    assert [r["id"] for r in rows] == [mine.pk] and rows[0]["hourly_rate"] is None


def test_filters_narrow_and_unknown_or_missing_ones_are_a_400(api_dana):
    client = ClientFactory()
    site = SiteFactory(client=client)
    wanted = TaskFactory(client=client, sites=[site], status="completed")
    TaskFactory(client=client)
    assert [r["id"] for r in api_dana.get(f"/api/v1/tasks?site_id={site.pk}").json()["results"]] == [
        wanted.pk
    ]
    assert api_dana.get("/api/v1/tasks?status=completed").json()["count"] == 1
    assert api_dana.get(f"/api/v1/tasks?client_id={client.pk}&sort=title&order=asc").json()["count"] == 2
    for query, named in [
        ("colour=red", "colour"),
        ("client_id=999999", "client_id"),
        ("project_id=abc", "project_id"),
        ("bucket_id=99999999999999999999999", "bucket_id"),
        ("status=lost", "status"),
        ("sort=price", "sort"),
    ]:
        response = api_dana.get(f"/api/v1/tasks?{query}")
        assert response.status_code == 400 and named in response.json()["error"]["message"], query


def test_create_a_task_assigned_to_the_caller(api_bob, bob):
    client = ClientFactory()
    project = ProjectFactory(client=client, billable=False)
    site = SiteFactory(client=client)
    bucket = BucketFactory(clients=[client])
    response = api_bob.post(
        "/api/v1/tasks",
        {
            "title": "New banner",
            "client_id": client.pk,
            "project_id": project.pk,
            "site_ids": [site.pk],
            "bucket_id": bucket.pk,
            "hourly_rate": "500.00",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    task = Task.objects.get(pk=response.json()["id"])
    assert task.assignee == bob and task.created_by == bob and list(task.sites.all()) == [site]
    assert task.hourly_rate is None  # Staff cannot set rates
    assert task.billable is False  # the project's default


def test_a_manager_sets_the_rate_and_the_assignee(api_dana, bob):
    client = ClientFactory()
    response = api_dana.post(
        "/api/v1/tasks",
        {"title": "Audit", "client_id": client.pk, "hourly_rate": "95", "assignee_id": bob.pk},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["hourly_rate"] == "95.00" and response.json()["assignee_id"] == bob.pk


@pytest.mark.parametrize(
    "change, field",
    [
        ({"bucket": True}, "bucket_id"),
        ({"project": True}, "project_id"),
        ({"site": True}, "site_ids"),
        ({"client_id": 10**30}, "client_id"),
        ({"client_id": "abc"}, "client_id"),
        ({"title": ""}, "title"),
        ({"hourly_rate": "-5"}, "hourly_rate"),
    ],
)
def test_bad_bodies_are_a_422_naming_the_field(api_dana, change, field):
    client, other = ClientFactory(), ClientFactory()
    body = {"title": "Audit", "client_id": client.pk}
    if change.pop("bucket", None):
        body["bucket_id"] = BucketFactory(clients=[other]).pk
    if change.pop("project", None):
        body["project_id"] = ProjectFactory(client=other).pk
    if change.pop("site", None):
        body["site_ids"] = [SiteFactory(client=other).pk]
    body.update(change)
    response = api_dana.post("/api/v1/tasks", body, format="json")
    assert response.status_code == 422 and field in response.json()["error"]["fields"]
    assert not Task.objects.exists()


def test_staff_cannot_assign_others(api_bob, dana):
    response = api_bob.post(
        "/api/v1/tasks",
        {"title": "x", "client_id": ClientFactory().pk, "assignee_id": dana.pk},
        format="json",
    )
    assert response.status_code == 422 and "assignee_id" in response.json()["error"]["fields"]


def test_get_and_patch_a_task(api_bob, bob):
    task = TaskFactory(assignee=bob, title="Old")
    assert api_bob.get(f"/api/v1/tasks/{task.pk}").json()["title"] == "Old"
    response = api_bob.patch(f"/api/v1/tasks/{task.pk}", {"title": "New", "billable": False}, format="json")
    assert response.status_code == 200 and response.json()["title"] == "New"
    task.refresh_from_db()
    assert task.title == "New" and task.billable is False


def test_invisible_or_unknown_tasks_are_a_404(api_bob):
    hidden = TaskFactory()
    for url in [f"/api/v1/tasks/{hidden.pk}", "/api/v1/tasks/99999", f"/api/v1/tasks/{10**30}"]:
        assert api_bob.get(url).status_code == 404
    assert api_bob.patch(f"/api/v1/tasks/{hidden.pk}", {"title": "x"}, format="json").status_code == 404
    assert api_bob.delete(f"/api/v1/tasks/{hidden.pk}").status_code == 404


def test_changing_a_field_locked_by_an_invoice_is_a_409_naming_it(api_dana):
    task = TaskFactory()
    TimeEntryFactory(task=task, invoice_line=InvoiceLineFactory())
    other = ClientFactory()
    response = api_dana.patch(f"/api/v1/tasks/{task.pk}", {"client_id": other.pk}, format="json")
    assert response.status_code == 409 and "client_id" in response.json()["error"]["message"]
    # Sending the same value again is not a change; the title is not locked.
    same = api_dana.patch(
        f"/api/v1/tasks/{task.pk}", {"client_id": task.client_id, "title": "T"}, format="json"
    )
    assert same.status_code == 200


def test_staff_cannot_change_a_task_others_worked_on(api_bob, bob):
    task = TaskFactory(assignee=bob)
    TimeEntryFactory(task=task)  # someone else's time
    response = api_bob.patch(f"/api/v1/tasks/{task.pk}", {"title": "Mine now"}, format="json")
    assert response.status_code == 409 and "title" in response.json()["error"]["message"]


def test_status_follows_the_timer(api_dana):
    task = TaskFactory()
    response = api_dana.patch(f"/api/v1/tasks/{task.pk}", {"status": "working"}, format="json")
    assert response.status_code == 422 and "status" in response.json()["error"]["fields"]


def test_delete_removes_the_task_and_its_time_unless_invoiced(api_dana):
    task = TaskFactory()
    TimeEntryFactory(task=task)
    assert api_dana.delete(f"/api/v1/tasks/{task.pk}").status_code == 204
    assert not Task.objects.filter(pk=task.pk).exists()
    invoiced = TaskFactory()
    TimeEntryFactory(task=invoiced, invoice_line=InvoiceLineFactory())
    response = api_dana.delete(f"/api/v1/tasks/{invoiced.pk}")
    assert response.status_code == 409 and Task.objects.filter(pk=invoiced.pk).exists()


def test_outsiders_get_a_403(charlie):
    assert client_for(charlie).get("/api/v1/tasks").status_code == 403


def test_the_task_list_takes_a_fixed_number_of_queries(api_dana, bob):
    def count(rows):
        with write_path():
            TimeEntry.objects.all().delete()
        Task.objects.all().delete()
        for _ in range(rows):
            task = TaskFactory(sites=[SiteFactory()])
            TimeEntryFactory(task=task, user=bob)
        with CaptureQueriesContext(connection) as queries:
            assert api_dana.get("/api/v1/tasks?per_page=100").json()["count"] == rows
        return len(queries)

    count(1)  # the first call creates the settings row and stamps the key
    assert count(3) == count(30)
