"""Every number typed into the settings stays inside bounds that invoicing and the pages can compute with."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DataError, IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from tests.api.conftest import client_for
from tests.billing.invoice_support import UNBILLED, entry
from tests.billing.test_settings_views import URL, client_url, global_data
from tests.factories import ClientFactory
from timetracker.billing.models import ClientSettings, Invoice, Settings

pytestmark = pytest.mark.django_db

# (setting, a value past its bound, the message naming it)
OUT_OF_BOUNDS = [
    ("payment_terms_days", "99999999999", "Payment terms (days) must be between 0 and 365."),
    ("payment_terms_days", "366", "Payment terms (days) must be between 0 and 365."),
    (
        "reminder_after_hours",
        "99999999999",
        "Running-timer reminder after (hours) must be between 0 and 168.",
    ),
    ("decimal_places", "99999999999", "Decimal places must be between 0 and 4."),
    ("default_hourly_rate", "100001", "Default hourly rate must be between 0 and 100000."),
    ("default_hourly_rate", "-1", "Default hourly rate must be between 0 and 100000."),
    ("tax_rate", "100.01", "Tax rate (%) must be between 0 and 100."),
    ("rounding_interval", "99999999999", "Select a valid choice."),
    ("week_start", "7", "Select a valid choice."),
]


@pytest.fixture
def acme():
    """A client with an hour of unbilled billable time."""
    client = ClientFactory(name="Acme")
    entry(client, at=timezone.now() - timedelta(days=2))
    return client


def invoices_can_still_be_made(alice, acme):
    response = client_for(alice).post("/api/v1/invoices", {"client_id": acme.pk}, format="json")
    assert response.status_code == 201, response.json()
    invoice = Invoice.objects.get(pk=response.json()["id"])
    terms = Settings.load().for_client(acme).payment_terms_days
    assert invoice.due_date == invoice.issue_date + timedelta(days=terms)
    return invoice


@pytest.mark.parametrize(("name", "value", "message"), OUT_OF_BOUNDS)
def test_the_settings_page_refuses_a_number_past_its_bound(alice_client, alice, acme, name, value, message):
    response = alice_client.post(URL, global_data(**{name: value}))
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[name])
    assert getattr(Settings.load(), name) == Settings._meta.get_field(name).get_default()
    assert alice_client.get(UNBILLED).status_code == 200
    invoices_can_still_be_made(alice, acme)


@pytest.mark.parametrize(("name", "value", "message"), OUT_OF_BOUNDS)
def test_a_clients_settings_page_refuses_the_same(alice_client, alice, acme, name, value, message):
    response = alice_client.post(client_url(acme), {name: value})
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[name])
    assert not ClientSettings.objects.exists()
    invoices_can_still_be_made(alice, acme)


@pytest.mark.parametrize(("name", "value", "message"), OUT_OF_BOUNDS)
def test_the_settings_api_refuses_the_same_naming_the_setting(alice, acme, name, value, message):
    api = client_for(alice)
    for body in ({name: value}, {name: int(value)} if value.lstrip("-").isdigit() else {name: value}):
        response = api.patch("/api/v1/settings", body, format="json")
        assert response.status_code == 422, response.json()
        assert any(message in error for error in response.json()["error"]["fields"][name])
        overrides = api.patch(f"/api/v1/clients/{acme.pk}/settings", body, format="json")
        assert overrides.status_code == 422 and name in overrides.json()["error"]["fields"]
    assert api.get("/api/v1/settings").status_code == 200
    invoices_can_still_be_made(alice, acme)


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ('{"payment_terms_days": 1e400}', "payment_terms_days"),
        ('{"payment_terms_days": 30.5}', "payment_terms_days"),
        ('{"tax_rate": "NaN"}', "tax_rate"),
        ('{"tax_rate": 1e400}', "tax_rate"),
        ('{"default_hourly_rate": "-Infinity"}', "default_hourly_rate"),
    ],
)
def test_odd_numbers_are_refused_too(alice, body, name):
    api = client_for(alice)
    response = api.generic("PATCH", "/api/v1/settings", body, content_type="application/json")
    assert response.status_code == 422 and list(response.json()["error"]["fields"]) == [name]


def test_the_longest_terms_make_an_invoice_due_a_year_later(alice_client, alice, acme):
    assert alice_client.post(URL, global_data(payment_terms_days="365")).status_code == 302
    invoice = invoices_can_still_be_made(alice, acme)
    assert invoice.due_date - invoice.issue_date == timedelta(days=365)


def test_a_clients_terms_within_bounds_apply_to_its_invoices(alice, acme):
    api = client_for(alice)
    response = api.patch(f"/api/v1/clients/{acme.pk}/settings", {"payment_terms_days": 7}, format="json")
    assert response.status_code == 200
    invoice = invoices_can_still_be_made(alice, acme)
    assert invoice.due_date - invoice.issue_date == timedelta(days=7)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("payment_terms_days", 99999999999),
        ("payment_terms_days", 366),
        ("reminder_after_hours", 169),
        ("decimal_places", 5),
        ("default_hourly_rate", Decimal("100000.01")),
        ("tax_rate", Decimal("100.01")),
        ("rounding_interval", 7),
        ("week_start", 7),
    ],
)
def test_the_database_refuses_settings_past_their_bounds(acme, name, value):
    Settings.load()
    refused = (IntegrityError, DataError)  # PostgreSQL's smallint refuses 99999999999 before the check does
    with pytest.raises(refused), transaction.atomic():
        Settings.objects.filter(pk=1).update(**{name: value})
    with pytest.raises(refused), transaction.atomic():
        ClientSettings.objects.create(client=acme, **{name: value})
    # A client's empty override inherits; the database lets it be.
    ClientSettings.objects.create(client=acme)


def test_the_invoice_page_still_opens(alice_client, acme):
    assert alice_client.get(reverse("billing:invoice_create"), {"client": acme.pk}).status_code == 200
