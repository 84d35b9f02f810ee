from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from tests.factories import (
    ClientFactory,
    ClientSettingsFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    PaymentFactory,
    ProjectFactory,
    TaskFactory,
)
from timetracker.billing.models import Settings
from timetracker.billing.numbering import format_invoice_number
from timetracker.billing.rates import resolve_rate
from timetracker.buckets.models import Bucket
from timetracker.lib.money import format_money
from timetracker.lib.rounding import RoundingPolicy

pytestmark = pytest.mark.django_db


def test_settings_are_one_row_created_on_first_use():
    first = Settings.load()
    assert Settings.load().pk == first.pk == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Settings.objects.create(pk=2)


def test_client_overrides_replace_only_the_fields_they_set():
    settings = Settings.load()
    settings.currency_symbol = "$"
    settings.rounding_enabled = True
    settings.rounding_interval = 15
    settings.save()
    bluebird = ClientFactory()
    ClientSettingsFactory(
        client=bluebird,
        currency_symbol="€",
        symbol_position="after",
        thousand_separator=".",
        decimal_separator=",",
    )
    plain = ClientFactory()

    merged = settings.for_client(bluebird)
    assert format_money(Decimal("1234.5"), merged.money_format()) == "1.234,50 €"
    # Blank overrides inherit: rounding still comes from the global settings.
    assert merged.rounding_policy() == RoundingPolicy(enabled=True, mode="nearest", interval_minutes=15)
    assert format_money(Decimal("1234.5"), settings.for_client(plain).money_format()) == "$1,234.50"
    # Resolving never changes the stored global row.
    settings.refresh_from_db()
    assert settings.currency_symbol == "$"


def test_an_override_can_turn_a_global_setting_off():
    settings = Settings.load()
    settings.rounding_enabled = True
    settings.save()
    client = ClientFactory()
    ClientSettingsFactory(client=client, rounding_enabled=False)
    assert settings.for_client(client).rounding_policy().enabled is False
    assert client.settings_override.overridden() == {"rounding_enabled": False}


def test_invoice_numbers_are_unique():
    InvoiceFactory(number="2026-0001")
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceFactory(number="2026-0001")


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"status": "unbilled"}, "invoice_status_is_billed"),
        ({"due_offset": -1}, "invoice_due_after_issue"),
    ],
)
def test_invoice_rules_are_enforced_by_the_database(fields, name):
    offset = fields.pop("due_offset", 30)
    invoice = InvoiceFactory.build(client=ClientFactory(), **fields)
    invoice.due_date = invoice.issue_date + timedelta(days=offset)
    with pytest.raises(IntegrityError, match=name), transaction.atomic():
        invoice.save()


def test_line_amounts_and_payments_cannot_be_negative():
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceLineFactory(amount=Decimal("-1.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentFactory(amount=Decimal("0"))
    assert InvoiceLineFactory(quantity_seconds=5400).hours == Decimal("1.50")


def test_invoice_changes_are_kept_in_history():
    invoice = InvoiceFactory(status="draft")
    invoice.status = "sent"
    invoice.save()
    assert [h.status for h in invoice.history.order_by("history_date")] == ["draft", "sent"]


def test_rate_precedence_takes_the_most_specific_rate(bob):
    settings = Settings.load()
    settings.default_hourly_rate = Decimal("50")
    bob.default_hourly_rate = Decimal("60")
    client = ClientFactory(hourly_rate=Decimal("70"))
    bucket = Bucket.objects.create(title="Care", hours=10, hourly_price=Decimal("80"))
    project = ProjectFactory(client=client, hourly_rate=Decimal("90"))
    task = TaskFactory(client=client, project=project, bucket=bucket, hourly_rate=Decimal("100"))

    assert resolve_rate(task=task, user=bob, settings=settings, override=Decimal("110")) == (
        Decimal("110"),
        "entry",
    )
    expected = [("task", 100), ("project", 90), ("bucket", 80), ("client", 70), ("user", 60), ("global", 50)]
    for source, rate in expected:
        assert resolve_rate(task=task, user=bob, settings=settings) == (Decimal(rate), source)
        # Take this level away; the next one down must win.
        if source == "task":
            task.hourly_rate = None
        elif source == "project":
            project.hourly_rate = None
        elif source == "bucket":
            bucket.hourly_price = None
        elif source == "client":
            client.hourly_rate = None
        elif source == "user":
            bob.default_hourly_rate = None
        else:
            settings.default_hourly_rate = None
    assert resolve_rate(task=task, user=bob, settings=settings) == (None, "none")


def test_a_zero_rate_is_a_rate_not_a_missing_one(bob):
    task = TaskFactory(hourly_rate=Decimal("0"), client=ClientFactory(hourly_rate=Decimal("70")))
    assert resolve_rate(task=task, user=bob, settings=Settings.load()) == (Decimal("0"), "task")


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("{Y}-{seq:4}", "2026-0007"),
        ("INV{y}{M}-{seq:3}", "INV2611-007"),
        ("{seq}", "7"),
    ],
)
def test_invoice_number_formats(fmt, expected):
    assert format_invoice_number(fmt, year=2026, month=11, seq=7) == expected


@pytest.mark.parametrize(
    ("fmt", "problem"), [("{Y}-0001", "needs a {seq}"), ("{Y}-{seq}-{X}", "unknown part")]
)
def test_bad_invoice_number_formats_are_explained(fmt, problem):
    with pytest.raises(ValueError, match=problem.replace("{", r"\{").replace("}", r"\}")):
        format_invoice_number(fmt, year=2026, month=1, seq=1)
