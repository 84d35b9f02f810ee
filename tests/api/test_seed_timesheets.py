"""The Timesheets API's own requests, as its document writes them (`curl -d task_id=43 -d hours=1 ...`)."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest

from tests.api.conftest import client_for
from tests.factories import TaskFactory, TimeEntryFactory
from timetracker.tasks.models import TimeEntry

pytestmark = pytest.mark.django_db
URL = "/api/v1/time-entries"
FORM = "application/x-www-form-urlencoded"


def curl(api, method, url, *pairs):
    """`curl -X METHOD url -d name=value ...`: a form-encoded body."""
    return getattr(api, method)(url, urlencode(pairs), content_type=FORM)


@pytest.fixture
def task(bob):
    return TaskFactory(assignee=bob)


@pytest.fixture
def api(bob):
    bob.time_zone = "Europe/Amsterdam"
    bob.save()
    return client_for(bob)


def test_the_literal_create_is_accepted(api, task, bob):
    response = curl(
        api,
        "post",
        URL,
        ("task_id", task.pk),
        ("hours", "1"),
        ("minutes", "30"),
        ("timer_created", "2026-03-02"),
        ("description", "Plugin updates"),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (
        body["started_at"] == "2026-03-02T09:00:00+01:00" and body["ended_at"] == "2026-03-02T10:30:00+01:00"
    )
    assert body["time_readable"] == "1h 30m" and body["task_id"] == task.pk and body["user_id"] == bob.pk
    assert body["client_id"] == task.client_id and body["description"] == "Plugin updates"


def test_timer_created_with_a_time_starts_then(api, task):
    response = curl(
        api, "post", URL, ("task_id", task.pk), ("hours", "2"), ("timer_created", "2026-03-02T14:15:00Z")
    )
    assert response.status_code == 201, response.content
    assert response.json()["started_at"] == "2026-03-02T15:15:00+01:00"


@pytest.mark.parametrize(
    ("hours", "minutes", "worked"), [("1.5", None, 90), ("0.25", "5", 20), ("1.333", None, 79)]
)
def test_hours_may_be_decimal(api, task, hours, minutes, worked):
    pairs = [("task_id", task.pk), ("hours", hours), ("timer_created", "2026-03-02")]
    pairs += [("minutes", minutes)] if minutes else []
    response = curl(api, "post", URL, *pairs)
    assert response.status_code == 201, response.content
    assert response.json()["duration_seconds"] == worked * 60


def test_the_same_body_as_json_is_accepted(api, task):
    body = {"task_id": task.pk, "hours": 1.5, "minutes": 0, "timer_created": "2026-03-02"}
    response = api.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["duration_seconds"] == 90 * 60


def test_date_and_timer_created_together_are_refused(api, task):
    body = {"task_id": task.pk, "hours": 1, "timer_created": "2026-03-02", "date": "2026-03-02"}
    response = api.post(URL, body, format="json")
    assert response.status_code == 422 and "timer_created" in response.json()["error"]["fields"]


def test_an_unknown_task_is_a_404(api):
    response = curl(api, "post", URL, ("task_id", 999_999), ("hours", "1"), ("timer_created", "2026-03-02"))
    assert response.status_code == 404, response.content
    assert "999999" in response.json()["error"]["message"]


def test_another_staff_members_task_is_a_404_too(api):
    hidden = TaskFactory()
    response = curl(api, "post", URL, ("task_id", hidden.pk), ("hours", "1"), ("timer_created", "2026-03-02"))
    assert response.status_code == 404


def test_the_literal_edit_sets_hours_and_minutes_from_the_same_start(api, bob, task):
    entry = TimeEntryFactory(task=task, user=bob)
    started_at = entry.started_at.replace(second=0)
    response = curl(api, "patch", f"{URL}/{entry.pk}", ("hours", "2"), ("minutes", "15"))
    assert response.status_code == 200, response.content
    entry.refresh_from_db()
    assert entry.duration_seconds == 135 * 60 and response.json()["time_readable"] == "2h 15m"
    assert entry.started_at == started_at and entry.ended_at == started_at + timedelta(minutes=135)


def test_the_edit_keeps_a_pause_out_of_the_worked_time(api, bob, task):
    entry = TimeEntryFactory(task=task, user=bob, paused_seconds=600, worked=timedelta(hours=2))
    response = api.patch(f"{URL}/{entry.pk}", {"hours": "0.5"}, format="json")
    assert response.status_code == 200, response.content
    entry.refresh_from_db()
    assert entry.duration_seconds == 30 * 60 and entry.paused_seconds == 600


@pytest.mark.parametrize(
    "field", [("task_id", None), ("timer_created", "2026-03-03"), ("date", "2026-03-03"), ("user_id", None)]
)
def test_task_day_and_person_are_fixed_in_the_hours_form(api, bob, task, field):
    entry = TimeEntryFactory(task=task, user=bob)
    other = TaskFactory(assignee=bob)
    name, value = field
    value = value or (other.pk if name == "task_id" else bob.pk)
    response = curl(api, "patch", f"{URL}/{entry.pk}", ("hours", "1"), (name, value))
    assert response.status_code == 422, response.content
    assert name in response.json()["error"]["fields"]
    assert "fixed" in response.json()["error"]["message"]
    entry.refresh_from_db()
    assert entry.task_id == task.pk and entry.duration_seconds == 3600


def test_an_edit_that_leaves_less_than_a_minute_is_refused(api, bob, task):
    entry = TimeEntryFactory(task=task, user=bob)
    response = api.patch(f"{URL}/{entry.pk}", {"hours": 0, "minutes": 0}, format="json")
    assert response.status_code == 422 and "minutes" in response.json()["error"]["fields"]


def test_limit_is_per_page(api, bob, task):
    for _ in range(3):
        TimeEntryFactory(task=task, user=bob)
    body = api.get(URL, {"limit": 2, "sort": "timer_created"}).json()
    assert len(body["results"]) == 2 and body["count"] == 3 and "limit=2" in body["next"]
    assert api.get(URL, {"limit": 101}).status_code == 400
    assert api.get(URL, {"limit": 2, "per_page": 3}).status_code == 400
    assert len(api.get("/api/v1/tasks", {"limit": 1}).json()["results"]) == 1


def test_nothing_is_written_by_a_refused_create(api, task):
    curl(api, "post", URL, ("task_id", task.pk), ("hours", "0"), ("timer_created", "2026-03-02"))
    assert not TimeEntry.objects.exists()
