from decimal import Decimal

import pytest
from django import forms
from django.urls import reverse
from django.utils import timezone

from tests.factories import ClientFactory, ClientSettingsFactory
from timetracker.billing.forms import GROUPS, ClientSettingsForm, GlobalSettingsForm
from timetracker.billing.models import SETTING_NAMES, ClientSettings, Settings
from timetracker.clients.models import Client
from timetracker.lib.money import format_money

pytestmark = pytest.mark.django_db
URL = reverse("billing:settings")


def client_url(client):
    return reverse("billing:client_settings", args=[client.pk])


def posted(form, **changes):
    """What the browser would post for this unbound form, with some values changed (False unticks a box)."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field, forms.BooleanField):
            value = "on" if value else False
        if isinstance(field, forms.FileField):
            continue  # a browser posts no file unless one is chosen
        if value is not None:
            data[name] = value
    data.update(changes)
    return {name: value for name, value in data.items() if value is not False}


def global_data(**changes):
    return posted(GlobalSettingsForm(instance=Settings.load()), **changes)


def stored():
    settings = Settings.load()
    return {name: getattr(settings, name) for name in SETTING_NAMES}


def merged(client):
    """The settings in force for a client, read afresh (a client caches its override row once read)."""
    return Settings.load().for_client(Client.objects.get(pk=client.pk))


def money_for(client):
    return format_money(Decimal("1234.5"), merged(client).money_format())


def test_every_setting_is_on_exactly_one_card():
    names = [name for _, group in GROUPS for name in group]
    assert sorted(names) == sorted(SETTING_NAMES)


def test_admin_sees_the_settings_in_cards_with_a_preview(alice_client):
    response = alice_client.get(URL)
    assert response.status_code == 200
    for title in ("Timer", "Money", "Rounding", "Invoices", "Calendar"):
        assert f">{title}</h2>" in response.text
    year = timezone.localdate().year
    assert response.context["preview"] == {
        "money": "$1,234.50",
        "rounding": "No rounding",
        "invoice_number": f"{year}-0001",
    }
    assert "Money looks like <strong>$1,234.50</strong>" in response.text
    assert f"Next invoice number looks like <strong>{year}-0001</strong>" in response.text


def test_admin_saves_the_settings_and_history_records_who(alice_client, alice):
    data = global_data(
        currency_code="eur",
        currency_symbol="€",
        symbol_position="after",
        thousand_separator=".",
        decimal_separator=",",
        rounding_enabled="on",
        rounding_mode="up",
        rounding_interval="15",
        invoice_number_format="INV-{y}{M}-{seq:3}",
        allow_overlapping_entries=False,
        week_start="6",
    )
    response = alice_client.post(URL, data)
    assert response.status_code == 302 and response["Location"] == URL

    settings = Settings.load()
    assert (settings.currency_code, settings.week_start, settings.allow_overlapping_entries) == (
        "EUR",
        6,
        False,
    )
    assert format_money(Decimal("1234.5"), settings.money_format()) == "1.234,50 €"
    assert settings.history.first().history_user == alice

    page = alice_client.get(URL)
    assert "Saved the settings." in page.text
    assert page.context["preview"]["money"] == "1.234,50 €"
    assert page.context["preview"]["rounding"] == "Round up to 15 minutes"
    assert page.context["preview"]["invoice_number"].startswith("INV-")
    assert "by Alice" in page.text or "by alice" in page.text


def test_no_thousand_separator_is_a_choice_of_its_own(alice_client):
    alice_client.post(URL, global_data(thousand_separator="none"))
    assert Settings.load().thousand_separator == ""
    page = alice_client.get(URL)
    assert page.context["preview"]["money"] == "$1234.50"
    # Shown again as "None", not as the first option.
    assert page.context["form"]["thousand_separator"].value() == "none"


@pytest.mark.parametrize("user", ["dana", "bob", "charlie"])
def test_only_admins_open_the_global_settings(client, user, request):
    client.force_login(request.getfixturevalue(user))
    before = stored()
    assert client.get(URL).status_code == 403
    assert client.post(URL, global_data(currency_symbol="€")).status_code == 403
    assert stored() == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"thousand_separator": ",", "decimal_separator": ","},
            "decimal_separator",
            'The decimal separator (",") and the thousand separator (",") must differ.',
        ),
        ({"decimal_places": "5"}, "decimal_places", "Decimal places must be between 0 and 4."),
        ({"decimal_places": "-1"}, "decimal_places", "Decimal places must be between 0 and 4."),
        ({"invoice_number_format": "INV-{Y}"}, "invoice_number_format", "needs a {seq} part"),
        ({"invoice_number_format": "{Y}-{seq:4}-{n}"}, "invoice_number_format", "has an unknown part"),
        (
            {"currency_symbol": "1$"},
            "currency_symbol",
            'The currency symbol ("1$") is not allowed: it must be text without digits or "-".',
        ),
        ({"currency_code": "U$"}, "currency_code", 'Currency code "U$" is not valid'),
        ({"tax_rate": "150"}, "tax_rate", "Tax rate (%) must be between 0 and 100."),
        (
            {"payment_terms_days": "-3"},
            "payment_terms_days",
            "Payment terms (days) must be between 0 and 365.",
        ),
    ],
)
def test_bad_settings_are_explained_and_nothing_is_saved(alice_client, changes, field, message):
    Settings.load()
    before, history = stored(), Settings.history.count()
    response = alice_client.post(URL, global_data(**{"currency_symbol": "€", **changes}))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert any(message in error for error in errors[field])
    assert "Nothing was saved" in response.text
    assert stored() == before and Settings.history.count() == history
    # The preview keeps showing what is saved, not the refused form.
    assert response.context["preview"]["money"] == "$1,234.50"


def test_the_global_page_lists_client_overrides_and_leads_to_a_client(alice_client):
    bluebird, acme = ClientFactory(name="Bluebird"), ClientFactory(name="Acme")
    ClientSettingsFactory(client=bluebird, currency_symbol="€")
    response = alice_client.get(URL)
    assert response.context["overrides"] == [(bluebird, ["Currency symbol"])]
    assert list(response.context["other_clients"]) == [acme]
    assert alice_client.get(URL, {"client": acme.pk})["Location"] == client_url(acme)
    assert alice_client.get(URL, {"client": 999999}).status_code == 404


def test_a_client_override_changes_money_for_that_client_only(alice_client):
    bluebird, acme = ClientFactory(name="Bluebird Bakery"), ClientFactory(name="Acme")
    response = alice_client.post(
        client_url(bluebird),
        {
            "currency_symbol": "€",
            "symbol_position": "after",
            "thousand_separator": ".",
            "decimal_separator": ",",
        },
    )
    assert response.status_code == 302 and response["Location"] == client_url(bluebird)

    assert money_for(bluebird) == "1.234,50 €"
    assert money_for(acme) == "$1,234.50"
    assert Settings.load().currency_symbol == "$"
    assert ClientSettings.objects.get(client=bluebird).overridden() == {
        "currency_symbol": "€",
        "symbol_position": "after",
        "thousand_separator": ".",
        "decimal_separator": ",",
    }

    page = alice_client.get(client_url(bluebird))
    assert "Saved the settings for Bluebird Bakery." in page.text
    assert "Money looks like <strong>1.234,50 €</strong>" in page.text
    assert "Money looks like <strong>$1,234.50</strong>" in alice_client.get(client_url(acme)).text


def test_the_client_form_shows_what_is_inherited(alice_client):
    settings = Settings.load()
    settings.default_timer_mode = "up"
    settings.save()
    page = alice_client.get(client_url(ClientFactory()))
    assert page.status_code == 200
    assert "As global (Count up)" in page.text
    assert "As global (No)" in page.text  # rounding is off globally
    assert 'placeholder="$"' in page.text and "Global: $" in page.text
    assert "As global (&quot;,&quot;)" in page.text  # the thousand separator


def test_booleans_on_a_client_have_three_states(alice_client):
    bluebird = ClientFactory()
    alice_client.post(
        client_url(bluebird), {"rounding_enabled": "true", "allow_overlapping_entries": "false"}
    )
    override = ClientSettings.objects.get(client=bluebird)
    assert (override.rounding_enabled, override.allow_overlapping_entries, override.staff_can_see_rates) == (
        True,
        False,
        None,
    )
    in_force = merged(bluebird)
    assert in_force.rounding_policy().enabled is True and in_force.allow_overlapping_entries is False

    settings = Settings.load()
    settings.staff_can_see_rates = True
    settings.save()
    assert merged(bluebird).staff_can_see_rates is True  # inherited, so it follows

    form = alice_client.get(client_url(bluebird)).context["form"]
    assert (form["rounding_enabled"].value(), form["allow_overlapping_entries"].value()) == ("true", "false")

    # Back to "as global" for one of them; the other stays overridden.
    alice_client.post(client_url(bluebird), {"rounding_enabled": "", "allow_overlapping_entries": "false"})
    override.refresh_from_db()
    assert (override.rounding_enabled, override.allow_overlapping_entries) == (None, False)
    assert merged(bluebird).rounding_enabled is False


def test_a_client_can_turn_the_thousand_separator_off(alice_client):
    bluebird = ClientFactory()
    alice_client.post(client_url(bluebird), {"thousand_separator": "none"})
    assert ClientSettings.objects.get(client=bluebird).thousand_separator == ""
    assert money_for(bluebird) == "$1234.50"


def test_clearing_every_override_removes_the_row(alice_client):
    bluebird = ClientFactory(name="Bluebird")
    ClientSettingsFactory(client=bluebird, currency_symbol="€", rounding_enabled=True)
    form = ClientSettingsForm(instance=bluebird.settings_override, global_settings=Settings.load())
    everything_blank = {name: "" for name in form.fields}
    response = alice_client.post(client_url(bluebird), everything_blank, follow=True)
    assert not ClientSettings.objects.filter(client=bluebird).exists()
    assert "Bluebird now uses the global settings." in response.text
    assert money_for(bluebird) == "$1,234.50"


def test_reset_posts_nothing_and_removes_the_row(alice_client):
    bluebird = ClientFactory()
    ClientSettingsFactory(client=bluebird, week_start=6)
    page = alice_client.get(client_url(bluebird))
    assert "Reset all to global" in page.text
    alice_client.post(client_url(bluebird), {})
    assert not ClientSettings.objects.exists()
    assert "Reset all to global" not in alice_client.get(client_url(bluebird)).text


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"decimal_separator": ","},
            "decimal_separator",
            'The decimal separator (",") and the thousand separator ("," from the global settings) must differ.',
        ),
        (
            {"thousand_separator": "."},
            "thousand_separator",
            'The decimal separator ("." from the global settings) and the thousand separator (".") must differ.',
        ),
        ({"decimal_places": "7"}, "decimal_places", "Decimal places must be between 0 and 4."),
        ({"invoice_number_format": "{Y}"}, "invoice_number_format", "needs a {seq} part"),
        ({"currency_symbol": "-"}, "currency_symbol", 'The currency symbol ("-") is not allowed'),
    ],
)
def test_client_overrides_are_checked_against_the_merged_settings(alice_client, data, field, message):
    bluebird = ClientFactory()
    response = alice_client.post(client_url(bluebird), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert any(message in error for error in errors[field])
    assert not ClientSettings.objects.exists()


def test_overriding_both_separators_together_is_fine(alice_client):
    bluebird = ClientFactory()
    response = alice_client.post(client_url(bluebird), {"thousand_separator": ".", "decimal_separator": ","})
    assert response.status_code == 302
    assert money_for(bluebird) == "$1.234,50"


def test_a_refused_client_form_keeps_the_saved_overrides(alice_client):
    bluebird = ClientFactory()
    ClientSettingsFactory(client=bluebird, currency_symbol="€")
    response = alice_client.post(client_url(bluebird), {"currency_symbol": "£", "decimal_places": "9"})
    assert response.status_code == 200
    assert ClientSettings.objects.get(client=bluebird).currency_symbol == "€"
    assert response.context["preview"]["money"] == "€1,234.50"


def test_managers_may_change_a_clients_settings(client, dana):
    client.force_login(dana)
    bluebird = ClientFactory()
    assert client.get(client_url(bluebird)).status_code == 200
    assert client.post(client_url(bluebird), {"payment_terms_days": "14"}).status_code == 302
    assert merged(bluebird).payment_terms_days == 14


@pytest.mark.parametrize("user", ["bob", "charlie"])
def test_staff_and_outsiders_cannot_open_a_clients_settings(client, user, request):
    client.force_login(request.getfixturevalue(user))
    bluebird = ClientFactory()
    assert client.get(client_url(bluebird)).status_code == 403
    assert client.post(client_url(bluebird), {"currency_symbol": "€"}).status_code == 403
    assert not ClientSettings.objects.exists()


def test_an_unknown_client_is_not_found(alice_client):
    assert alice_client.get(reverse("billing:client_settings", args=[999999])).status_code == 404


def test_client_settings_history_records_who_changed_them(client, dana):
    client.force_login(dana)
    bluebird = ClientFactory()
    client.post(client_url(bluebird), {"tax_rate": "8.5"})
    override = ClientSettings.objects.get(client=bluebird)
    assert override.tax_rate == Decimal("8.5")
    record = override.history.first()
    assert record.history_user == dana and record.history_type == "+"
    client.post(client_url(bluebird), {})
    deleted = ClientSettings.history.filter(client_id=bluebird.pk).first()
    assert deleted.history_type == "-" and deleted.history_user == dana


def test_every_money_problem_is_named_at_once(alice_client):
    response = alice_client.post(
        client_url(ClientFactory()), {"decimal_separator": ",", "currency_symbol": "1x"}
    )
    errors = response.context["form"].errors
    assert sorted(errors) == ["currency_symbol", "decimal_separator"]
    assert "must differ" in errors["decimal_separator"][0]
    assert 'The currency symbol ("1x") is not allowed' in errors["currency_symbol"][0]
