"""ETag on single resources and If-Match on PATCH / PUT / DELETE: a stale write is a 412 and changes nothing."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.factories import ClientFactory, ProjectFactory, TaskFactory, TimeEntryFactory
from timetracker.clients.models import Client
from timetracker.tasks.models import Task, TimeEntry

pytestmark = pytest.mark.django_db


def etag(api, url):
    response = api.get(url)
    assert response.status_code == 200, response.content
    assert response["ETag"].startswith('"') and response["ETag"].endswith('"')
    return response["ETag"]


@pytest.fixture
def urls(dana):
    client = ClientFactory()
    project = ProjectFactory(client=client)
    task = TaskFactory(client=client, project=project)
    entry = TimeEntryFactory(task=task, user=dana)
    return {
        "entry": f"/api/v1/time-entries/{entry.pk}",
        "task": f"/api/v1/tasks/{task.pk}",
        "client": f"/api/v1/clients/{client.pk}",
        "project": f"/api/v1/projects/{project.pk}",
    }


CHANGES = {
    "entry": {"description": "Changed"},
    "task": {"title": "Changed"},
    "client": {"name": "Changed"},
    "project": {"name": "Changed"},
}


@pytest.mark.parametrize("kind", ["entry", "task", "client", "project"])
def test_the_etag_is_stable_and_changes_with_the_resource(api_dana, urls, kind):
    url = urls[kind]
    first = etag(api_dana, url)
    assert etag(api_dana, url) == first
    changed = api_dana.patch(url, CHANGES[kind], format="json", HTTP_IF_MATCH=first)
    assert changed.status_code == 200, changed.content
    assert changed["ETag"] != first and changed["ETag"] == etag(api_dana, url)


@pytest.mark.parametrize("kind", ["entry", "task", "client", "project"])
def test_a_stale_if_match_is_a_412_and_changes_nothing(api_dana, urls, kind):
    url = urls[kind]
    stale = etag(api_dana, url)
    assert api_dana.patch(url, CHANGES[kind], format="json").status_code == 200  # someone else's change
    before = api_dana.get(url).json()
    response = api_dana.patch(url, {**CHANGES[kind]} | _other(kind), format="json", HTTP_IF_MATCH=stale)
    assert response.status_code == 412
    assert "changed since you read it" in response.json()["error"]["message"]
    assert api_dana.get(url).json() == before


def _other(kind):
    key = next(iter(CHANGES[kind]))
    return {key: "Second change"}


def test_a_stale_delete_is_a_412_and_deletes_nothing(api_dana, urls):
    url = urls["entry"]
    stale = etag(api_dana, url)
    api_dana.patch(url, {"description": "moved on"}, format="json")
    assert api_dana.delete(url, HTTP_IF_MATCH=stale).status_code == 412
    assert TimeEntry.objects.count() == 1
    assert api_dana.delete(url, HTTP_IF_MATCH=etag(api_dana, url)).status_code == 204
    assert not TimeEntry.objects.exists()


def test_if_match_star_and_lists(api_dana, urls):
    url = urls["task"]
    current = etag(api_dana, url)
    assert api_dana.patch(url, {"title": "A"}, format="json", HTTP_IF_MATCH="*").status_code == 200
    newer = etag(api_dana, url)
    assert (
        api_dana.patch(url, {"title": "B"}, format="json", HTTP_IF_MATCH=f"{current}, {newer}").status_code
        == 200
    )
    assert (
        api_dana.patch(
            url, {"title": "C"}, format="json", HTTP_IF_MATCH=f"W/{etag(api_dana, url)}"
        ).status_code
        == 412
    )
    assert Task.objects.get().title == "B"


def test_without_if_match_writes_go_through(api_dana, urls):
    assert api_dana.patch(urls["client"], {"name": "Plain"}, format="json").status_code == 200
    assert Client.objects.get().name == "Plain"


def test_an_unknown_resource_with_if_match_is_still_a_404(api_dana):
    assert (
        api_dana.patch(
            "/api/v1/time-entries/999999", {"description": "x"}, format="json", HTTP_IF_MATCH="*"
        ).status_code
        == 404
    )


def test_a_running_entrys_etag_does_not_move_with_the_clock(api_dana, dana):
    now = timezone.now()
    entry = TimeEntryFactory(task=TaskFactory(), user=dana, started_at=now, ended_at=None)
    url = f"/api/v1/time-entries/{entry.pk}"
    with time_machine.travel(now + timedelta(minutes=1), tick=False):
        first = etag(api_dana, url)
    with time_machine.travel(now + timedelta(minutes=11), tick=False):
        assert api_dana.get(url).json()["duration_seconds"] >= 600
        assert etag(api_dana, url) == first
    assert (
        api_dana.patch(url, {"description": "still going"}, format="json", HTTP_IF_MATCH=first).status_code
        == 200
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_if_match_check_and_its_write_are_one_step(monkeypatch):
    """Another writer cannot slip in between the ETag check and the write it allows: it waits for the
    conditional write to commit (before, it went in between and the stale write overwrote it with a 200)."""
    import threading

    from django.db import connections

    from tests.api.conftest import client_for
    from tests.factories import UserFactory
    from timetracker.api import guards

    dana, erin = UserFactory(role="Manager"), UserFactory(role="Manager")
    entry = TimeEntryFactory(task=TaskFactory(), user=dana, description="v1")
    url = f"/api/v1/time-entries/{entry.pk}"
    mine, theirs = client_for(dana), client_for(erin)
    tag = mine.get(url)["ETag"]
    original, other = guards._matches, {}

    def matches_while_another_writes(header, current):
        ok = original(header, current)
        if ok and not other:

            def write():
                try:
                    other["status"] = theirs.patch(url, {"description": "theirs"}, format="json").status_code
                finally:
                    connections.close_all()

            other["thread"] = threading.Thread(target=write)
            other["thread"].start()
            other["thread"].join(timeout=2)
            other["done_meanwhile"] = not other["thread"].is_alive()
        return ok

    monkeypatch.setattr(guards, "_matches", matches_while_another_writes)
    response = mine.patch(url, {"description": "mine"}, format="json", HTTP_IF_MATCH=tag)
    other["thread"].join()
    assert other["done_meanwhile"] is False  # it waited for the conditional write's locks
    assert (response.status_code, other["status"]) == (200, 200)
    assert TimeEntry.objects.get().description == "theirs"  # written after, on the version "mine" made
