"""Helpers shared by the billing page tests."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    TaskFactory,
    TimeEntryFactory,
    UserFactory,
)
from timetracker.billing import invoicing
from timetracker.lib.rounding import RoundingPolicy

DAY = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
UNBILLED = reverse("billing:unbilled")
CREATE = reverse("billing:invoice_create")
LIST = reverse("billing:invoice_list")


def entry(client, *, minutes=60, rate="95.50", task=None, at=DAY, user=None, **extra):
    return TimeEntryFactory(
        task=task or TaskFactory(client=client),
        user=user or UserFactory(role="Staff"),
        started_at=at,
        worked=timedelta(minutes=minutes),
        hourly_rate=Decimal(rate) if rate is not None else None,
        policy=RoundingPolicy(),
        **extra,
    )


def make_invoice(client, by, **kwargs):
    return invoicing.create_invoice(client=client, by=by, **kwargs)


def detail(invoice):
    return reverse("billing:invoice_detail", args=[invoice.pk])


def sent_invoice(acme, alice, minutes=60, rate="100.00"):
    entry(acme, minutes=minutes, rate=rate)
    invoice = make_invoice(acme, alice)
    return invoicing.send(invoice, by=alice)


def query_count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)
