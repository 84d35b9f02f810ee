"""Dates and ids sent to the invoice and payment routes stay inside what the API supports."""

from decimal import Decimal

import pytest

from tests.factories import ClientFactory, InvoiceFactory, TaskFactory, TimeEntryFactory
from timetracker.billing.models import Invoice, Payment

pytestmark = pytest.mark.django_db
DATE_MESSAGE = "Choose a date between 1970 and 2999."
HUGE = 2**70


@pytest.fixture
def acme(bob):
    client = ClientFactory(name="Acme")
    TimeEntryFactory(task=TaskFactory(client=client), user=bob, hourly_rate=Decimal("100.00"))
    return client


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"issue_date": "9999-12-31"}, "issue_date", DATE_MESSAGE),
        ({"issue_date": "1969-12-31"}, "issue_date", DATE_MESSAGE),
        ({"start": "0001-01-01"}, "start", DATE_MESSAGE),
        ({"end": "3000-01-01"}, "end", DATE_MESSAGE),
        ({"client_id": HUGE}, "client_id", "Ensure this value is less than or equal to 9223372036854775807."),
        ({"client_id": 0}, "client_id", "Ensure this value is greater than or equal to 1."),
        (
            {"project_id": HUGE},
            "project_id",
            "Ensure this value is less than or equal to 9223372036854775807.",
        ),
        ({"expected_entry_ids": [HUGE]}, "expected_entry_ids", None),
        ({"expected_entry_ids": [-1]}, "expected_entry_ids", None),
    ],
)
def test_invoice_inputs_out_of_bounds_are_a_422_naming_them(api_alice, acme, change, field, message):
    response = api_alice.post("/api/v1/invoices", {"client_id": acme.pk, **change}, format="json")
    assert response.status_code == 422, response.json()
    errors = response.json()["error"]["fields"][field]
    assert errors == [message] if message else errors
    assert not Invoice.objects.exists()
    assert api_alice.get("/api/v1/invoices").status_code == 200


def test_an_issue_date_at_the_end_of_the_range_still_gets_a_due_date(api_alice, acme):
    response = api_alice.post(
        "/api/v1/invoices", {"client_id": acme.pk, "issue_date": "2999-12-31"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["issue_date"], response.json()["due_date"]) == ("2999-12-31", "3000-01-30")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "10", "paid_on": "9999-12-31"}, "paid_on"),
        ({"amount": "10", "paid_on": "1969-12-31"}, "paid_on"),
        ({"amount": "1e30"}, "amount"),
        ({"amount": "NaN"}, "amount"),
    ],
)
def test_payment_inputs_out_of_bounds_are_a_422_naming_them(api_dana, body, field):
    invoice = InvoiceFactory(status="sent", total=Decimal("100"))
    response = api_dana.post(f"/api/v1/invoices/{invoice.pk}/payments", body, format="json")
    assert response.status_code == 422 and field in response.json()["error"]["fields"]
    assert not Payment.objects.exists()
    assert api_dana.get(f"/api/v1/invoices/{invoice.pk}").status_code == 200


@pytest.mark.parametrize("name", ["from_date", "to_date"])
def test_a_list_date_out_of_range_is_a_400_naming_it(api_alice, name):
    response = api_alice.get("/api/v1/invoices", {name: "9999-12-31"})
    assert response.status_code == 400 and name in response.json()["error"]["message"]
