import pytest

from tests.factories import ClientFactory, ClientSettingsFactory
from timetracker.billing.models import ClientSettings, Settings

pytestmark = pytest.mark.django_db


def test_everyone_reads_the_settings_but_staff_without_rates(api_bob, api_alice):
    Settings.objects.update_or_create(pk=1, defaults={"default_hourly_rate": "75"})
    assert api_alice.get("/api/v1/settings").json()["default_hourly_rate"] == "75.00"
    body = api_bob.get("/api/v1/settings").json()
    assert body["currency_code"] == "USD" and body["default_hourly_rate"] is None


def test_only_admins_change_the_settings(api_alice, api_dana, api_bob):
    assert api_dana.patch("/api/v1/settings", {"tax_rate": "10"}, format="json").status_code == 403
    assert api_bob.patch("/api/v1/settings", {"tax_rate": "10"}, format="json").status_code == 403
    response = api_alice.patch(
        "/api/v1/settings",
        {"tax_rate": "21", "currency_code": "eur", "rounding_enabled": True},
        format="json",
    )
    assert response.status_code == 200, response.json()
    settings = Settings.load()
    assert (str(settings.tax_rate), settings.currency_code, settings.rounding_enabled) == (
        "21.00",
        "EUR",
        True,
    )
    assert settings.decimal_places == 2  # untouched settings keep their values


@pytest.mark.parametrize(
    "body, field",
    [
        ({"tax_rate": "150"}, "tax_rate"),
        ({"currency_code": "EURO"}, "currency_code"),
        ({"decimal_separator": ",", "thousand_separator": ","}, "decimal_separator"),
        ({"rounding_interval": 7}, "rounding_interval"),
        ({"colour": "red"}, "colour"),
        ({"rounding_enabled": "yes"}, "rounding_enabled"),
        ({"decimal_places": [1]}, "decimal_places"),
    ],
)
def test_bad_settings_are_a_422_naming_them(api_alice, body, field):
    response = api_alice.patch("/api/v1/settings", body, format="json")
    assert response.status_code == 422 and field in response.json()["error"]["fields"], response.json()


def test_a_non_object_body_is_a_422(api_alice):
    assert api_alice.patch("/api/v1/settings", [1, 2], format="json").status_code == 422


def test_client_overrides_null_inherits(api_dana):
    client = ClientFactory()
    body = api_dana.get(f"/api/v1/clients/{client.pk}/settings").json()
    assert body["currency_code"] is None and body["rounding_enabled"] is None
    response = api_dana.patch(
        f"/api/v1/clients/{client.pk}/settings",
        {"currency_code": "gbp", "rounding_enabled": False},
        format="json",
    )
    assert response.status_code == 200 and response.json()["currency_code"] == "GBP"
    overrides = ClientSettings.objects.get(client=client)
    assert overrides.rounding_enabled is False and overrides.tax_rate is None
    cleared = api_dana.patch(f"/api/v1/clients/{client.pk}/settings", {"currency_code": None}, format="json")
    assert cleared.json()["currency_code"] is None and cleared.json()["rounding_enabled"] is False
    assert Settings.load().for_client(client).currency_code == "USD"


def test_client_overrides_are_validated_and_for_managers(api_dana, api_bob):
    client = ClientSettingsFactory().client
    bad = api_dana.patch(f"/api/v1/clients/{client.pk}/settings", {"tax_rate": "-3"}, format="json")
    assert bad.status_code == 422 and "tax_rate" in bad.json()["error"]["fields"]
    assert api_bob.get(f"/api/v1/clients/{client.pk}/settings").status_code == 403
    assert api_dana.get("/api/v1/clients/999/settings").status_code == 404
