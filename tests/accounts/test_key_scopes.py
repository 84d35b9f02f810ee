"""API keys with a scope (read-only, time-only, full) and an optional expiry, made and listed on the profile
page; each key's own request rate (429 + Retry-After)."""

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import TaskFactory, TimeEntryFactory
from timetracker.accounts.models import ApiKey, ApiKeyScope
from timetracker.lib import dates
from timetracker.tasks.models import TimeEntry

pytestmark = pytest.mark.django_db
ENTRY = {"started_at": "2026-03-02T09:00:00Z", "ended_at": "2026-03-02T10:00:00Z"}


def api(user, **kwargs):
    _, raw = ApiKey.issue(user=user, name="script", **kwargs)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def raw_key_on(page):
    return page.split('id="new-key-value" class="mono" type="text" value="', 1)[1].split('"', 1)[0]


def test_a_key_is_made_with_a_scope_and_expiry_and_listed(bob_client, bob):
    bob.time_zone = "Europe/Amsterdam"
    bob.save()
    last_day = date.today() + timedelta(days=30)
    page = bob_client.post(
        "/profile/keys/",
        {"name": "Reports", "scope": "read", "expires_on": last_day.isoformat()},
        follow=True,
    ).text
    key = ApiKey.objects.get(user=bob)
    assert key.scope == ApiKeyScope.READ
    # Works through the whole chosen day in the user's zone, then stops.
    assert key.expires_at == dates.day_bounds(last_day, "Europe/Amsterdam")[1]
    assert raw_key_on(page).startswith("tt_")
    listed = bob_client.get("/profile/").text
    assert "Read only: no changes" in listed and key.expires_at.strftime("%Y") in listed
    assert "requests per 60 seconds" in listed


def test_a_key_without_scope_or_expiry_is_full_and_never_expires(bob_client, bob):
    bob_client.post("/profile/keys/", {"name": "cli"})
    key = ApiKey.objects.get(user=bob)
    assert (key.scope, key.expires_at) == (ApiKeyScope.FULL, None)
    assert "No expiry" in bob_client.get("/profile/").text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"expires_on": "2020-01-01"}, "That day has passed; choose today or a later day."),
        ({"expires_on": "3001-01-01"}, "Choose a date between"),
        ({"expires_on": "soon"}, "Give the last day as a date"),
        ({"scope": "admin"}, "Select a valid choice."),
    ],
)
def test_a_bad_scope_or_expiry_is_refused_clearly(bob_client, bob, fields, message):
    response = bob_client.post("/profile/keys/", {"name": "cli", **fields})
    assert response.status_code == 422 and message in response.text
    assert not ApiKey.objects.exists()


def test_an_expired_key_is_refused_with_a_clear_401(bob):
    client = api(bob, expires_at=timezone.now() + timedelta(hours=1))
    assert client.get("/api/v1/me").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        response = client.get("/api/v1/me")
    assert response.status_code == 401
    message = response.json()["error"]["message"]
    assert (
        message.startswith("This API key expired on ") and "create a new one on your profile page" in message
    )
    assert ApiKey.objects.get().last_used_at is not None  # the refused use is not recorded as a use


def test_the_profile_marks_an_expired_key(bob_client, bob):
    ApiKey.issue(user=bob, name="old", expires_at=timezone.now() - timedelta(minutes=1))
    assert "Expired" in bob_client.get("/profile/").text


def test_a_read_only_key_reads_but_gets_403_on_every_write(bob):
    task = TaskFactory(assignee=bob)
    entry = TimeEntryFactory(task=task, user=bob)
    client = api(bob, scope=ApiKeyScope.READ)
    assert client.get("/api/v1/time-entries").status_code == 200
    assert client.get(f"/api/v1/time-entries/{entry.pk}").status_code == 200
    for response in (
        client.post("/api/v1/time-entries", {"task_id": task.pk, **ENTRY}, format="json"),
        client.patch(f"/api/v1/time-entries/{entry.pk}", {"description": "x"}, format="json"),
        client.delete(f"/api/v1/time-entries/{entry.pk}"),
        client.post(f"/api/v1/tasks/{task.pk}/start", {}, format="json"),
    ):
        assert response.status_code == 403
        assert (
            response.json()["error"]["message"]
            == "The API key “script” is read-only; it cannot change anything."
        )
    assert TimeEntry.objects.get().description == entry.description


def test_a_time_only_key_writes_time_and_timers_only(dana):
    task = TaskFactory()
    client = api(dana, scope=ApiKeyScope.TIME)
    created = client.post("/api/v1/time-entries", {"task_id": task.pk, **ENTRY}, format="json")
    assert created.status_code == 201, created.content
    entry_id = created.json()["id"]
    assert (
        client.patch(f"/api/v1/time-entries/{entry_id}", {"description": "y"}, format="json").status_code
        == 200
    )
    assert client.post(f"/api/v1/tasks/{task.pk}/start", {}, format="json").status_code in (200, 201)
    assert client.post(f"/api/v1/tasks/{task.pk}/stop", {}, format="json").status_code in (200, 409)
    for response in (
        client.patch(f"/api/v1/tasks/{task.pk}", {"title": "Renamed"}, format="json"),
        client.post("/api/v1/clients", {"name": "New client"}, format="json"),
        client.put(f"/api/v1/time-entries/{entry_id}/mark-invoiced", {}, format="json"),
    ):
        assert response.status_code == 403, response.content
        assert "may only write time entries and timers" in response.json()["error"]["message"]
    assert client.get("/api/v1/clients").status_code == 200


def test_a_scope_never_adds_to_the_role(bob):
    """A full key of a Staff user is still Staff: no client creation."""
    assert api(bob).post("/api/v1/clients", {"name": "X"}, format="json").status_code == 403


def test_each_key_has_its_own_request_rate(bob, settings):
    settings.THROTTLES = {**settings.THROTTLES, "api_key_requests": {"limit": 3, "seconds": 60}}
    first, second = api(bob), api(bob)
    assert [first.get("/api/v1/me").status_code for _ in range(3)] == [200] * 3
    refused = first.get("/api/v1/me")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["error"]["message"].startswith("Too many requests with this API key.")
    assert second.get("/api/v1/me").status_code == 200  # another key counts on its own
    with time_machine.travel(timezone.now() + timedelta(seconds=61), tick=False):
        assert first.get("/api/v1/me").status_code == 200  # the window has passed


@pytest.mark.django_db
def test_the_per_key_window_ends_on_time_with_the_shared_database_cache(settings):
    """The database cache (settings.py's advice for several workers) increments with a get and a set, which
    re-sets the entry's lifetime: a count kept under one key would outlive its window. Windows are numbered."""
    from datetime import UTC, datetime, timedelta

    import time_machine
    from django.core.management import call_command

    from tests.api.conftest import client_for
    from tests.factories import UserFactory

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "window_cache"}
    }
    call_command("createcachetable", verbosity=0)
    settings.THROTTLES = {**settings.THROTTLES, "api_key_requests": {"limit": 2, "seconds": 60}}
    api = client_for(UserFactory(role="Staff"))
    start = datetime(2026, 12, 1, 9, 0, 20, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        answers = [api.get("/api/v1/me") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[-1]["Retry-After"] == "40"  # the window ends at 09:01:00
    with time_machine.travel(start + timedelta(seconds=41), tick=False):
        assert api.get("/api/v1/me").status_code == 200
