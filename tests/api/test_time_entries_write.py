"""POST, PATCH and DELETE on /api/v1/time-entries: both create forms, flooring, the minimum, every refusal."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import client_for
from tests.factories import BucketFactory, ProjectFactory, TaskFactory, TimeEntryFactory
from timetracker.billing import invoicing
from timetracker.tasks.models import TimeEntry

pytestmark = pytest.mark.django_db
URL = "/api/v1/time-entries"


def fail(response, status):
    assert response.status_code == status, response.content
    return response.json()["error"]


@pytest.fixture
def task(bob):
    project = ProjectFactory(hourly_rate=Decimal("80.00"))
    return TaskFactory(client=project.client, project=project, assignee=bob)


def test_create_with_times_floors_to_minutes_and_snapshots_the_rate(api_alice, alice, task):
    response = api_alice.post(
        URL,
        {
            "task_id": task.pk,
            "started_at": "2026-03-02T09:00:59+01:00",
            "ended_at": "2026-03-02T10:31:45+01:00",
            "paused_duration": 600,
            "description": "Hosting move",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["started_at"] == "2026-03-02T08:00:00Z" and body["ended_at"] == "2026-03-02T09:31:00Z"
    assert body["duration_seconds"] == 91 * 60 - 600 and body["time_readable"] == "1h 21m"
    assert body["project_id"] == task.project_id and body["client_id"] == task.client_id
    assert body["user_id"] == body["recorded_by_id"] == alice.pk
    entry = TimeEntry.objects.get(pk=body["id"])
    assert entry.source == "api" and entry.rate_source == "project" and entry.hourly_rate == Decimal("80.00")
    assert body["amount"] == "108.00"


def test_create_with_a_rate_override(api_alice, task):
    body = api_alice.post(
        URL,
        {
            "task_id": task.pk,
            "started_at": "2026-03-02T09:00:00Z",
            "ended_at": "2026-03-02T09:30:00Z",
            "hourly_rate": "95.50",
            "billable": False,
        },
        format="json",
    ).json()
    entry = TimeEntry.objects.get(pk=body["id"])
    assert entry.rate_source == "entry" and entry.hourly_rate == Decimal("95.50")
    assert body["billable"] is False and body["amount"] is None


def test_create_from_hours_and_minutes_starts_at_nine_local(bob, task):
    bob.time_zone = "Europe/Amsterdam"
    bob.save()
    response = client_for(bob).post(
        URL, {"task_id": task.pk, "hours": 1, "minutes": 15, "date": "2026-03-02"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["started_at"] == "2026-03-02T09:00:00+01:00"
    assert body["ended_at"] == "2026-03-02T10:15:00+01:00" and body["user_id"] == bob.pk


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"started_at": "2026-03-02T09:00:10Z", "ended_at": "2026-03-02T09:00:59Z"}, "ended_at"),
        (
            {"started_at": "2026-03-02T09:00Z", "ended_at": "2026-03-02T09:10Z", "paused_duration": 600},
            "ended_at",
        ),
        ({"started_at": "2026-03-02T10:00Z", "ended_at": "2026-03-02T09:00Z"}, "ended_at"),
        ({"ended_at": "2026-03-02T10:00Z"}, "started_at"),
        ({"started_at": "2999-03-02T10:00Z"}, "started_at"),  # no end: a timer, which cannot start later
        ({"started_at": "2026-03-02T10:00Z", "paused_duration": 60}, "paused_duration"),
        ({"hours": 0, "minutes": 0, "date": "2026-03-02"}, "minutes"),
        ({"minutes": 30}, "date"),
        ({"hours": 1, "minutes": 75, "date": "2026-03-02"}, "minutes"),
        ({"hours": 1, "date": "2026-03-02", "started_at": "2026-03-02T10:00Z"}, "started_at"),
        ({"hours": 1, "date": "2026-03-02", "colour": "red"}, "colour"),
        ({"hours": 1, "date": "1900-01-01"}, "date"),
    ],
)
def test_invalid_bodies_are_a_422_naming_the_field(api_alice, task, payload, field):
    error = fail(api_alice.post(URL, {"task_id": task.pk, **payload}, format="json"), 422)
    assert field in error["fields"]


def test_exactly_one_minute_is_enough(api_alice, task):
    payload = {"task_id": task.pk, "started_at": "2026-03-02T09:00:59Z", "ended_at": "2026-03-02T09:01:00Z"}
    assert api_alice.post(URL, payload, format="json").json()["duration_seconds"] == 60
    assert (
        api_alice.post(
            URL, {"task_id": task.pk, "minutes": 1, "date": "2026-03-03"}, format="json"
        ).status_code
        == 201
    )


def test_unknown_or_invisible_task_is_a_404(api_bob, task):
    """As the Timesheets API answers: an id that names nothing the key may see is not found."""
    other = TaskFactory()
    times = {"started_at": "2026-03-02T09:00Z", "ended_at": "2026-03-02T10:00Z"}
    for task_id in (999999, other.pk):
        error = fail(api_bob.post(URL, {"task_id": task_id, **times}, format="json"), 404)
        assert error["message"] == f"There is no task {task_id} that you can see."
    assert api_bob.post(URL, {"task_id": task.pk, **times}, format="json").status_code == 201


def test_staff_record_only_their_own_time(api_bob, api_dana, alice, bob, task):
    payload = {"task_id": task.pk, "user_id": alice.pk, "hours": 1, "date": "2026-03-02"}
    assert "themselves" in fail(api_bob.post(URL, payload, format="json"), 403)["message"]
    assert api_bob.post(URL, {**payload, "user_id": bob.pk}, format="json").status_code == 201
    made = api_dana.post(URL, payload, format="json").json()
    assert made["user_id"] == alice.pk
    assert "user_id" in fail(api_dana.post(URL, {**payload, "user_id": 999999}, format="json"), 422)["fields"]


def test_staff_may_not_set_rates(api_bob, task):
    payload = {"task_id": task.pk, "hours": 1, "date": "2026-03-02", "hourly_rate": "10.00"}
    assert fail(api_bob.post(URL, payload, format="json"), 403)


def test_a_used_up_hard_stop_bucket_is_a_409(api_alice, alice):
    bucket = BucketFactory(hours=Decimal("1"), hard_stop=True)
    task = TaskFactory(bucket=bucket)
    TimeEntryFactory(task=task, user=alice, worked=timedelta(hours=1))
    payload = {"task_id": task.pk, "hours": 1, "date": "2026-03-02"}
    assert "used up" in fail(api_alice.post(URL, payload, format="json"), 409)["message"]


def test_no_key_is_a_401(task):
    assert fail(APIClient().post(URL, {"task_id": task.pk}, format="json"), 401)


@pytest.fixture
def entry(bob, task):
    return TimeEntryFactory(
        task=task,
        user=bob,
        started_at=datetime(2026, 3, 2, 9, tzinfo=UTC),
        worked=timedelta(hours=1),
        hourly_rate=Decimal("80.00"),
        rate_source="project",
    )


def test_patch_changes_only_what_is_given_and_keeps_the_rate(api_bob, entry, task):
    task.project.hourly_rate = Decimal("120.00")
    task.project.save()
    response = api_bob.patch(f"{URL}/{entry.pk}", {"ended_at": "2026-03-02T11:30:42Z"}, format="json")
    assert response.status_code == 200, response.json()
    entry.refresh_from_db()
    assert entry.ended_at == datetime(2026, 3, 2, 11, 30, tzinfo=UTC)
    assert entry.duration_seconds == 9000 and entry.hourly_rate == Decimal("80.00")
    assert entry.amount == Decimal("200.00") and entry.description == ""


def test_patch_with_a_rate_overrides_it_and_null_resolves_again(api_alice, entry, task):
    api_alice.patch(f"{URL}/{entry.pk}", {"hourly_rate": "100.00"}, format="json")
    entry.refresh_from_db()
    assert (entry.hourly_rate, entry.rate_source, entry.amount) == (
        Decimal("100.00"),
        "entry",
        Decimal("100.00"),
    )
    task.project.hourly_rate = Decimal("70.00")
    task.project.save()
    api_alice.patch(f"{URL}/{entry.pk}", {"hourly_rate": None}, format="json")
    entry.refresh_from_db()
    assert (entry.hourly_rate, entry.rate_source) == (Decimal("70.00"), "project")


def test_patch_refuses_less_than_a_minute(api_bob, entry):
    error = fail(
        api_bob.patch(f"{URL}/{entry.pk}", {"started_at": "2026-03-02T10:00:30Z"}, format="json"), 422
    )
    assert "started_at" in error["fields"]


def test_invoiced_entries_cannot_change_or_go(api_alice, entry):
    invoicing.mark_invoiced([entry], reference="EXT-7")
    assert (
        "invoiced"
        in fail(api_alice.patch(f"{URL}/{entry.pk}", {"description": "x"}, format="json"), 409)["message"]
    )
    assert fail(api_alice.delete(f"{URL}/{entry.pk}"), 409)
    assert TimeEntry.objects.filter(pk=entry.pk).exists()


def test_a_running_entry_takes_only_a_description(api_bob, bob, task):
    running = TimeEntryFactory(task=task, user=bob, ended_at=None)
    assert (
        api_bob.patch(f"{URL}/{running.pk}", {"description": "On it"}, format="json").json()["description"]
        == "On it"
    )
    error = fail(api_bob.patch(f"{URL}/{running.pk}", {"ended_at": "2026-03-02T11:30Z"}, format="json"), 409)
    assert "stop it first" in error["message"]


def test_delete(api_bob, entry):
    assert api_bob.delete(f"{URL}/{entry.pk}").status_code == 204
    assert not TimeEntry.objects.filter(pk=entry.pk).exists()
    assert fail(api_bob.get(f"{URL}/{entry.pk}"), 404)


def test_another_users_entry_is_a_404_for_staff(api_bob, alice, task):
    theirs = TimeEntryFactory(task=task, user=alice)
    assert fail(api_bob.get(f"{URL}/{theirs.pk}"), 404)
    assert fail(api_bob.patch(f"{URL}/{theirs.pk}", {"description": "mine"}, format="json"), 404)
    assert fail(api_bob.delete(f"{URL}/{theirs.pk}"), 404)
    assert TimeEntry.objects.filter(pk=theirs.pk).exists()


def test_deleting_a_running_entry_discards_the_timer(api_bob, bob, task):
    from timetracker.tasks import timer

    running = timer.start(user=bob, task=task)
    task.refresh_from_db()
    assert task.status == "working"
    assert api_bob.delete(f"{URL}/{running.pk}").status_code == 204
    task.refresh_from_db()
    assert task.status == "not_started" and not TimeEntry.objects.filter(pk=running.pk).exists()


def test_staff_cannot_price_their_own_time_even_when_they_may_see_rates(api_bob, bob):
    from tests.factories import TaskFactory
    from timetracker.billing.models import Settings

    settings = Settings.load()
    settings.staff_can_see_rates = True
    settings.save()
    task = TaskFactory(assignee=bob)
    body = {
        "task_id": task.pk,
        "started_at": "2026-11-02T09:00:00Z",
        "ended_at": "2026-11-02T10:00:00Z",
        "hourly_rate": "99999.99",
    }
    response = api_bob.post("/api/v1/time-entries", body, format="json")
    assert response.status_code == 403 and "Managers and Admins" in response.json()["error"]["message"]


def test_time_created_through_the_api_completes_a_new_task(api_bob, bob):
    from tests.factories import TaskFactory

    task = TaskFactory(assignee=bob)
    body = {"task_id": task.pk, "hours": 1, "minutes": 30, "date": "2026-11-02"}
    assert api_bob.post("/api/v1/time-entries", body, format="json").status_code == 201
    task.refresh_from_db()
    assert task.status == "completed"


def test_an_invoiced_entry_is_a_409_whatever_the_body_says(api_alice, entry):
    invoicing.mark_invoiced([entry], reference="EXT-8")
    for body in ({"ended_at": entry.started_at.isoformat()}, {"task_id": 999999}, {"hourly_rate": "1.00"}):
        response = api_alice.patch(f"{URL}/{entry.pk}", body, format="json")
        assert response.status_code == 409, (body, response.content)
