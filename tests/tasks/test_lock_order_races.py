"""Writers of time that meet on the same rows at the same moment queue in the one lock order (users, tasks,
entries) instead of deadlocking: no 500, and every entry either still there, invoiced once, or deleted by
the request that said so. (Races seldom line up in a test run; test_lock_order.py checks the order itself.)"""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.api.conftest import client_for
from tests.concurrency import run_together
from tests.factories import ClientFactory, TaskFactory, TimeEntryFactory, UserFactory
from timetracker.billing.models import Invoice
from timetracker.tasks import timer
from timetracker.tasks.models import Task, TimeEntry

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROUNDS = 8
RATE = Decimal("100.00")
ENTRIES = 20
MINUTES = timedelta(minutes=15)


def scene():
    acme = ClientFactory(hourly_rate=Decimal("100.00"))
    bob, dana, alice = (UserFactory(role=role) for role in ("Staff", "Manager", "Admin"))
    kept, doomed = TaskFactory(client=acme, assignee=bob), TaskFactory(client=acme, assignee=bob)
    base = timezone.now() - timedelta(days=2)
    lone = TimeEntryFactory(task=kept, user=bob, started_at=base, hourly_rate=RATE)
    # Enough rows that taking their locks takes a while, so the four requests overlap.
    for step in range(ENTRIES):
        at = base - timedelta(hours=2 * step)
        TimeEntryFactory(
            task=kept, user=bob, started_at=at + timedelta(minutes=1), worked=MINUTES, hourly_rate=RATE
        )
        TimeEntryFactory(
            task=doomed, user=bob, started_at=at + timedelta(minutes=20), worked=MINUTES, hourly_rate=RATE
        )
        TimeEntryFactory(
            task=doomed, user=dana, started_at=at + timedelta(minutes=40), worked=MINUTES, hourly_rate=RATE
        )
    running = timer.start(user=bob, task=kept, now=timezone.now() - timedelta(minutes=30))
    return acme, bob, dana, alice, kept, doomed, lone, running


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_deleting_invoicing_and_stopping_the_same_time_at_once_never_deadlocks(round_):
    acme, bob, dana, alice, kept, doomed, lone, running = scene()
    api_bob, api_dana = client_for(bob), client_for(dana)
    before = set(TimeEntry.objects.values_list("pk", flat=True))
    on_doomed = set(doomed.entries.values_list("pk", flat=True))
    api_alice = client_for(alice)
    actions = [
        lambda: api_bob.delete(f"/api/v1/time-entries/{lone.pk}"),
        lambda: api_dana.delete(f"/api/v1/tasks/{doomed.pk}"),
        lambda: api_alice.post("/api/v1/invoices", {"client_id": acme.pk}, format="json"),
        lambda: api_bob.post(f"/api/v1/tasks/{kept.pk}/stop"),
    ]
    # Each round lets a different request set off a little later, so every pair meets at the moment the
    # other is taking its locks.
    delays = [0.0] * len(actions)
    delays[round_ % len(actions)] = 0.004 * (round_ // len(actions) + 1)
    entry_delete, task_delete, invoice, stop = run_together(
        len(actions), lambda i: (time.sleep(delays[i]), actions[i]())[1]
    )

    # Each answered as a user would expect: done, or refused with a reason; never a 500 or a deadlock.
    assert entry_delete.status_code in (204, 409), entry_delete.content
    assert task_delete.status_code in (204, 409), task_delete.content
    assert invoice.status_code in (201, 409, 422), invoice.content
    assert stop.status_code == 200, stop.content

    # Nothing lost: what is gone was deleted by a request that said so, and nothing is billed twice.
    left = set(TimeEntry.objects.values_list("pk", flat=True))
    gone = before - left
    expected_gone = set()
    if entry_delete.status_code == 204:
        expected_gone.add(lone.pk)
    if task_delete.status_code == 204:
        expected_gone |= on_doomed
        assert not Task.objects.filter(pk=doomed.pk).exists()
    assert gone == expected_gone
    assert not TimeEntry.objects.running().exists()
    running.refresh_from_db()
    assert running.duration_seconds >= 29 * 60
    if invoice.status_code == 201:
        invoice = Invoice.objects.get(pk=invoice.json()["id"])
        billed = TimeEntry.objects.filter(invoice_line__invoice=invoice)
        assert sum(line.amount for line in invoice.lines.all()) == sum(e.amount for e in billed)
        assert invoice.total == sum(e.amount for e in billed)
