"""Agency OS's own requests: create with start_time / end_time / project_id, unbilled rows, mark-invoiced."""

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.factories import ClientFactory, InvoiceLineFactory, ProjectFactory, TaskFactory, TimeEntryFactory
from timetracker.tasks.models import Task, TimeEntry

pytestmark = pytest.mark.django_db
URL = "/api/v1/time-entries"


@pytest.fixture
def project():
    return ProjectFactory(name="Website relaunch", hourly_rate=Decimal("90.00"))


def agency_os_entry(project, **extra):
    return {
        "project_id": project.pk,
        "start_time": "2026-03-02T09:00:00+01:00",
        "end_time": "2026-03-02T10:30:00+01:00",
        "description": "Staging checks",
        "billable": True,
        **extra,
    }


def test_the_literal_create_files_time_on_the_projects_default_task(api_dana, project):
    response = api_dana.post(URL, agency_os_entry(project), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    task = Task.objects.get(pk=body["task_id"])
    assert (task.title, task.project_id, task.client_id) == ("General", project.pk, project.client_id)
    assert body["started_at"] == "2026-03-02T08:00:00Z" and body["duration_seconds"] == 90 * 60
    assert body["amount"] == "135.00"  # the project's rate
    # The second entry finds the same task.
    again = api_dana.post(URL, agency_os_entry(project, start_time="2026-03-03T09:00:00+01:00",
                                               end_time="2026-03-03T09:30:00+01:00"), format="json")  # fmt: skip
    assert again.json()["task_id"] == task.pk and Task.objects.filter(project=project).count() == 1


def test_a_task_of_the_project_may_be_named(api_dana, project):
    task = TaskFactory(client=project.client, project=project)
    response = api_dana.post(URL, agency_os_entry(project, task_id=task.pk), format="json")
    assert response.status_code == 201 and response.json()["task_id"] == task.pk


def test_a_task_of_another_project_is_refused(api_dana, project):
    task = TaskFactory(project=ProjectFactory(client=project.client))
    response = api_dana.post(URL, agency_os_entry(project, task_id=task.pk), format="json")
    assert response.status_code == 422 and "project_id" in response.json()["error"]["fields"]
    assert not TimeEntry.objects.exists()


def test_an_unknown_project_is_a_404(api_dana, project):
    response = api_dana.post(URL, agency_os_entry(project, project_id=999_999), format="json")
    assert response.status_code == 404


def test_an_archived_project_takes_no_time(api_dana, project):
    project.archive()
    response = api_dana.post(URL, agency_os_entry(project), format="json")
    assert response.status_code == 422 and "archived" in response.json()["error"]["message"]
    assert not Task.objects.exists()


def test_a_refused_entry_leaves_no_default_task_behind(api_dana, project):
    response = api_dana.post(
        URL, agency_os_entry(project, end_time="2026-03-02T09:00:30+01:00"), format="json"
    )
    assert response.status_code == 422
    assert not Task.objects.exists()


def test_start_time_and_started_at_together_are_refused(api_dana, project):
    body = agency_os_entry(project, started_at="2026-03-02T09:00:00+01:00")
    response = api_dana.post(URL, body, format="json")
    assert response.status_code == 422 and "start_time" in response.json()["error"]["fields"]


def test_an_error_names_the_field_as_it_was_sent(api_dana, project):
    response = api_dana.post(URL, agency_os_entry(project, end_time="yesterday"), format="json")
    assert response.status_code == 422 and set(response.json()["error"]["fields"]) == {"end_time"}


def local_day(entry, user):
    return entry.started_at.astimezone(ZoneInfo(user.time_zone)).date().isoformat()


def test_unbilled_rows_carry_project_task_date_and_hours(api_dana, dana, project):
    task = TaskFactory(client=project.client, project=project, title="Migration")
    entry = TimeEntryFactory(task=task, user=dana)
    loose = TimeEntryFactory(task=TaskFactory(client=project.client, title="Support"), user=dana)
    body = api_dana.get(f"{URL}/unbilled", {"client_id": project.client_id}).json()
    rows = {row["task_id"]: row for row in body["results"]}
    assert rows[task.pk]["project_name"] == "Website relaunch" and rows[task.pk]["task_name"] == "Migration"
    assert rows[task.pk]["hours"] == "1.00" and rows[task.pk]["date"] == local_day(entry, dana)
    assert rows[loose.task_id]["project_name"] is None
    assert body["total_hours"] == "2.00"


def test_mark_invoiced_without_a_body_and_undo(api_dana):
    entry = TimeEntryFactory(task=TaskFactory())
    response = api_dana.put(f"{URL}/{entry.pk}/mark-invoiced")
    assert response.status_code == 200, response.content
    assert response.json()["billing"]["status"] == "invoiced"
    entry.refresh_from_db()
    assert entry.is_invoiced
    undone = api_dana.delete(f"{URL}/{entry.pk}/mark-invoiced")
    assert undone.status_code == 200 and undone.json()["billing"]["status"] == "not_invoiced"
    entry.refresh_from_db()
    assert not entry.is_invoiced and entry.billed_elsewhere == ""
    assert api_dana.delete(f"{URL}/{entry.pk}/mark-invoiced").status_code == 409


@pytest.mark.parametrize(
    ("body", "kept"),
    [
        ({"invoice_id": 12}, "invoice 12"),
        ({"reference": "EXT-14"}, "EXT-14"),
        ({"reference": "EXT-14", "invoice_id": "12"}, "EXT-14 (invoice 12)"),
    ],
)
def test_mark_invoiced_keeps_the_reference_and_invoice_id(api_dana, body, kept):
    entry = TimeEntryFactory(task=TaskFactory())
    assert api_dana.put(f"{URL}/{entry.pk}/mark-invoiced", body, format="json").status_code == 200
    entry.refresh_from_db()
    assert entry.billed_elsewhere == kept


def test_undo_does_not_take_time_off_our_own_invoice(api_dana):
    entry = TimeEntryFactory(task=TaskFactory(), invoice_line=InvoiceLineFactory())
    response = api_dana.delete(f"{URL}/{entry.pk}/mark-invoiced")
    assert response.status_code == 409 and "invoice" in response.json()["error"]["message"]


def test_staff_may_not_undo(api_bob, bob):
    entry = TimeEntryFactory(task=TaskFactory(), user=bob, billed_elsewhere="EXT-1")
    assert api_bob.delete(f"{URL}/{entry.pk}/mark-invoiced").status_code == 403


def test_a_client_alone_files_on_the_clients_default_task(api_dana):
    client = ClientFactory()
    body = {"client_id": client.pk, "started_at": "2026-03-02T09:00:00Z", "ended_at": "2026-03-02T10:00:00Z"}
    response = api_dana.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    task = Task.objects.get(pk=response.json()["task_id"])
    assert (task.title, task.client_id, task.project_id) == ("General", client.pk, None)
