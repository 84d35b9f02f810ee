from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import BucketFactory, ClientFactory, TaskFactory, TimeEntryFactory, UserFactory
from timetracker.tasks.models import TimeEntry, write_path

pytestmark = pytest.mark.django_db


def running(user, task, minutes_ago=0, **kwargs):
    started = timezone.now() - timedelta(minutes=minutes_ago)
    return TimeEntryFactory(task=task, user=user, started_at=started, ended_at=None, **kwargs)


def test_start_pause_resume_and_stop_a_timer(api_bob, bob):
    task = TaskFactory(assignee=bob)
    started = api_bob.post(f"/api/v1/tasks/{task.pk}/start")
    assert started.status_code == 201 and started.json()["task"]["id"] == task.pk
    entry = TimeEntry.objects.get(user=bob, ended_at__isnull=True)
    task.refresh_from_db()
    assert task.status == "working"

    assert api_bob.post(f"/api/v1/tasks/{task.pk}/pause").json()["paused"] is True
    entry.refresh_from_db()
    assert entry.paused_at is not None
    resumed = api_bob.post(f"/api/v1/tasks/{task.pk}/start", {}, format="json")
    assert resumed.status_code == 200 and resumed.json()["paused"] is False

    # Two minutes ago, so the stop has a whole minute to submit.
    with write_path():
        TimeEntry.objects.filter(pk=entry.pk).update(started_at=timezone.now() - timedelta(minutes=2))
    stopped = api_bob.post(f"/api/v1/tasks/{task.pk}/stop")
    assert stopped.status_code == 200 and stopped.json()["ended_at"]
    entry.refresh_from_db()
    task.refresh_from_db()
    assert entry.ended_at is not None and entry.duration_seconds >= 60 and task.status == "completed"


def test_starting_twice_on_the_same_task_is_a_409(api_bob, bob):
    task = TaskFactory(assignee=bob)
    running(bob, task)
    response = api_bob.post(f"/api/v1/tasks/{task.pk}/start")
    assert response.status_code == 409 and "already running" in response.json()["error"]["message"]


def test_starting_elsewhere_stops_the_running_timer(api_bob, bob):
    first, second = TaskFactory(assignee=bob), TaskFactory(assignee=bob)
    old = running(bob, first, minutes_ago=5)
    assert api_bob.post(f"/api/v1/tasks/{second.pk}/start").status_code == 201
    old.refresh_from_db()
    assert old.ended_at is not None
    assert TimeEntry.objects.running().get(user=bob).task == second


def test_count_down_without_a_bucket_and_bad_modes_are_refused(api_bob, bob):
    task = TaskFactory(assignee=bob)
    response = api_bob.post(f"/api/v1/tasks/{task.pk}/start", {"timer_mode": "down"}, format="json")
    assert response.status_code == 409 and "bucket" in response.json()["error"]["message"]
    bad = api_bob.post(f"/api/v1/tasks/{task.pk}/start", {"timer_mode": "sideways"}, format="json")
    assert bad.status_code == 422
    client = ClientFactory()
    down = TaskFactory(assignee=bob, client=client, bucket=BucketFactory(clients=[client]))
    ok = api_bob.post(f"/api/v1/tasks/{down.pk}/start", {"timer_mode": "down"}, format="json")
    assert ok.status_code == 201 and ok.json()["timer_mode"] == "down"


def test_pause_or_stop_without_a_running_timer_is_a_409(api_bob, bob):
    task = TaskFactory(assignee=bob)
    for action in ("pause", "stop"):
        response = api_bob.post(f"/api/v1/tasks/{task.pk}/{action}")
        assert response.status_code == 409
        assert "no running timer on this task" in response.json()["error"]["message"]


def test_stopping_under_a_minute_is_a_409_and_keeps_the_timer(api_bob, bob):
    task = TaskFactory(assignee=bob)
    entry = running(bob, task)
    response = api_bob.post(f"/api/v1/tasks/{task.pk}/stop")
    assert response.status_code == 409 and "minute" in response.json()["error"]["message"]
    entry.refresh_from_db()
    assert entry.ended_at is None


def test_timers_on_invisible_tasks_are_a_404(api_bob):
    task = TaskFactory()
    for action in ("start", "pause", "stop"):
        assert api_bob.post(f"/api/v1/tasks/{task.pk}/{action}").status_code == 404


def test_active_timers_staff_see_their_own_managers_everyones(api_bob, api_dana, bob):
    other = UserFactory(role="Staff")
    mine = running(bob, TaskFactory(assignee=bob), minutes_ago=10)
    running(other, TaskFactory())
    rows = api_bob.get("/api/v1/timers/active").json()["results"]
    assert [r["id"] for r in rows] == [mine.pk]
    assert rows[0]["user"]["id"] == bob.pk and rows[0]["seconds"] >= 600 and rows[0]["paused"] is False
    assert api_dana.get("/api/v1/timers/active").json()["count"] == 2
    assert api_dana.get("/api/v1/timers/active?user=1").status_code == 400


def test_stop_all_stops_what_it_may_and_reports_the_too_short(api_dana, api_bob, bob):
    other = UserFactory(role="Staff")
    long_one = running(bob, TaskFactory(assignee=bob), minutes_ago=30)
    short_one = running(other, TaskFactory())
    # Staff stop only their own.
    body = api_bob.post("/api/v1/timers/stop-all").json()
    assert [t["id"] for t in body["stopped"]] == [long_one.pk] and body["refused"] == []
    short_one.refresh_from_db()
    assert short_one.ended_at is None
    body = api_dana.post("/api/v1/timers/stop-all").json()
    assert body["stopped"] == [] and [r["timer"]["id"] for r in body["refused"]] == [short_one.pk]
    assert "minute" in body["refused"][0]["message"]
    long_one.refresh_from_db()
    assert long_one.ended_at is not None and long_one.duration_seconds >= 29 * 60


def test_the_active_list_takes_a_fixed_number_of_queries(api_dana):
    def count(rows):
        with write_path():
            TimeEntry.objects.update(ended_at=timezone.now())
        for _ in range(rows):
            running(UserFactory(role="Staff"), TaskFactory(), minutes_ago=5)
        with CaptureQueriesContext(connection) as queries:
            assert api_dana.get("/api/v1/timers/active").json()["count"] == rows
        return len(queries)

    count(1)
    assert count(3) == count(20)


def test_a_manager_who_stops_someone_elses_timer_is_named_in_its_history(api_dana, dana, bob):
    entry = running(bob, TaskFactory(), minutes_ago=30)
    assert api_dana.post("/api/v1/timers/stop-all").status_code == 200
    entry.refresh_from_db()
    assert not entry.is_running
    assert entry.history.order_by("-history_date").first().history_user == dana
