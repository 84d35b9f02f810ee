"""POST /time-entries without an end starts a timer through tasks/timer.py, as POST /tasks/{id}/start does."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import TaskFactory, TimeEntryFactory
from timetracker.tasks.choices import EntrySource
from timetracker.tasks.models import TimeEntry

pytestmark = pytest.mark.django_db
URL = "/api/v1/time-entries"


@pytest.fixture
def task(bob):
    return TaskFactory(assignee=bob, billable=True)


def test_no_end_starts_a_timer_from_the_given_start(api_bob, bob, task):
    start = (timezone.now() - timedelta(minutes=20)).replace(microsecond=0)
    response = api_bob.post(
        URL, {"task_id": task.pk, "started_at": start.isoformat(), "description": "Calls"}, format="json"
    )
    assert response.status_code == 201, response.content
    shown = response.json()
    assert shown["status"] == "running" and shown["ended_at"] is None and shown["description"] == "Calls"
    assert 20 * 60 <= shown["duration_seconds"] < 22 * 60
    entry = TimeEntry.objects.get()
    assert entry.is_running and entry.started_at == start and entry.source == EntrySource.TIMER
    # The same timer the pages show: stopping it through the timers route works.
    stopped = api_bob.post(f"/api/v1/tasks/{task.pk}/stop")
    assert stopped.status_code == 200, stopped.content
    entry.refresh_from_db()
    assert not entry.is_running and entry.duration_seconds >= 20 * 60


def test_a_running_timer_is_stopped_first(api_bob, bob, task):
    earlier = TimeEntryFactory(
        task=TaskFactory(assignee=bob),
        user=bob,
        started_at=timezone.now() - timedelta(hours=1),
        ended_at=None,
    )
    response = api_bob.post(
        URL, {"task_id": task.pk, "started_at": timezone.now().isoformat()}, format="json"
    )
    assert response.status_code == 201, response.content
    earlier.refresh_from_db()
    assert earlier.ended_at is not None and earlier.duration_seconds >= 59 * 60
    assert list(TimeEntry.objects.running().values_list("task", flat=True)) == [task.pk]


def test_a_start_before_the_running_timer_is_a_409_and_changes_nothing(api_bob, bob, task):
    running = TimeEntryFactory(
        task=task, user=bob, started_at=timezone.now() - timedelta(minutes=5), ended_at=None
    )
    start = (timezone.now() - timedelta(hours=1)).isoformat()
    response = api_bob.post(URL, {"task_id": task.pk, "started_at": start}, format="json")
    assert response.status_code == 409 and "stop it first" in response.json()["error"]["message"]
    assert list(TimeEntry.objects.values_list("pk", "ended_at")) == [(running.pk, None)]


def test_billable_is_kept_on_the_timer(api_bob, task):
    body = {"task_id": task.pk, "started_at": timezone.now().isoformat(), "billable": False}
    assert api_bob.post(URL, body, format="json").json()["billable"] is False
    assert TimeEntry.objects.get().billable is False


def test_a_timer_for_someone_else_is_refused(api_dana, bob, task):
    body = {"task_id": task.pk, "user_id": bob.pk, "started_at": timezone.now().isoformat()}
    response = api_dana.post(URL, body, format="json")
    assert response.status_code == 422 and "ended_at" in response.json()["error"]["fields"]
    assert not TimeEntry.objects.exists()


def test_a_rate_without_an_end_is_refused(api_dana, task):
    body = {"task_id": task.pk, "started_at": timezone.now().isoformat(), "hourly_rate": "10.00"}
    response = api_dana.post(URL, body, format="json")
    assert response.status_code == 422 and "hourly_rate" in response.json()["error"]["fields"]
