"""Unbilled time with totals, marking time invoiced elsewhere, and notes on entries."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from tests.factories import ClientFactory, InvoiceLineFactory, ProjectFactory, TaskFactory, TimeEntryFactory
from timetracker.billing.models import Settings
from timetracker.tasks.models import Note

pytestmark = pytest.mark.django_db
URL = "/api/v1/time-entries"
RATE = Decimal("95.50")


def fail(response, status):
    assert response.status_code == status, response.content
    return response.json()["error"]


def entry(user, task, minutes, day=2, **extra):
    return TimeEntryFactory(
        task=task,
        user=user,
        started_at=datetime(2026, 3, day, 9, tzinfo=UTC),
        worked=timedelta(minutes=minutes),
        hourly_rate=RATE,
        **extra,
    )


@pytest.fixture
def client_():
    return ClientFactory()


@pytest.fixture
def task(client_):
    return TaskFactory(client=client_, project=ProjectFactory(client=client_))


def test_unbilled_lists_billable_stopped_uninvoiced_time_with_totals(api_alice, alice, bob, task, client_):
    assert Settings.load().rounding_enabled is False
    seven = entry(alice, task, 7)
    entry(alice, task, 30, billable=False)
    entry(alice, task, 30, billed_elsewhere="EXT-1")
    entry(alice, task, 30, invoice_line=InvoiceLineFactory())
    TimeEntryFactory(task=task, user=bob, ended_at=None, hourly_rate=RATE)
    entry(alice, TaskFactory(), 30)  # another client's
    body = api_alice.get(f"{URL}/unbilled", {"client_id": client_.pk}).json()
    assert [row["id"] for row in body["results"]] == [seven.pk]
    assert body["results"][0]["amount"] == "11.14"
    assert body["total_hours"] == "0.12" and body["total_amount"] == "11.14"
    assert body["count"] == 1 and body["currency_code"] == "USD"


def test_unbilled_totals_cover_every_page_and_the_project_filter(api_alice, alice, task, client_):
    entry(alice, task, 7, day=2)
    entry(alice, task, 60, day=3)
    other = TaskFactory(client=client_)
    entry(alice, other, 13, day=4)
    body = api_alice.get(f"{URL}/unbilled", {"client_id": client_.pk, "per_page": 1}).json()
    assert body["count"] == 3 and len(body["results"]) == 1
    # 80 minutes = 1.333 h; 7/60 x 95.50 = 11.14, 95.50, 13/60 x 95.50 = 20.69
    assert body["total_hours"] == "1.33" and body["total_amount"] == "127.33"
    body = api_alice.get(f"{URL}/unbilled", {"project_id": task.project_id}).json()
    assert body["count"] == 2 and body["total_hours"] == "1.12" and body["total_amount"] == "106.64"


def test_unbilled_for_staff_is_their_own_without_money(api_bob, alice, bob, task):
    mine = entry(bob, task, 7)
    entry(alice, task, 60)
    body = api_bob.get(f"{URL}/unbilled").json()
    assert [row["id"] for row in body["results"]] == [mine.pk]
    assert body["total_hours"] == "0.12" and body["total_amount"] is None
    assert body["results"][0]["amount"] is None


@pytest.mark.parametrize("params", [{"client_id": "999999"}, {"project_id": "x"}, {"task_id": "1"}])
def test_unbilled_refuses_bad_parameters(api_alice, params):
    assert fail(api_alice.get(f"{URL}/unbilled", params), 400)


def test_mark_invoiced(api_dana, alice, task):
    one = entry(alice, task, 30)
    response = api_dana.put(f"{URL}/{one.pk}/mark-invoiced", {"reference": " INV-2026-17 "}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["billing"] == {"status": "invoiced", "invoice_id": None}
    one.refresh_from_db()
    assert one.billed_elsewhere == "INV-2026-17"
    assert (
        "already"
        in fail(api_dana.put(f"{URL}/{one.pk}/mark-invoiced", {"reference": "X"}, format="json"), 409)[
            "message"
        ]
    )
    assert fail(api_dana.patch(f"{URL}/{one.pk}", {"description": "later"}, format="json"), 409)


def test_mark_invoiced_refusals(api_bob, api_dana, bob, task):
    mine = entry(bob, task, 30)
    assert fail(api_bob.put(f"{URL}/{mine.pk}/mark-invoiced", {"reference": "X"}, format="json"), 403)
    # The body is optional (Agency OS sends none), but a misspelt field is still refused.
    assert (
        "ref"
        in fail(api_dana.put(f"{URL}/{mine.pk}/mark-invoiced", {"ref": "X"}, format="json"), 422)["fields"]
    )
    assert fail(api_dana.put(f"{URL}/999999/mark-invoiced", {"reference": "X"}, format="json"), 404)
    running = TimeEntryFactory(task=task, user=bob, ended_at=None)
    assert fail(api_dana.put(f"{URL}/{running.pk}/mark-invoiced", {"reference": "X"}, format="json"), 409)
    assert fail(APIClient().put(f"{URL}/{mine.pk}/mark-invoiced", {"reference": "X"}, format="json"), 401)


def test_notes_on_an_entry(api_bob, api_dana, bob, dana, task):
    mine = entry(bob, task, 30)
    response = api_bob.post(f"{URL}/{mine.pk}/notes", {"body": "Client asked for this."}, format="json")
    assert response.status_code == 201, response.json()
    note = response.json()
    assert (
        note["entry_id"] == mine.pk
        and note["author_id"] == bob.pk
        and note["body"] == "Client asked for this."
    )
    api_dana.post(f"{URL}/{mine.pk}/notes", {"body": "Checked."}, format="json")
    body = api_bob.get(f"{URL}/{mine.pk}/notes").json()
    assert body["count"] == 2 and [n["body"] for n in body["results"]] == [
        "Client asked for this.",
        "Checked.",
    ]
    assert Note.objects.get(body="Checked.").author == dana


def test_note_refusals(api_bob, alice, bob, task):
    mine = entry(bob, task, 30)
    theirs = entry(alice, task, 30)
    assert (
        "body" in fail(api_bob.post(f"{URL}/{mine.pk}/notes", {"body": "   "}, format="json"), 422)["fields"]
    )
    assert "body" in fail(api_bob.post(f"{URL}/{mine.pk}/notes", {}, format="json"), 422)["fields"]
    assert fail(api_bob.get(f"{URL}/{theirs.pk}/notes"), 404)
    assert fail(api_bob.post(f"{URL}/{theirs.pk}/notes", {"body": "Hi"}, format="json"), 404)
    assert fail(api_bob.get(f"{URL}/{mine.pk}/notes", {"per_page": 500}), 400)
