from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.concurrency import run_together
from tests.factories import ClientFactory, TaskFactory, TimeEntryFactory, UserFactory
from timetracker.billing import drafts, invoicing
from timetracker.billing.models import Invoice
from timetracker.tasks.models import TimeEntry

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_people_confirming_the_same_time_make_one_invoice():
    client = ClientFactory()
    user = UserFactory(role="Manager")
    for _ in range(5):
        TimeEntryFactory(
            task=TaskFactory(client=client), worked=timedelta(minutes=45), hourly_rate=Decimal("90")
        )
    seen = drafts.preview(client=client).entry_ids

    results = run_together(
        3, lambda i: invoicing.create_invoice(client=client, by=user, expected_entry_ids=seen)
    )
    made = [r for r in results if isinstance(r, Invoice)]
    refused = [r for r in results if isinstance(r, invoicing.InvoicingError)]
    assert len(made) == 1 and len(refused) == 2, results
    assert TimeEntry.objects.filter(invoice_line__invoice=made[0]).count() == 5
    assert Invoice.objects.count() == 1


def test_simultaneous_invoices_for_different_clients_get_consecutive_numbers():
    user = UserFactory(role="Manager")
    clients = ClientFactory.create_batch(6)
    for client in clients:
        TimeEntryFactory(task=TaskFactory(client=client), hourly_rate=Decimal("50"))
    issue = date(2026, 3, 2)

    results = run_together(
        6, lambda i: invoicing.create_invoice(client=clients[i], by=user, issue_date=issue)
    )
    assert all(isinstance(r, Invoice) for r in results), results
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == [f"2026-{n:04d}" for n in range(1, 7)]  # unique and without gaps
