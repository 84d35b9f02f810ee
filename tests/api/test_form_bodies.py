"""Form-encoded and multipart bodies are read as JSON is, everywhere: one reader (api/parsers.py) for all views."""

from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from rest_framework.exceptions import ParseError

from tests.factories import ClientFactory, ProjectFactory, TaskFactory
from timetracker.api.parsers import nest, unwrap
from timetracker.tasks.models import Task, TimeEntry

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"


def form(api, method, url, pairs):
    """What `curl -d name=value ...` sends: the pairs urlencoded, as a form."""
    return getattr(api, method)(url, urlencode(pairs), content_type=FORM)


def test_nest_reads_bracketed_names_and_repeated_ones():
    data = QueryDict("time_entry[started_at]=a&time_entry[paused_duration]=90&site_ids[]=7&tag=x&tag=y&one=1")
    assert nest(data) == {
        "time_entry": {"started_at": "a", "paused_duration": "90"},
        "site_ids": ["7"],
        "tag": ["x", "y"],
        "one": "1",
    }
    assert nest(QueryDict("a[b][c]=1")) == {"a": {"b": {"c": "1"}}}
    assert nest(QueryDict("=1&[]=2&a]b=3")) == {"": "1", "[]": "2", "a]b": "3"}  # odd names stay as they are


@pytest.mark.parametrize("query", ["a=1&a[b]=2", "a[b]=2&a=1", "a[b][c][d][e][f][g]=1"])
def test_nest_refuses_names_that_clash_or_nest_too_deep(query):
    with pytest.raises(ParseError):
        nest(QueryDict(query))


def test_unwrap_takes_off_a_wrapper_only_when_it_is_the_whole_body():
    assert unwrap({"time_entry": {"a": 1}}, "time_entry") == {"a": 1}
    assert unwrap({"note": "text", "todo": "true"}, "note") == {"note": "text", "todo": "true"}
    assert unwrap({"note": {"note": "text"}}, "note") == {"note": "text"}


def test_a_form_post_creates_a_task(api_alice):
    client = ClientFactory()
    response = form(api_alice, "post", "/api/v1/tasks", {"client_id": client.pk, "title": "Update plugins"})
    assert response.status_code == 201, response.content
    assert Task.objects.get(pk=response.json()["id"]).title == "Update plugins"


def test_a_multipart_post_creates_a_task_with_a_list(api_alice):
    project = ProjectFactory()
    site = project.client.sites.create(name="a.example", url="https://a.example/")
    body = {"client_id": project.client_id, "title": "Theme", "site_ids[]": [site.pk], "billable": "false"}
    response = api_alice.post("/api/v1/tasks", body, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["site_ids"] == [site.pk] and response.json()["billable"] is False


def test_a_form_patch_changes_a_client(api_alice):
    client = ClientFactory(name="Old")
    response = form(api_alice, "patch", f"/api/v1/clients/{client.pk}", {"name": "New"})
    assert response.status_code == 200, response.content
    client.refresh_from_db()
    assert client.name == "New"


def test_a_form_left_out_boolean_is_not_false(api_alice):
    """DRF reads a missing checkbox of an HTML form as false; a form body here leaves it unset, as JSON does."""
    task = TaskFactory(billable=True)
    response = form(
        api_alice,
        "post",
        "/api/v1/time-entries",
        {"task_id": task.pk, "started_at": "2026-03-02T09:00:00Z", "ended_at": "2026-03-02T10:00:00Z"},
    )
    assert response.status_code == 201, response.content
    assert TimeEntry.objects.get(pk=response.json()["id"]).billable is True


def test_a_clashing_form_name_is_a_400(api_alice):
    response = form(api_alice, "post", "/api/v1/tasks", [("title", "x"), ("title[a]", "y")])
    assert response.status_code == 400
    assert "title[a]" in response.json()["error"]["message"]


def test_an_unsupported_body_type_is_still_a_415(api_alice):
    response = api_alice.post("/api/v1/tasks", "<task/>", content_type="application/xml")
    assert response.status_code == 415


def test_a_form_patch_of_the_settings_reads_true_and_false(api_alice):
    response = form(api_alice, "patch", "/api/v1/settings", {"rounding_enabled": "true"})
    assert response.status_code == 200, response.content
    assert response.json()["rounding_enabled"] is True
    assert form(api_alice, "patch", "/api/v1/settings", {"rounding_enabled": "perhaps"}).status_code == 422


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/projects", {"name": "P", "hourly_rate": ""}, "hourly_rate"),
        ("/api/v1/sites", {"name": 0}, "name"),
        ("/api/v1/clients", {"name": 12}, "name"),
        ("/api/v1/tasks", {"title": 5}, "title"),
    ],
)
def test_json_bodies_are_read_as_strictly_as_the_schema_says(api_alice, url, body, field):
    client = ClientFactory()
    response = api_alice.post(url, {"client_id": client.pk, **body}, format="json")
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]
