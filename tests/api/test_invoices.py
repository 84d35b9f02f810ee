from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.api.conftest import client_for
from tests.factories import ClientFactory, InvoiceFactory, PaymentFactory, TaskFactory, TimeEntryFactory
from timetracker.billing import drafts, invoicing
from timetracker.billing.models import Invoice, Payment
from timetracker.tasks.models import TimeEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(bob):
    """A client with two hours of unbilled billable time at 100/h on one task, and a non-billable hour."""
    client = ClientFactory(name="Acme")
    task = TaskFactory(client=client, title="Homepage")
    for _ in range(2):
        TimeEntryFactory(task=task, user=bob, hourly_rate=Decimal("100.00"))
    TimeEntryFactory(task=task, user=bob, billable=False)
    return client


def _create(api, client, **extra):
    return api.post("/api/v1/invoices", {"client_id": client.pk, **extra}, format="json")


def _sent_invoice(api, client):
    invoice = Invoice.objects.get(pk=_create(api, client).json()["id"])
    return invoicing.send(invoice)


def test_staff_and_outsiders_may_not_see_invoices(api_bob, charlie, acme):
    invoice = InvoiceFactory(client=acme)
    for url in (
        "/api/v1/invoices",
        f"/api/v1/invoices/{invoice.pk}",
        f"/api/v1/invoices/{invoice.pk}/payments",
    ):
        response = api_bob.get(url)
        assert response.status_code == 403, url
        assert response.json()["error"]["code"] == "permission_denied"
        assert client_for(charlie).get(url).status_code == 403
        assert APIClient().get(url).status_code == 401
    assert _create(api_bob, acme).status_code == 403
    assert not Invoice.objects.exclude(pk=invoice.pk).exists()


def test_a_manager_invoices_the_unbilled_time(api_dana, dana, acme):
    response = _create(api_dana, acme, grouping="task", notes="Thanks!")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft" and body["client_id"] == acme.pk and body["client_name"] == "Acme"
    assert (body["subtotal"], body["total"], body["amount_paid"], body["outstanding"]) == (
        "200.00",
        "200.00",
        "0.00",
        "200.00",
    )
    assert body["currency_code"] == "USD" and body["notes"] == "Thanks!"
    [line] = body["lines"]
    assert line["quantity_seconds"] == 7200 and line["time_readable"] == "2h"
    assert (line["unit_price"], line["amount"], line["entry_count"]) == ("100.00", "200.00", 2)
    assert body["payments"] == []
    invoice = Invoice.objects.get(pk=body["id"])
    assert invoice.created_by == dana
    assert TimeEntry.objects.filter(invoice_line__invoice=invoice).count() == 2
    # Nothing is left to bill: a second try says so.
    again = _create(api_dana, acme)
    assert again.status_code == 422
    assert "no unbilled billable time" in again.json()["error"]["message"]


def test_create_confirms_what_was_previewed(api_alice, acme):
    previewed = drafts.preview(client=acme).entry_ids
    TimeEntryFactory(task=acme.tasks.get(), hourly_rate=Decimal("100.00"))  # new time since the preview
    stale = _create(api_alice, acme, expected_entry_ids=previewed)
    assert stale.status_code == 409 and "changed since the preview" in stale.json()["error"]["message"]
    assert not Invoice.objects.exists()
    fresh = _create(api_alice, acme, expected_entry_ids=drafts.preview(client=acme).entry_ids)
    assert fresh.status_code == 201 and fresh.json()["total"] == "300.00"


def test_create_validates_its_input(api_alice, acme):
    other_project = TaskFactory().client.projects.create(name="Elsewhere")
    cases = [
        ({"client_id": 999999}, "client_id"),
        ({"client_id": acme.pk, "grouping": "week"}, "grouping"),
        ({"client_id": acme.pk, "rounding": "hour"}, "rounding"),
        ({"client_id": acme.pk, "project_id": other_project.pk}, "project_id"),
        ({"client_id": acme.pk, "start": "2026-02-01", "end": "2026-01-01"}, "end"),
        ({"client_id": acme.pk, "end": "9999-12-31"}, "end"),
        ({}, "client_id"),
    ]
    for payload, field in cases:
        response = api_alice.post("/api/v1/invoices", payload, format="json")
        assert response.status_code == 422, payload
        assert field in response.json()["error"]["fields"], payload
    assert not Invoice.objects.exists()


def test_the_period_limits_what_is_billed(api_alice, acme):
    today = timezone.localdate()
    response = _create(
        api_alice, acme, start=str(today - timedelta(days=30)), end=str(today - timedelta(days=10))
    )
    assert response.status_code == 422


def test_the_list_filters_by_client_status_and_issue_date(api_alice, acme):
    today = timezone.localdate()
    other = ClientFactory()
    draft = InvoiceFactory(client=acme, status="draft", total=Decimal("10"))
    overdue = InvoiceFactory(
        client=acme, status="sent", total=Decimal("10"), issue_date=today - timedelta(days=40)
    )
    overdue.due_date = today - timedelta(days=10)
    overdue.save()
    paid = InvoiceFactory(client=other, status="sent", total=Decimal("50"))
    PaymentFactory(invoice=paid, amount=Decimal("50"))

    def ids(**params):
        response = api_alice.get("/api/v1/invoices", params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids() == {draft.pk, overdue.pk, paid.pk}
    assert ids(client_id=acme.pk) == {draft.pk, overdue.pk}
    assert ids(status="overdue") == {overdue.pk}
    assert ids(status="paid") == {paid.pk}
    assert ids(status="draft", client_id=other.pk) == set()
    assert ids(from_date=str(today - timedelta(days=1))) == {draft.pk, paid.pk}
    assert ids(to_date=str(today - timedelta(days=1))) == {overdue.pk}
    rows = {row["id"]: row for row in api_alice.get("/api/v1/invoices").json()["results"]}
    assert rows[paid.pk]["status"] == "paid" and rows[paid.pk]["amount_paid"] == "50.00"
    assert rows[overdue.pk]["status"] == "overdue"


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"status": "unbilled"}, "status"),
        ({"status": "nope"}, "status"),
        ({"client_id": "999999"}, "client_id"),
        ({"client_id": "x"}, "client_id"),
        ({"from_date": "31/01/2026"}, "from_date"),
        ({"per_page": "101"}, "per_page"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(api_alice, params, named):
    response = api_alice.get("/api/v1/invoices", params)
    assert response.status_code == 400
    assert named in response.json()["error"]["message"]


def test_the_list_and_detail_take_a_fixed_number_of_queries(api_alice, django_assert_max_num_queries):
    def fill(n):
        for _ in range(n):
            line = InvoiceFactory().lines.create(
                description="Care", quantity_seconds=3600, unit_price=Decimal(1), amount=Decimal(1)
            )
            PaymentFactory(invoice=line.invoice, amount=Decimal("0.5"))

    fill(2)
    with django_assert_max_num_queries(8):
        assert api_alice.get("/api/v1/invoices").status_code == 200
    fill(10)
    with django_assert_max_num_queries(8):
        assert len(api_alice.get("/api/v1/invoices").json()["results"]) == 12
    invoice = Invoice.objects.first()
    for _ in range(5):
        PaymentFactory(invoice=invoice, amount=Decimal("0.01"))
    with django_assert_max_num_queries(8):
        body = api_alice.get(f"/api/v1/invoices/{invoice.pk}").json()
    assert len(body["payments"]) == 6 and len(body["lines"]) == 1


def test_an_unknown_invoice_is_a_404(api_alice):
    response = api_alice.get("/api/v1/invoices/424242")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert api_alice.get("/api/v1/invoices/424242/payments").status_code == 404


def test_payments_move_the_status_to_partially_paid_then_paid(api_dana, dana, acme):
    invoice = _sent_invoice(api_dana, acme)
    url = f"/api/v1/invoices/{invoice.pk}/payments"
    first = api_dana.post(url, {"amount": "50.00", "method": "Bank", "reference": "TX-1"}, format="json")
    assert first.status_code == 201
    assert first.json()["amount"] == "50.00" and first.json()["paid_on"] == str(timezone.localdate())
    detail = api_dana.get(f"/api/v1/invoices/{invoice.pk}").json()
    assert (detail["status"], detail["amount_paid"], detail["outstanding"]) == (
        "partially_paid",
        "50.00",
        "150.00",
    )
    assert api_dana.post(url, {"amount": "150", "paid_on": "2026-01-15"}, format="json").status_code == 201
    assert api_dana.get(f"/api/v1/invoices/{invoice.pk}").json()["status"] == "paid"
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    listed = api_dana.get(url).json()
    assert listed["count"] == 2 and {p["amount"] for p in listed["results"]} == {"50.00", "150.00"}
    assert Payment.objects.filter(invoice=invoice, recorded_by=dana).count() == 2


@pytest.mark.parametrize("amount", ["0", "-5", "10.005", "abc", "250.01"])
def test_a_bad_amount_or_overpayment_is_a_422(api_dana, acme, amount):
    invoice = _sent_invoice(api_dana, acme)
    response = api_dana.post(f"/api/v1/invoices/{invoice.pk}/payments", {"amount": amount}, format="json")
    assert response.status_code == 422
    assert "amount" in response.json()["error"]["fields"]
    assert not Payment.objects.exists()


def test_an_overpayment_says_what_is_open(api_dana, acme):
    invoice = _sent_invoice(api_dana, acme)
    response = api_dana.post(f"/api/v1/invoices/{invoice.pk}/payments", {"amount": "200.01"}, format="json")
    assert response.status_code == 422 and "200.00 still open" in response.json()["error"]["message"]


def test_draft_and_canceled_invoices_take_no_payments(api_dana, acme):
    draft = Invoice.objects.get(pk=_create(api_dana, acme).json()["id"])
    url = f"/api/v1/invoices/{draft.pk}/payments"
    response = api_dana.post(url, {"amount": "10"}, format="json")
    assert response.status_code == 409 and "draft" in response.json()["error"]["message"]
    invoicing.cancel(draft)
    assert api_dana.post(url, {"amount": "10"}, format="json").status_code == 409
    assert api_dana.get(f"/api/v1/invoices/{draft.pk}").json()["status"] == "canceled"
    assert not Payment.objects.exists()


def test_a_payment_dated_in_the_future_is_refused_as_on_the_page(api_dana, acme):
    invoice = _sent_invoice(api_dana, acme)
    body = {"amount": "50", "paid_on": "2026-12-01"}  # the steady clock's today is 2026-11-18
    response = api_dana.post(f"/api/v1/invoices/{invoice.pk}/payments", body, format="json")
    assert response.status_code == 422
    assert "cannot be received in the future" in response.json()["error"]["message"]
    assert not Payment.objects.exists()
