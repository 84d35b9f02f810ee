"""Per-entry stop, restart and duplicate (Kimai's actions), through the timer and the write path."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import TaskFactory, TimeEntryFactory
from timetracker.tasks.models import TimeEntry

pytestmark = pytest.mark.django_db
URL = "/api/v1/time-entries"


@pytest.fixture
def task(bob):
    return TaskFactory(assignee=bob)


def test_stop_a_running_entry(api_bob, bob, task):
    running = TimeEntryFactory(
        task=task, user=bob, started_at=timezone.now() - timedelta(minutes=30), ended_at=None
    )
    response = api_bob.post(f"{URL}/{running.pk}/stop")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "stopped" and response.json()["duration_seconds"] >= 29 * 60
    assert api_bob.post(f"{URL}/{running.pk}/stop").status_code == 409  # already stopped


def test_restart_starts_a_timer_like_the_entry_and_stops_the_running_one(api_bob, bob, task):
    done = TimeEntryFactory(task=task, user=bob, description="Backups")
    other = TimeEntryFactory(
        task=TaskFactory(assignee=bob),
        user=bob,
        started_at=timezone.now() - timedelta(minutes=5),
        ended_at=None,
    )
    response = api_bob.post(f"{URL}/{done.pk}/restart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "running" and body["task_id"] == task.pk and body["description"] == "Backups"
    other.refresh_from_db()
    assert other.ended_at is not None


def test_duplicate_copies_the_work_as_a_new_unbilled_entry(api_dana, bob, task):
    source = TimeEntryFactory(
        task=task, user=bob, paused_seconds=300, description="Report", billed_elsewhere="EXT-1",
        hourly_rate=Decimal("70.00"), rate_source="entry",
    )  # fmt: skip
    response = api_dana.post(f"{URL}/{source.pk}/duplicate")
    assert response.status_code == 201, response.content
    copy = TimeEntry.objects.get(pk=response.json()["id"])
    assert (copy.task_id, copy.user_id, copy.started_at, copy.ended_at, copy.paused_seconds) == (
        task.pk, bob.pk, source.started_at.replace(second=0), source.ended_at.replace(second=0), 300
    )  # fmt: skip
    assert copy.description == "Report" and copy.hourly_rate == Decimal("70.00") and not copy.is_invoiced


def test_duplicating_a_running_entry_is_a_409(api_bob, bob, task):
    running = TimeEntryFactory(task=task, user=bob, ended_at=None)
    assert api_bob.post(f"{URL}/{running.pk}/duplicate").status_code == 409


def test_someone_elses_entry_is_a_404_for_staff(api_bob, dana, task):
    theirs = TimeEntryFactory(task=task, user=dana)
    for name in ("stop", "restart", "duplicate"):
        assert api_bob.post(f"{URL}/{theirs.pk}/{name}").status_code == 404
