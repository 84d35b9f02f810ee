"""PATCH /api/v1/time-entries/bulk and POST /api/v1/time-entries/bulk-delete: all or nothing, each entry by the
write path's rules (rounding, rates, kept totals, invoiced entries locked), refusals naming the entries."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import client_for
from tests.concurrency import run_together
from tests.factories import (
    BucketFactory,
    ClientFactory,
    ClientSettingsFactory,
    ProjectFactory,
    TaskFactory,
    TimeEntryFactory,
)
from timetracker.accounts.models import ApiKey, ApiKeyScope
from timetracker.billing.models import Settings
from timetracker.tasks import totals
from timetracker.tasks.models import TaskTotal, TimeEntry

BULK = "/api/v1/time-entries/bulk"
BULK_DELETE = "/api/v1/time-entries/bulk-delete"


def day(n, hour=9):
    return datetime(2026, 3, n, hour, tzinfo=UTC)


def keyed(user, scope):
    _, raw = ApiKey.issue(user=user, name="script", scope=scope)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api


def fail(response, status):
    assert response.status_code == status, response.content
    return response.json()["error"]


def state(entries):
    """What a refused batch must leave exactly as it was: every entry's row and history, the kept totals."""
    rows = list(TimeEntry.objects.filter(pk__in=[e.pk for e in entries]).order_by("pk").values())
    return rows, TimeEntry.history.count(), totals.kept()


@pytest.fixture
def task(bob):
    project = ProjectFactory(hourly_rate=Decimal("80.00"))
    return TaskFactory(client=project.client, project=project, assignee=bob)


@pytest.fixture
def bobs(bob, task):
    """Three stopped hours of Bob's on three days, priced at the project's rate."""
    return [
        TimeEntryFactory(
            task=task,
            user=bob,
            started_at=day(n),
            worked=timedelta(minutes=37),
            hourly_rate=Decimal("80.00"),
            rate_source="project",
            description=f"Day {n}",
        )
        for n in (2, 3, 4)
    ]


# --- bulk update ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_bulk_update_changes_every_entry_and_keeps_the_totals_exact(api_bob, bob, bobs, task):
    ids = [e.pk for e in bobs]
    response = api_bob.patch(
        BULK, {"ids": ids, "changes": {"description": "Migration", "billable": False}}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 3 and [row["id"] for row in body["results"]] == ids
    assert all(row["description"] == "Migration" and row["billable"] is False for row in body["results"])
    assert all(row["amount"] is None for row in body["results"])  # no longer billable: nothing to bill
    for entry in TimeEntry.objects.filter(pk__in=ids):
        assert (entry.description, entry.billable, entry.amount) == ("Migration", False, None)
        # One history row per entry, naming who changed it.
        assert entry.history.first().history_user == bob
    kept = TaskTotal.objects.get(task=task, user=bob)
    assert (kept.entries, kept.billable_seconds, kept.amount) == (3, 0, Decimal("0"))
    assert totals.compare() == []


@pytest.mark.django_db
def test_moving_entries_to_another_clients_task_rounds_and_rates_them_as_the_write_path_does(
    api_dana, bob, bobs, task
):
    agency = Settings.load()
    agency.rounding_enabled, agency.rounding_mode, agency.rounding_interval = True, "nearest", 15
    agency.save()
    special = ClientFactory()
    ClientSettingsFactory(client=special, rounding_mode="up", rounding_interval=30)
    project = ProjectFactory(client=special, hourly_rate=Decimal("120.00"))
    target = TaskFactory(client=special, project=project)
    ids = [e.pk for e in bobs]

    response = api_dana.patch(BULK, {"ids": ids, "changes": {"task_id": target.pk}}, format="json")

    assert response.status_code == 200, response.content
    for row in response.json()["results"]:
        # 37 minutes, rounded up to the half hour by the new client's policy, at the new project's rate.
        assert (row["task_id"], row["duration_seconds"], row["rounded_seconds"]) == (target.pk, 2220, 3600)
        assert (row["hourly_rate"], row["amount"]) == ("120.00", "120.00")
    assert not TaskTotal.objects.filter(task=task).exclude(entries=0).exists()
    assert TaskTotal.objects.get(task=target, user=bob).rounded_seconds == 3 * 3600
    assert totals.compare() == []


@pytest.mark.django_db
def test_a_manager_sets_a_rate_on_many_and_null_returns_them_to_the_precedence(api_dana, bobs):
    ids = [e.pk for e in bobs]
    body = api_dana.patch(BULK, {"ids": ids, "changes": {"hourly_rate": "100.00"}}, format="json").json()
    assert {(row["hourly_rate"], row["amount"]) for row in body["results"]} == {("100.00", "61.67")}
    assert set(TimeEntry.objects.values_list("rate_source", flat=True)) == {"entry"}
    body = api_dana.patch(BULK, {"ids": ids, "changes": {"hourly_rate": None}}, format="json").json()
    assert {row["hourly_rate"] for row in body["results"]} == {"80.00"}
    assert set(TimeEntry.objects.values_list("rate_source", flat=True)) == {"project"}
    assert totals.compare() == []


@pytest.mark.django_db
def test_staff_may_not_set_rates_in_bulk(api_bob, bobs):
    before = state(bobs)
    response = api_bob.patch(BULK, {"ids": [bobs[0].pk], "changes": {"hourly_rate": "10.00"}}, format="json")
    assert "Managers and Admins" in fail(response, 403)["message"]
    assert state(bobs) == before


@pytest.mark.django_db
def test_one_invoiced_entry_refuses_the_whole_batch_naming_it(api_bob, bob, bobs, task):
    invoiced = TimeEntryFactory(task=task, user=bob, started_at=day(5), billed_elsewhere="EXT-7")
    batch = [*bobs, invoiced]
    before = state(batch)
    response = api_bob.patch(
        BULK, {"ids": [e.pk for e in batch], "changes": {"description": "Renamed"}}, format="json"
    )
    error = fail(response, 409)
    assert error["ids"] == [invoiced.pk]
    assert error["fields"] == {
        "ids": [f"{invoiced.pk}: This entry is invoiced, so it can no longer be changed."]
    }
    assert error["message"] == (
        f"Nothing was changed. Entry {invoiced.pk}: This entry is invoiced, so it can no longer be changed."
    )
    assert state(batch) == before


@pytest.mark.django_db
def test_a_running_entry_takes_only_a_description_in_bulk_as_alone(api_bob, bob, bobs, task):
    running = TimeEntryFactory(task=task, user=bob, started_at=day(5), ended_at=None)
    ids = [bobs[0].pk, running.pk]
    before = state([bobs[0], running])
    error = fail(api_bob.patch(BULK, {"ids": ids, "changes": {"billable": False}}, format="json"), 409)
    assert error["ids"] == [running.pk] and "running: stop it first" in error["message"]
    assert state([bobs[0], running]) == before
    response = api_bob.patch(BULK, {"ids": ids, "changes": {"description": "Calls"}}, format="json")
    assert response.status_code == 200, response.content
    assert [row["status"] for row in response.json()["results"]] == ["stopped", "running"]
    assert set(TimeEntry.objects.filter(pk__in=ids).values_list("description", flat=True)) == {"Calls"}


@pytest.mark.django_db
def test_a_write_path_refusal_midway_undoes_the_entries_already_changed(api_alice, alice):
    """The bucket is used up in March only: the February entry moves first, the March one is refused, and the
    February one is back as it was."""
    bucket = BucketFactory(hours=Decimal("1"), hard_stop=True, recurrence="monthly")
    full = TaskFactory(bucket=bucket)
    TimeEntryFactory(task=full, user=alice, started_at=day(10), worked=timedelta(hours=1))
    home = TaskFactory()
    february = TimeEntryFactory(task=home, user=alice, started_at=datetime(2026, 2, 2, 9, tzinfo=UTC))
    march = TimeEntryFactory(task=home, user=alice, started_at=day(2))
    before = state([february, march])

    response = api_alice.patch(
        BULK, {"ids": [february.pk, march.pk], "changes": {"task_id": full.pk}}, format="json"
    )

    error = fail(response, 409)
    assert error["ids"] == [march.pk] and "used up" in error["fields"]["ids"][0]
    assert error["fields"]["ids"][0].startswith(f"{march.pk}: ")
    assert state([february, march]) == before
    assert totals.compare() == []


@pytest.mark.django_db
def test_staff_cannot_touch_others_entries_which_are_a_404_naming_them(api_bob, bobs, dana, task):
    danas = TimeEntryFactory(task=task, user=dana, started_at=day(6))
    batch = [*bobs, danas]
    before = state(batch)
    for response in (
        api_bob.patch(BULK, {"ids": [e.pk for e in batch], "changes": {"description": "x"}}, format="json"),
        api_bob.post(BULK_DELETE, {"ids": [e.pk for e in batch]}, format="json"),
    ):
        error = fail(response, 404)
        assert error["ids"] == [danas.pk]
        assert error["message"] == f"There is no time entry {danas.pk} that you can see; nothing was written."
    assert state(batch) == before


@pytest.mark.django_db
def test_unknown_ids_are_all_named(api_alice, bobs):
    error = fail(
        api_alice.patch(
            BULK, {"ids": [bobs[0].pk, 99998, 99999], "changes": {"billable": True}}, format="json"
        ),
        404,
    )
    assert error["ids"] == [99998, 99999] and "no time entries 99998, 99999" in error["message"]


@pytest.mark.django_db
def test_a_task_the_caller_cannot_see_is_a_404(api_bob, bobs):
    hidden = TaskFactory()
    before = state(bobs)
    response = api_bob.patch(BULK, {"ids": [bobs[0].pk], "changes": {"task_id": hidden.pk}}, format="json")
    assert fail(response, 404)["message"] == f"There is no task {hidden.pk} that you can see."
    assert state(bobs) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "text"),
    [
        ({"ids": [1], "changes": {}}, "changes", "at least one of"),
        ({"ids": [], "changes": {"billable": True}}, "ids", "This list may not be empty."),
        ({"ids": list(range(1, 202)), "changes": {"billable": True}}, "ids", "no more than 200"),
        (
            {"ids": [1], "changes": {"started_at": "2026-03-02T09:00:00Z"}},
            "changes.started_at",
            "Unknown field.",
        ),
        ({"ids": [1], "changes": {"billable": "maybe"}}, "changes.billable", "Must be a valid boolean."),
        ({"ids": [1], "changes": {"billable": True}, "user_id": 3}, "user_id", "Unknown field."),
        ({"changes": {"billable": True}}, "ids", "required"),
        ({"ids": [5, 0], "changes": {"billable": True}}, "ids.1", "greater than or equal to 1"),
    ],
)
def test_a_bad_body_is_a_422_naming_the_field(api_alice, body, field, text):
    error = fail(api_alice.patch(BULK, body, format="json"), 422)
    assert list(error["fields"]) == [field] and text in error["fields"][field][0], error


@pytest.mark.django_db
def test_repeated_ids_count_once(api_bob, bobs):
    ids = [bobs[0].pk, bobs[1].pk, bobs[0].pk]
    body = api_bob.patch(BULK, {"ids": ids, "changes": {"description": "Once"}}, format="json").json()
    assert body["count"] == 2 and [row["id"] for row in body["results"]] == ids[:2]
    assert bobs[0].history.count() == 2  # created, then changed once


@pytest.mark.django_db
def test_a_form_encoded_bulk_update(bob, bobs):
    api = client_for(bob)
    response = api.patch(
        BULK,
        f"ids[]={bobs[0].pk}&ids[]={bobs[1].pk}&changes[description]=Form&changes[billable]=false",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200, response.content
    assert [row["description"] for row in response.json()["results"]] == ["Form", "Form"]


# --- key scopes -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_read_only_key_gets_403_on_both(bob, bobs):
    api = keyed(bob, ApiKeyScope.READ)
    before = state(bobs)
    ids = [e.pk for e in bobs]
    for response in (
        api.patch(BULK, {"ids": ids, "changes": {"description": "x"}}, format="json"),
        api.post(BULK_DELETE, {"ids": ids}, format="json"),
    ):
        assert "read-only" in fail(response, 403)["message"]
    assert state(bobs) == before


@pytest.mark.django_db
def test_a_time_only_key_may_write_in_bulk(bob, bobs):
    api = keyed(bob, ApiKeyScope.TIME)
    ids = [e.pk for e in bobs]
    response = api.patch(BULK, {"ids": ids, "changes": {"description": "Timed"}}, format="json")
    assert response.status_code == 200, response.content
    response = api.post(BULK_DELETE, {"ids": ids}, format="json")
    assert response.status_code == 200, response.content
    assert not TimeEntry.objects.exists()


# --- bulk delete ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_bulk_delete_removes_every_entry_and_the_kept_totals_match(api_bob, bob, bobs, task):
    keep = TimeEntryFactory(task=task, user=bob, started_at=day(7))
    running = TimeEntryFactory(task=task, user=bob, started_at=day(8), ended_at=None)
    ids = [*(e.pk for e in bobs), running.pk]
    response = api_bob.post(BULK_DELETE, {"ids": ids}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"deleted": 4, "ids": ids}
    assert list(TimeEntry.objects.all()) == [keep]
    kept = TaskTotal.objects.get(task=task, user=bob)
    assert (kept.entries, kept.tracked_seconds) == (1, 3600)
    assert totals.compare() == []
    task.refresh_from_db()
    assert task.status == "completed"  # the discarded timer no longer makes it "working"
    # Each deleted entry leaves a history row saying who deleted it.
    deleted = TimeEntry.history.filter(history_type="-").order_by("id")
    assert sorted(row.id for row in deleted) == sorted(ids)
    assert {row.history_user_id for row in deleted} == {bob.pk}


@pytest.mark.django_db
def test_one_invoiced_entry_refuses_the_whole_delete(api_alice, bob, bobs, task):
    invoiced = TimeEntryFactory(task=task, user=bob, started_at=day(5), billed_elsewhere="EXT-7")
    batch = [*bobs, invoiced]
    before = state(batch)
    error = fail(api_alice.post(BULK_DELETE, {"ids": [e.pk for e in batch]}, format="json"), 409)
    assert error["ids"] == [invoiced.pk]
    assert error["message"] == (
        f"Nothing was deleted. Entry {invoiced.pk}: This entry is invoiced, so it cannot be deleted."
    )
    assert state(batch) == before


@pytest.mark.django_db
def test_an_idempotency_key_replays_the_bulk_delete(api_bob, bobs):
    ids = [e.pk for e in bobs]
    first = api_bob.post(BULK_DELETE, {"ids": ids}, format="json", HTTP_IDEMPOTENCY_KEY="purge-1")
    assert first.status_code == 200, first.content
    again = api_bob.post(BULK_DELETE, {"ids": ids}, format="json", HTTP_IDEMPOTENCY_KEY="purge-1")
    assert again.status_code == 200 and again.json() == first.json() == {"deleted": 3, "ids": ids}
    assert again["Idempotent-Replayed"] == "true"
    # Without the key, the same request finds nothing to delete: the entries are gone.
    assert fail(api_bob.post(BULK_DELETE, {"ids": ids}, format="json"), 404)["ids"] == ids


@pytest.mark.django_db
def test_the_schema_documents_both_routes_with_their_bodies(api_alice):
    schema = api_alice.get("/api/schema/?format=json").json()
    patch = schema["paths"]["/api/v1/time-entries/bulk"]["patch"]
    body = patch["requestBody"]
    assert body["required"] is True
    update = schema["components"]["schemas"]["BulkUpdateRequest"]
    assert update["required"] == ["changes", "ids"]
    assert (update["properties"]["ids"]["minItems"], update["properties"]["ids"]["maxItems"]) == (1, 200)
    changes = schema["components"]["schemas"]["BulkChangesRequest"]["properties"]
    assert set(changes) == {"task_id", "description", "billable", "hourly_rate"}
    delete = schema["paths"]["/api/v1/time-entries/bulk-delete"]["post"]
    assert {"200", "403", "404", "409", "422"} <= set(delete["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in delete["parameters"])


# --- PostgreSQL: two batches over the same entries in opposite orders ---------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_bulk_updates_in_opposite_orders_do_not_deadlock(bob, dana):
    tasks = [TaskFactory() for _ in range(3)]
    rows = [
        TimeEntryFactory(task=tasks[n % 3], user=(bob, dana)[n % 2], started_at=day(n + 1)) for n in range(6)
    ]
    ids = [e.pk for e in rows]
    orders = [ids, ids[::-1]]
    clients = [client_for(dana), client_for(dana)]

    def change(i):
        body = {"ids": orders[i], "changes": {"description": f"Batch {i}", "task_id": tasks[2 - i].pk}}
        return clients[i].patch(BULK, body, format="json").status_code

    assert run_together(2, change) == [200, 200]
    # One batch won, whole: every entry has the same description and the task that batch gave.
    final = set(TimeEntry.objects.values_list("description", "task_id"))
    assert final in ({("Batch 0", tasks[2].pk)}, {("Batch 1", tasks[1].pk)})
    assert totals.compare() == []
