"""Rates and hours typed for clients and projects: the page and the API refuse the same bounds, alike."""

import pytest
from django.urls import reverse

from tests.factories import ClientFactory
from timetracker.clients.models import Client, Project

pytestmark = pytest.mark.django_db

RATE_PROBLEMS = [
    ("-0.01", "The hourly rate cannot be negative."),
    ("100000.01", "The hourly rate cannot be more than 100000."),
]
BUDGET_PROBLEMS = [
    ("-1", "Budget hours cannot be negative."),
    ("100001", "Budget hours cannot be more than 100000."),
]


@pytest.fixture
def dana_client(client, dana):
    client.force_login(dana)
    return client


@pytest.mark.parametrize(("rate", "message"), RATE_PROBLEMS)
def test_a_clients_rate_past_its_bounds_is_refused_on_the_page_and_the_api(
    dana_client, api_dana, rate, message
):
    response = dana_client.post(reverse("clients:create"), {"name": "Acme", "hourly_rate": rate})
    assert response.status_code == 200 and response.context["form"].errors["hourly_rate"] == [message]
    response = api_dana.post("/api/v1/clients", {"name": "Acme", "hourly_rate": rate}, format="json")
    assert response.status_code == 422 and response.json()["error"]["fields"]["hourly_rate"] == [message]
    assert not Client.objects.exists()
    assert dana_client.get(reverse("clients:list")).status_code == 200
    assert api_dana.get("/api/v1/clients").status_code == 200


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("hourly_rate", *problem) for problem in RATE_PROBLEMS]
    + [("budget_hours", *problem) for problem in BUDGET_PROBLEMS],
)
def test_a_projects_numbers_past_their_bounds_are_refused_alike(dana_client, api_dana, field, value, message):
    acme = ClientFactory(name="Acme")
    page = dana_client.post(
        reverse("clients:project_create"), {"client": acme.pk, "name": "Site", field: value}
    )
    assert page.status_code == 200 and page.context["form"].errors[field] == [message]
    body = {"client_id": acme.pk, "name": "Site", field: value}
    response = api_dana.post("/api/v1/projects", body, format="json")
    assert response.status_code == 422 and response.json()["error"]["fields"][field] == [message]
    assert not Project.objects.exists()
    assert dana_client.get(reverse("clients:detail", args=[acme.pk])).status_code == 200
    assert api_dana.get("/api/v1/projects").status_code == 200


def test_the_highest_rate_is_fine(dana_client, api_dana):
    response = api_dana.post("/api/v1/clients", {"name": "Acme", "hourly_rate": "100000"}, format="json")
    assert response.status_code == 201 and response.json()["hourly_rate"] == "100000.00"
    acme = Client.objects.get()
    response = dana_client.post(
        reverse("clients:edit", args=[acme.pk]), {"name": "Acme", "hourly_rate": "99999.99"}
    )
    assert response.status_code == 302
    acme.refresh_from_db()
    assert str(acme.hourly_rate) == "99999.99"


def test_the_schema_documents_the_bounds(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    for name in ["PatchedSettingsRequest", "PatchedClientSettingsRequest"]:
        terms = schema[name]["properties"]["payment_terms_days"]
        assert (terms["minimum"], terms["maximum"]) == (0, 365)
