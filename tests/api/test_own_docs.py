"""What our own docs promised and the API did otherwise: timers, pages past the end, unknown routes, task edits on
archived clients, and a schema as strict as the code."""

import json

import pytest
from django.test import Client, override_settings

from tests.api.conftest import client_for
from tests.factories import ProjectFactory, SiteFactory, TaskFactory, TimeEntryFactory
from timetracker.tasks.models import TimeEntry

pytestmark = pytest.mark.django_db


def test_starting_a_second_timer_stops_the_first(api_bob, bob):
    first, second = TaskFactory(assignee=bob), TaskFactory(assignee=bob)
    TimeEntryFactory(task=first, user=bob, ended_at=None)
    response = api_bob.post(f"/api/v1/tasks/{second.pk}/start")
    assert response.status_code == 201, response.content
    running = TimeEntry.objects.running_of(bob).get()
    assert running.task_id == second.pk
    assert TimeEntry.objects.filter(task=first, user=bob, ended_at__isnull=False).exists()


@pytest.mark.parametrize(
    "url",
    ["/api/v1/time-entries", "/api/v1/tasks", "/api/v1/clients", "/api/v1/projects", "/api/v1/timers/active",
     "/api/v1/time-entries/unbilled", "/api/v1/invoices"],
)  # fmt: skip
def test_a_page_past_the_end_is_a_400_on_every_list(api_alice, alice, url):
    TimeEntryFactory(task=TaskFactory(), user=alice)
    for page in ("99", "0", "x"):
        response = api_alice.get(url, {"page": page})
        assert response.status_code == 400, (url, page, response.content)
        assert response.json()["error"]["message"].startswith("page")


def test_a_page_past_the_end_of_an_entrys_notes_is_a_400(api_alice, alice):
    entry = TimeEntryFactory(task=TaskFactory(), user=alice)
    assert api_alice.get(f"/api/v1/time-entries/{entry.pk}/notes", {"page": 2}).status_code == 400


@override_settings(DEBUG=True)
@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/time-entries/abc", "/api/v1/tasks/", "/api/v2/me"])
def test_an_unknown_api_path_is_a_json_404_with_debug_on_too(bob, path):
    response = client_for(bob).get(path)
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert json.loads(response.content)["error"]["code"] == "not_found"


@override_settings(DEBUG=True)
def test_pages_keep_their_html_404_with_debug_on(bob):
    assert "text/html" in Client().get("/nope/")["Content-Type"]


def test_editing_a_task_of_an_archived_client_complains_only_about_what_was_sent(api_alice):
    project = ProjectFactory()
    site = SiteFactory(client=project.client)
    task = TaskFactory(client=project.client, project=project, sites=[site])
    for archived in (project.client, project, site):
        archived.archive()
    response = api_alice.patch(f"/api/v1/tasks/{task.pk}", {"title": "Renamed"}, format="json")
    assert response.status_code == 200, response.content
    task.refresh_from_db()
    assert task.title == "Renamed" and task.client_id == project.client_id and task.project_id == project.pk
    assert list(task.sites.all()) == [site]
    # Choosing an archived project anew is still refused, and named.
    other = ProjectFactory(client=project.client)
    other.archive()
    response = api_alice.patch(f"/api/v1/tasks/{task.pk}", {"project_id": other.pk}, format="json")
    assert response.status_code == 422 and set(response.json()["error"]["fields"]) == {"project_id"}
