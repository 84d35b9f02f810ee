from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from tests.billing.invoice_support import CREATE, DAY, UNBILLED, detail, entry, query_count
from tests.factories import (
    ClientFactory,
    ClientSettingsFactory,
    ProjectFactory,
    TaskFactory,
    TimeEntryFactory,
)
from timetracker.billing.models import Invoice, InvoiceLine
from timetracker.tasks.models import TimeEntry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rounding")]


# Unbilled view ---------------------------------------------------------------------------------------------


def test_unbilled_totals_per_client_with_awkward_numbers(alice_client, acme):
    entry(acme, minutes=7, rate="95.50")  # 7/60 x 95.50 = 11.141666… -> 11.14
    entry(acme, minutes=13, rate="33.33")  # 13/60 x 33.33 = 7.2215 -> 7.22
    beta = ClientFactory(name="Beta")
    entry(beta, minutes=50, rate="120.00")
    # Not counted: non-billable, running, invoiced elsewhere.
    entry(acme, minutes=30, billable=False)
    entry(acme, minutes=30, billed_elsewhere="OLD-1")
    TimeEntryFactory(task=TaskFactory(client=acme), started_at=timezone.now(), ended_at=None)

    response = alice_client.get(UNBILLED)
    assert response.status_code == 200
    rows = {row["client_name"]: row for row in response.context["rows"]}
    assert rows["Acme"]["seconds"] == 20 * 60
    assert rows["Acme"]["amount"] == Decimal("18.36")
    assert rows["Acme"]["amount_text"] == "$18.36"
    assert rows["Acme"]["entry_count"] == 2
    assert rows["Beta"]["amount_text"] == "$100.00"
    assert response.context["total_amount_text"] == "$118.36"
    assert "0:20" in response.text and "$18.36" in response.text


def test_seven_minutes_at_95_50_is_11_14(alice_client, acme):
    entry(acme, minutes=7, rate="95.50")
    (row,) = alice_client.get(UNBILLED).context["rows"]
    assert (row["seconds"], row["amount"], row["amount_text"]) == (420, Decimal("11.14"), "$11.14")


def test_unbilled_uses_each_clients_money_format(alice_client, acme):
    euro = ClientFactory(name="Euro GmbH")
    ClientSettingsFactory(
        client=euro,
        currency_symbol="€",
        symbol_position="after",
        thousand_separator=".",
        decimal_separator=",",
    )
    entry(euro, minutes=600, rate="123.45")
    entry(acme, minutes=60, rate="10")
    response = alice_client.get(UNBILLED)
    assert "1.234,50 €" in response.text
    assert response.context["total_amount_text"] == "mixed currencies"


def test_unbilled_filters_by_client_project_and_dates(alice_client, acme):
    site = ProjectFactory(client=acme, name="Site")
    entry(acme, task=TaskFactory(client=acme, project=site), at=DAY)
    entry(acme, at=DAY + timedelta(days=5))
    entry(ClientFactory(name="Beta"), at=DAY)

    def rows(**params):
        response = alice_client.get(UNBILLED, params)
        return {row["client_name"]: row["entry_count"] for row in response.context["rows"]}

    assert rows() == {"Acme": 2, "Beta": 1}
    assert rows(client=acme.pk) == {"Acme": 2}
    assert rows(project=site.pk) == {"Acme": 1}
    assert rows(start="2026-03-10", end="2026-03-10") == {"Acme": 1, "Beta": 1}
    assert rows(start="2026-03-11") == {"Acme": 1}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-02-30"}, "Enter a date like 2026-01-31."),
        ({"start": "yesterday"}, "Enter a date like 2026-01-31."),
        ({"start": "2026-03-10", "end": "2026-03-01"}, "The end date is before the start date."),
        ({"end": "0001-01-01"}, "Choose a date between"),
        ({"client": "abc"}, "Choose a client from the list."),
    ],
)
def test_bad_unbilled_filters_are_explained(alice_client, acme, params, message):
    entry(acme)
    response = alice_client.get(UNBILLED, params)
    assert response.status_code == 200
    assert message in response.text
    assert response.context["rows"] == []


def test_a_project_of_another_client_is_explained(alice_client, acme):
    other = ProjectFactory(name="Elsewhere")
    response = alice_client.get(UNBILLED, {"client": acme.pk, "project": other.pk})
    assert "Choose a project of the chosen client." in response.text


def test_unbilled_rows_link_to_create_invoice_with_the_filters(alice_client, acme):
    entry(acme)
    response = alice_client.get(UNBILLED, {"start": "2026-03-01", "end": "2026-03-31"})
    (row,) = response.context["rows"]
    assert row["create_query"] == f"start=2026-03-01&end=2026-03-31&client={acme.pk}"
    assert f'href="{CREATE}?start=2026-03-01&amp;end=2026-03-31&amp;client={acme.pk}"' in response.text


def test_unbilled_htmx_returns_only_the_table(alice_client, acme):
    entry(acme)
    response = alice_client.get(UNBILLED, headers={"HX-Request": "true"})
    assert response.text.lstrip().startswith('<div id="unbilled-table">')
    assert "<html" not in response.text


def test_unbilled_query_count_does_not_grow_with_clients(alice_client):
    def add_clients(count):
        for _ in range(count):
            client = ClientFactory()
            ClientSettingsFactory(client=client, currency_symbol="€")
            entry(client, minutes=45, task=TaskFactory(client=client, project=ProjectFactory(client=client)))

    add_clients(3)
    query_count(alice_client, UNBILLED)
    three = query_count(alice_client, UNBILLED)
    add_clients(27)
    assert query_count(alice_client, UNBILLED) == three
    assert len(alice_client.get(UNBILLED).context["rows"]) == 30


# Mark as billed elsewhere ----------------------------------------------------------------------------------


def test_mark_billed_elsewhere_asks_first_then_locks_the_entries(alice_client, acme):
    first = entry(acme, at=DAY)
    second = entry(acme, at=DAY + timedelta(days=1))
    late = entry(acme, at=DAY + timedelta(days=20))
    other = entry(ClientFactory())
    url = reverse("billing:mark_invoiced")
    data = {"client": acme.pk, "end": "2026-03-15", "reference": "INV-77", "filters": "end=2026-03-15"}

    response = alice_client.post(url, data)
    assert response.status_code == 200
    assert "2 entries" in response.text and "INV-77" in response.text
    assert response.context["entry_ids"] == f"{first.pk},{second.pk}"
    assert not TimeEntry.objects.exclude(billed_elsewhere="").exists()

    response = alice_client.post(url, {**data, "confirm": "1", "entry_ids": response.context["entry_ids"]})
    assert response.status_code == 302 and response["Location"] == f"{UNBILLED}?end=2026-03-15"
    assert set(TimeEntry.objects.filter(billed_elsewhere="INV-77")) == {first, second}
    late.refresh_from_db()
    other.refresh_from_db()
    assert late.billed_elsewhere == other.billed_elsewhere == ""
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == ['Marked 2 entries of Acme as billed elsewhere on "INV-77".']


def test_mark_billed_elsewhere_with_changed_time_asks_again(alice_client, acme):
    first = entry(acme)
    newcomer = entry(acme)
    url = reverse("billing:mark_invoiced")
    response = alice_client.post(
        url, {"client": acme.pk, "reference": "X-1", "confirm": "1", "entry_ids": str(first.pk)}
    )
    assert response.status_code == 200
    assert response.context["stale"] is True
    assert "changed since you asked" in response.text
    assert response.context["entry_ids"] == f"{first.pk},{newcomer.pk}"
    assert not TimeEntry.objects.exclude(billed_elsewhere="").exists()


def test_mark_billed_elsewhere_needs_a_reference(alice_client, acme):
    entry(acme)
    response = alice_client.post(
        reverse("billing:mark_invoiced"), {"client": acme.pk, "reference": "  "}, follow=True
    )
    assert "Give the reference of the invoice this time was billed on." in response.text
    assert not TimeEntry.objects.exclude(billed_elsewhere="").exists()


# Create an invoice -----------------------------------------------------------------------------------------


def test_create_page_without_a_client_asks_for_one(alice_client):
    response = alice_client.get(CREATE)
    assert response.status_code == 200
    assert "Choose a client to see what the invoice would say." in response.text
    assert response.context["draft"] is None


def test_preview_shows_lines_totals_and_confirm_fields(alice_client, acme, no_rounding):
    no_rounding.tax_rate = Decimal("21")
    no_rounding.save()
    task = TaskFactory(client=acme, title="Homepage")
    a = entry(acme, minutes=90, rate="80.00", task=task)
    b = entry(acme, minutes=7, rate="95.50", task=task)
    response = alice_client.get(CREATE, {"client": acme.pk})
    draft = response.context["draft"]
    # One rate per line; the rate tells the two lines of the same task apart.
    assert [line.description for line in draft.lines] == ["Homepage at $80.00/h", "Homepage at $95.50/h"]
    assert draft.subtotal == Decimal("131.14")
    # Quantities beside a rate per hour read as decimal hours by default (Settings: quantity format).
    assert "1.50" in response.text and "0.12" in response.text
    assert "$120.00" in response.text and "$11.14" in response.text
    assert "Tax (21%)" in response.text and "$27.54" in response.text and "$158.68" in response.text
    # The page carries a fingerprint of what it shows (count, newest id, id sum, rounded time, cents), not ids.
    assert f'name="selection" value="2-{b.pk}-{a.pk + b.pk}-{97 * 60}-{13114}"' in response.text
    assert Invoice.objects.count() == 0


def test_preview_hides_tax_when_there_is_none(alice_client, acme):
    entry(acme)
    response = alice_client.get(CREATE, {"client": acme.pk})
    assert "Tax (" not in response.text and "Subtotal" in response.text


def test_preview_warns_about_entries_without_a_rate(alice_client, acme):
    entry(acme, rate=None)
    entry(acme)
    response = alice_client.get(CREATE, {"client": acme.pk})
    assert response.context["draft"].unrated_entries == 1
    assert "1 entry has no hourly rate" in response.text


def test_preview_uses_the_clients_money_format(alice_client, acme):
    ClientSettingsFactory(
        client=acme,
        currency_symbol="€",
        symbol_position="after",
        thousand_separator=".",
        decimal_separator=",",
    )
    entry(acme, minutes=600, rate="123.45")
    assert "1.234,50 €" in alice_client.get(CREATE, {"client": acme.pk}).text


def test_preview_via_htmx_returns_only_the_partial(alice_client, acme):
    entry(acme)
    response = alice_client.get(
        CREATE, {"client": acme.pk, "grouping": "user"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section class="card" id="invoice-preview"')
    assert "<html" not in response.text and 'id="invoice-form"' not in response.text
    assert response.context["draft"].grouping == "user"


def test_changing_the_client_via_htmx_resets_the_project_choices(alice_client, acme):
    old = ProjectFactory(client=acme, name="Acme site")
    beta = ClientFactory(name="Beta")
    ProjectFactory(client=beta, name="Beta app")
    response = alice_client.get(
        CREATE, {"client": beta.pk, "project": old.pk, "shown": acme.pk}, headers={"HX-Request": "true"}
    )
    assert 'id="project-field" hx-swap-oob="true"' in response.text
    assert "Beta app" in response.text and "Acme site" not in response.text
    assert f'name="shown" value="{beta.pk}"' in response.text
    assert not response.context["form"].errors
    # Without JavaScript the whole page comes back, with the new client's projects.
    page = alice_client.get(CREATE, {"client": beta.pk, "project": old.pk, "shown": acme.pk})
    assert not page.context["form"].errors and "Beta app" in page.text
    # The same client keeps its project; another client's project is explained.
    same = alice_client.get(CREATE, {"client": acme.pk, "project": old.pk, "shown": acme.pk})
    assert same.context["form"].cleaned_data["project"] == old
    wrong = alice_client.get(CREATE, {"client": beta.pk, "project": old.pk})
    assert "Choose a project of the chosen client." in wrong.text


def test_preview_with_bad_input_is_explained(alice_client, acme):
    response = alice_client.get(CREATE, {"client": acme.pk, "start": "2026-13-01", "grouping": "nope"})
    assert response.status_code == 200
    assert "Enter a date like 2026-01-31." in response.text
    assert "Select a valid choice" in response.text
    assert response.context["draft"] is None


def test_preview_without_time_says_so(alice_client, acme):
    response = alice_client.get(CREATE, {"client": acme.pk})
    assert "Acme has no unbilled billable time." in response.text
    assert "Create invoice</button>" not in response.text


def confirm_data(response):
    form = response.context["form"].cleaned_data
    data = {
        "client": form["client"].pk,
        "grouping": form["grouping"],
        "rounding": form["rounding"],
        "selection": response.context["selection"],
    }
    for name in ("start", "end"):
        if form.get(name):
            data[name] = form[name].isoformat()
    return data


def test_confirm_creates_the_invoice_attaches_entries_and_redirects(alice_client, alice, acme):
    task = TaskFactory(client=acme, title="Care")
    entries = [entry(acme, minutes=7, task=task) for _ in range(3)]
    entry(acme, at=DAY + timedelta(days=40))  # outside the period
    preview = alice_client.get(CREATE, {"client": acme.pk, "start": "2026-03-01", "end": "2026-03-31"})
    response = alice_client.post(CREATE, confirm_data(preview))
    invoice = Invoice.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(invoice)
    assert invoice.status == "draft" and invoice.created_by == alice
    assert (invoice.period_start.isoformat(), invoice.period_end.isoformat()) == ("2026-03-01", "2026-03-31")
    assert invoice.subtotal == Decimal("33.43")  # 21 minutes at 95.50 on one line
    line = invoice.lines.get()
    assert set(line.entries.all()) == set(entries)
    page = alice_client.get(response["Location"])
    assert f"Created draft invoice {invoice.number} for Acme" in page.text


def test_confirming_a_stale_preview_writes_nothing(alice_client, acme):
    entry(acme)
    preview = alice_client.get(CREATE, {"client": acme.pk})
    entry(acme)  # new time arrives after the preview
    response = alice_client.post(CREATE, confirm_data(preview))
    assert response.status_code == 200
    assert (
        "The unbilled time changed since the preview (1 entries then, 2 now, or other entries or rates)"
        in response.text
    )
    assert Invoice.objects.count() == 0 and InvoiceLine.objects.count() == 0
    assert not TimeEntry.objects.filter(invoice_line__isnull=False).exists()
    # The page shows the preview as it stands now, ready to confirm again.
    assert response.context["draft"].entry_count == 2


def test_a_second_confirm_of_the_same_preview_fails_cleanly(alice_client, acme):
    entry(acme)
    data = confirm_data(alice_client.get(CREATE, {"client": acme.pk}))
    assert alice_client.post(CREATE, data).status_code == 302
    response = alice_client.post(CREATE, data)
    assert response.status_code == 200
    assert "Acme has no unbilled billable time in that period." in response.text
    assert Invoice.objects.count() == 1


def test_confirm_without_the_preview_ids_is_refused(alice_client, acme):
    entry(acme)
    response = alice_client.post(CREATE, {"client": acme.pk, "grouping": "task", "rounding": "entry"})
    assert response.status_code == 200
    assert "look at it again before confirming" in response.text
    assert Invoice.objects.count() == 0


def test_the_unbilled_rows_from_the_kept_totals_equal_the_entries(alice, bob, dana):
    """Without dates the page reads the kept totals; with dates that cover everything, the entries: the same
    rows (counts, seconds, money, entries without a rate, first and last start) either way."""
    from datetime import date

    from timetracker.billing import invoicing
    from timetracker.billing.unbilled_views import _unbilled_rows
    from timetracker.clients.models import Client
    from timetracker.tasks import entries

    rated = ClientFactory(name="Rated", hourly_rate=Decimal("95.00"))
    unrated = ClientFactory(name="Unrated", hourly_rate=None)
    tasks = [TaskFactory(client=rated), TaskFactory(client=rated), TaskFactory(client=unrated)]
    start = timezone.now() - timedelta(days=30)
    made = []
    for n in range(15):
        at = start + timedelta(hours=7 * n)
        made.append(
            entries.record(
                task=tasks[n % 3],
                user=(bob, dana)[n % 2],
                started_at=at,
                ended_at=at + timedelta(minutes=25 + 11 * n),
                billable=n % 4 != 1,
            )
        )
    # The oldest of the rated client's time invoiced, one more entry billed elsewhere: neither counts.
    invoicing.create_invoice(
        client=rated, by=alice, start=start.date(), end=(start + timedelta(days=1)).date()
    )
    invoicing.mark_invoiced([made[-3]], reference="OUT-7", by=alice)
    everything = {"start": date(1970, 1, 1), "end": timezone.localdate() + timedelta(days=1)}

    for narrowing in ({}, {"client": rated}, {"client": unrated}):
        kept = _unbilled_rows(narrowing)
        scanned = _unbilled_rows(narrowing | everything)
        assert kept == scanned, narrowing
    assert {row["client_name"] for row in _unbilled_rows({})} == {"Rated", "Unrated"}
    assert next(row for row in _unbilled_rows({}) if row["client_name"] == "Unrated")["unrated"] > 0
    assert Client.objects.count() == 2
