from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    BucketFactory,
    ClientFactory,
    ClientSettingsFactory,
    InvoiceLineFactory,
    ProjectFactory,
    TaskFactory,
    TimeEntryFactory,
    UserFactory,
)
from timetracker.billing import rerating
from timetracker.lib.rounding import RoundingPolicy
from timetracker.tasks import entries
from timetracker.tasks.choices import RateSource
from timetracker.tasks.models import TimeEntry

pytestmark = pytest.mark.django_db
URL = reverse("billing:rerate")
OLD, NEW = Decimal("80.00"), Decimal("95.50")
UP_15 = RoundingPolicy(enabled=True, mode="up", interval_minutes=15)


def entry(task, minutes, rate, source, **extra):
    return TimeEntryFactory(
        task=task, worked=timedelta(minutes=minutes), hourly_rate=rate, rate_source=source, **extra
    )


@pytest.fixture
def acme():
    """Acme's client rate goes from 80.00 to 95.50 after these entries were saved."""
    client = ClientFactory(name="Acme", hourly_rate=OLD)
    plain = TaskFactory(client=client, title="Plain")
    with_rate = TaskFactory(client=client, title="Own rate", hourly_rate=Decimal("120.00"))
    project_task = TaskFactory(
        client=client, project=ProjectFactory(client=client, hourly_rate=Decimal("110.00"))
    )
    bucket_task = TaskFactory(client=client, bucket=BucketFactory(hourly_price=Decimal("100.00")))
    worker = UserFactory(role="Staff")
    e = SimpleNamespace(
        client=client,
        # These four change when the client rate is raised.
        seven=entry(plain, 7, OLD, RateSource.CLIENT, user=worker),
        ninety=entry(plain, 90, OLD, RateSource.CLIENT, user=worker),
        # 7 minutes, rounded up to 15 when stopped; the current policy (none) must not recount it.
        rounded=entry(plain, 7, OLD, RateSource.CLIENT, user=worker, policy=UP_15),
        non_billable=entry(plain, 30, OLD, RateSource.CLIENT, user=worker, billable=False),
        # These never change.
        task_rate=entry(with_rate, 60, Decimal("120.00"), RateSource.TASK, user=worker),
        project_rate=entry(project_task, 60, Decimal("110.00"), RateSource.PROJECT, user=worker),
        bucket_rate=entry(bucket_task, 60, Decimal("100.00"), RateSource.BUCKET, user=worker),
        invoiced=entry(plain, 60, OLD, RateSource.CLIENT, user=worker, invoice_line=InvoiceLineFactory()),
        elsewhere=entry(plain, 60, OLD, RateSource.CLIENT, user=worker, billed_elsewhere="X-2024-7"),
        override=entry(plain, 60, Decimal("50.00"), RateSource.ENTRY, user=worker),
        running=entry(plain, 60, OLD, RateSource.CLIENT, user=worker, ended_at=None),
    )
    client.hourly_rate = NEW
    client.save()
    return e


CHANGING = ("seven", "ninety", "rounded", "non_billable")
UNCHANGED = ("task_rate", "project_rate", "bucket_rate", "invoiced", "elsewhere", "override", "running")


def snapshot(entry):
    entry.refresh_from_db()
    return (entry.hourly_rate, entry.rate_source, entry.amount, entry.duration_seconds, entry.rounded_seconds)


def test_the_fixture_amounts_are_what_the_entries_were_saved_with(acme):
    assert (acme.seven.amount, acme.ninety.amount, acme.rounded.amount) == (
        Decimal("9.33"),
        Decimal("120.00"),
        Decimal("20.00"),
    )
    assert (acme.rounded.duration_seconds, acme.rounded.rounded_seconds) == (420, 900)
    assert acme.non_billable.amount is None


def test_preview_counts_only_entries_whose_rate_would_change(acme):
    summary = rerating.preview(entries=TimeEntry.objects.all())
    assert summary.entries_changed == len(CHANGING) == 4
    # 9.33 + 120.00 + 20.00 (+ nothing for non-billable time), and 7 min at 95.50 = 11.141… → 11.14,
    # 90 min → 143.25, the stored 15 rounded minutes → 23.875 → 23.88 (half up).
    assert summary.amount_before == Decimal("149.33")
    assert (
        summary.amount_after == Decimal("11.14") + Decimal("143.25") + Decimal("23.88") == Decimal("178.27")
    )
    assert summary.difference == Decimal("28.94")
    [row] = summary.clients
    assert (row.client_name, row.count, row.before, row.after) == (
        "Acme",
        4,
        Decimal("149.33"),
        Decimal("178.27"),
    )
    # A preview changes nothing.
    assert snapshot(acme.seven) == (OLD, RateSource.CLIENT, Decimal("9.33"), 420, 420)


def test_preview_honours_the_queryset_it_is_given(acme):
    only_ninety = TimeEntry.objects.filter(pk=acme.ninety.pk)
    assert rerating.preview(entries=only_ninety).entries_changed == 1
    assert rerating.preview(entries=TimeEntry.objects.filter(pk=acme.task_rate.pk)).entries_changed == 0


def test_a_changed_source_alone_counts_as_a_change():
    client = ClientFactory(hourly_rate=OLD)
    stale = entry(TaskFactory(client=client), 60, OLD, RateSource.USER)
    summary = rerating.preview(entries=TimeEntry.objects.all())
    assert (summary.entries_changed, summary.difference) == (1, Decimal("0"))
    rerating.apply(entries=TimeEntry.objects.all(), expected_count=1)
    assert snapshot(stale)[:3] == (OLD, RateSource.CLIENT, Decimal("80.00"))


def test_apply_changes_exactly_those_keeps_the_billed_time_and_writes_history(acme):
    before = {name: snapshot(getattr(acme, name)) for name in UNCHANGED}
    history = {name: getattr(acme, name).history.count() for name in CHANGING + UNCHANGED}

    assert rerating.apply(entries=TimeEntry.objects.all(), expected_count=4) == 4

    assert snapshot(acme.seven) == (NEW, RateSource.CLIENT, Decimal("11.14"), 420, 420)
    assert snapshot(acme.ninety) == (NEW, RateSource.CLIENT, Decimal("143.25"), 5400, 5400)
    assert snapshot(acme.rounded) == (NEW, RateSource.CLIENT, Decimal("23.88"), 420, 900)
    assert snapshot(acme.non_billable) == (NEW, RateSource.CLIENT, None, 1800, 1800)
    assert {name: snapshot(getattr(acme, name)) for name in UNCHANGED} == before
    for name in CHANGING:
        versions = getattr(acme, name).history.all()
        assert versions.count() == history[name] + 1
        assert versions.first().history_change_reason == "Re-rated unbilled entries"
        assert versions.first().hourly_rate == NEW
    for name in UNCHANGED:
        assert getattr(acme, name).history.count() == history[name]
    # Done once: nothing is left to re-rate.
    assert rerating.preview(entries=TimeEntry.objects.all()).entries_changed == 0


def test_apply_refuses_when_an_entry_was_invoiced_since_the_preview(acme):
    summary = rerating.preview(entries=TimeEntry.objects.all())
    entries.set_billing([acme.seven], invoice_line=InvoiceLineFactory())

    with pytest.raises(ValueError, match=r"^1 entry changed since the preview .*; preview again\.$"):
        rerating.apply(entries=TimeEntry.objects.all(), expected_count=summary.entries_changed)
    # Nothing is half-written.
    assert snapshot(acme.ninety)[:3] == (OLD, RateSource.CLIENT, Decimal("120.00"))
    assert snapshot(acme.seven)[:3] == (OLD, RateSource.CLIENT, Decimal("9.33"))
    # The new preview is what apply accepts.
    assert rerating.apply(entries=TimeEntry.objects.all(), expected_count=3) == 3
    assert snapshot(acme.seven)[:3] == (OLD, RateSource.CLIENT, Decimal("9.33"))


# The page


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def bakery():
    """A second client billed in euros, written the continental way."""
    client = ClientFactory(name="Bluebird Bakery", hourly_rate=Decimal("60.00"))
    ClientSettingsFactory(
        client=client,
        currency_symbol="€",
        symbol_position="after",
        thousand_separator=".",
        decimal_separator=",",
    )
    entry(TaskFactory(client=client), 20 * 60, Decimal("60.00"), RateSource.CLIENT)
    client.hourly_rate = Decimal("70.00")
    client.save()
    return client


def test_the_page_previews_with_money_per_client(alice_client, acme, bakery):
    response = alice_client.get(URL)
    assert response.status_code == 200
    assert response.context["summary"].entries_changed == 5
    rows = {row["client"]: row for row in response.context["rows"]}
    assert (rows["Acme"]["count"], rows["Acme"]["before"], rows["Acme"]["after"]) == (4, "$149.33", "$178.27")
    assert (rows["Bluebird Bakery"]["before"], rows["Bluebird Bakery"]["after"]) == (
        "1.200,00 €",
        "1.400,00 €",
    )
    assert rows["Bluebird Bakery"]["difference"] == "+200,00 €"
    # Dollars and euros are never added up into one total.
    assert response.context["totals"]["mixed"] is True
    assert "billed in different currencies" in response.text
    assert response.context["totals"]["after"] not in response.text
    assert "1.400,00 €" in response.text and "$178.27" in response.text
    assert 'name="expected_count" value="5"' in response.text
    assert "Re-rate 5 entries" in response.text


def test_the_page_filters_by_client_and_dates(alice_client, acme, bakery):
    response = alice_client.get(URL, {"client": bakery.pk})
    assert response.context["summary"].entries_changed == 1
    assert f'name="client" value="{bakery.pk}"' in response.text  # carried into the confirm form
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = alice_client.get(URL, {"date_from": tomorrow.isoformat()})
    assert response.context["summary"].entries_changed == 0
    assert "already has today" in response.text
    response = alice_client.get(URL, {"date_from": tomorrow.isoformat(), "date_to": timezone.localdate()})
    assert response.context["summary"] is None
    assert "The end date is before the start date." in response.text


def test_post_applies_and_says_what_changed(alice_client, acme, bakery):
    response = alice_client.post(URL, {"client": acme.client.pk, "expected_count": 4})
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?client={acme.client.pk}"
    assert messages_of(response) == ["Re-rated 4 entries: $149.33 → $178.27"]
    assert snapshot(acme.seven)[:3] == (NEW, RateSource.CLIENT, Decimal("11.14"))
    # The other client was filtered out and keeps its rate.
    assert TimeEntry.objects.get(task__client=bakery).hourly_rate == Decimal("60.00")
    assert alice_client.get(URL).context["summary"].entries_changed == 1


def test_post_for_clients_in_different_currencies_reports_each(alice_client, acme, bakery):
    response = alice_client.post(URL, {"expected_count": 5})
    assert messages_of(response) == [
        "Re-rated 5 entries: Acme $149.33 → $178.27; Bluebird Bakery 1.200,00 € → 1.400,00 €"
    ]


def test_post_with_a_stale_count_changes_nothing_and_says_so(alice_client, acme):
    response = alice_client.post(URL, {"expected_count": 7})
    assert response.status_code == 200
    assert "changed since the preview" in response.text and "preview again" in response.text
    assert snapshot(acme.ninety)[:3] == (OLD, RateSource.CLIENT, Decimal("120.00"))
    # The fresh preview is shown beside the error.
    assert response.context["summary"].entries_changed == 4


def test_managers_may_use_the_page(client, dana, acme):
    client.force_login(dana)
    assert client.get(URL).status_code == 200


@pytest.mark.parametrize("user", ["bob", "charlie"])
def test_staff_and_outsiders_get_403(client, user, request, acme):
    client.force_login(request.getfixturevalue(user))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"expected_count": 4}).status_code == 403
    assert snapshot(acme.seven)[:2] == (OLD, RateSource.CLIENT)
