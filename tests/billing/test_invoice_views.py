import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from weasyprint import HTML

from tests.factories import (
    ClientFactory,
    ClientSettingsFactory,
    InvoiceFactory,
    PaymentFactory,
    ProjectFactory,
    TaskFactory,
    TimeEntryFactory,
    UserFactory,
)
from timetracker.billing import invoicing
from timetracker.billing.models import Invoice, InvoiceLine, Payment, Settings
from timetracker.billing.pdf import invoice_document_context, render_invoice_pdf
from timetracker.lib.rounding import RoundingPolicy
from timetracker.tasks.models import TimeEntry

pytestmark = pytest.mark.django_db
DAY = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
UNBILLED = reverse("billing:unbilled")
CREATE = reverse("billing:invoice_create")
LIST = reverse("billing:invoice_list")


@pytest.fixture(autouse=True)
def no_rounding():
    settings = Settings.load()
    settings.rounding_enabled = False
    settings.save()
    return settings


@pytest.fixture
def dana_client(client, dana):
    client.force_login(dana)
    return client


@pytest.fixture
def acme():
    return ClientFactory(name="Acme", address="1 Main Street\nSpringfield", email="billing@acme.example")


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


# Who may see billing ---------------------------------------------------------------------------------------


def all_urls(invoice):
    line = invoice.lines.first()
    get = [
        UNBILLED,
        CREATE,
        LIST,
        detail(invoice),
        reverse("billing:invoice_csv", args=[invoice.pk]),
        reverse("billing:invoice_pdf", args=[invoice.pk]),
    ]
    post = [
        reverse("billing:mark_invoiced"),
        reverse("billing:invoice_send", args=[invoice.pk]),
        reverse("billing:invoice_cancel", args=[invoice.pk]),
        reverse("billing:invoice_status", args=[invoice.pk]),
        reverse("billing:invoice_payment", args=[invoice.pk]),
        reverse("billing:invoice_void_line", args=[invoice.pk, line.pk]),
    ]
    return get, post


def test_staff_get_403_on_every_billing_page(bob_client, acme, alice):
    entry(acme)
    invoice = make_invoice(acme, alice)
    get, post = all_urls(invoice)
    for url in get:
        assert bob_client.get(url).status_code == 403, url
    for url in post:
        assert bob_client.post(url).status_code == 403, url
    invoice.refresh_from_db()
    assert invoice.status == "draft" and invoice.lines.count() == 1


def test_managers_and_admins_open_every_page(client, dana, alice, acme):
    entry(acme)
    invoice = make_invoice(acme, alice)
    get, _ = all_urls(invoice)
    for user in (dana, alice):
        client.force_login(user)
        for url in get:
            assert client.get(url).status_code == 200, url


def test_unknown_invoices_are_404(alice_client):
    for name in ("invoice_detail", "invoice_csv", "invoice_pdf"):
        assert alice_client.get(reverse(f"billing:{name}", args=[999])).status_code == 404
    for name in ("invoice_send", "invoice_cancel", "invoice_status", "invoice_payment"):
        assert alice_client.post(reverse(f"billing:{name}", args=[999])).status_code == 404
    assert alice_client.post(reverse("billing:invoice_void_line", args=[999, 1])).status_code == 404


def test_a_line_of_another_invoice_is_404(alice_client, alice, acme):
    entry(acme)
    first = make_invoice(acme, alice)
    entry(acme)
    second = make_invoice(acme, alice)
    url = reverse("billing:invoice_void_line", args=[first.pk, second.lines.get().pk])
    assert alice_client.post(url).status_code == 404


def test_actions_refuse_get(alice_client, alice, acme):
    entry(acme)
    invoice = make_invoice(acme, alice)
    assert alice_client.get(reverse("billing:invoice_send", args=[invoice.pk])).status_code == 405


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
    assert "1:30" in response.text and "0:07" in response.text
    assert "$120.00" in response.text and "$11.14" in response.text
    assert "Tax (21%)" in response.text and "$27.54" in response.text and "$158.68" in response.text
    assert f'name="entry_ids" value="{a.pk},{b.pk}"' in response.text
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
        "entry_ids": response.context["entry_ids"],
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
    assert "The unbilled time changed since the preview (1 entries then, 2 now)" in response.text
    assert Invoice.objects.count() == 0 and InvoiceLine.objects.count() == 0
    assert not TimeEntry.objects.filter(invoice_line__isnull=False).exists()
    # The page shows the preview as it stands now, ready to confirm again.
    assert len(response.context["draft"].entry_ids) == 2


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


# Invoice list ----------------------------------------------------------------------------------------------


def test_list_shows_overdue_for_a_past_due_date(alice_client, acme):
    today = timezone.localdate()
    late = InvoiceFactory(
        client=acme, status="sent", issue_date=today - timedelta(days=40), due_date=today - timedelta(days=10)
    )
    fresh = InvoiceFactory(client=acme, status="sent", total=Decimal("10"), subtotal=Decimal("10"))
    response = alice_client.get(LIST)
    statuses = {row["invoice"].pk: row["status"] for row in response.context["rows"]}
    assert statuses == {late.pk: "overdue", fresh.pk: "sent"}
    assert '<span class="badge overdue">Overdue</span>' in response.text
    assert Invoice.objects.get(pk=late.pk).status == "sent"  # shown without any job having run


def test_list_filters_by_derived_status_and_client(alice_client, acme):
    today = timezone.localdate()
    beta = ClientFactory(name="Beta")
    overdue = InvoiceFactory(
        client=acme, status="sent", due_date=today - timedelta(days=1), issue_date=today - timedelta(days=31)
    )
    partial = InvoiceFactory(client=acme, status="sent", total=Decimal("100"), subtotal=Decimal("100"))
    PaymentFactory(invoice=partial, amount=Decimal("40"))
    paid = InvoiceFactory(client=beta, status="sent", total=Decimal("100"), subtotal=Decimal("100"))
    PaymentFactory(invoice=paid, amount=Decimal("100"))
    draft = InvoiceFactory(client=beta, status="draft")
    sent = InvoiceFactory(client=beta, status="sent", total=Decimal("5"), subtotal=Decimal("5"))

    def listed(**params):
        return {row["invoice"].pk for row in alice_client.get(LIST, params).context["rows"]}

    assert listed(status="overdue") == {overdue.pk}
    assert listed(status="partially_paid") == {partial.pk}
    assert listed(status="paid") == {paid.pk}
    assert listed(status="draft") == {draft.pk}
    assert listed(status="sent") == {sent.pk}
    assert listed(client=beta.pk) == {paid.pk, draft.pk, sent.pk}
    assert listed(client=beta.pk, status="paid") == {paid.pk}
    response = alice_client.get(LIST, {"status": "bogus"})
    assert response.status_code == 200 and "Select a valid choice" in response.text


def test_list_money_in_each_clients_format_and_paid_column(alice_client, acme):
    ClientSettingsFactory(
        client=acme,
        currency_symbol="€",
        symbol_position="after",
        thousand_separator=".",
        decimal_separator=",",
    )
    invoice = InvoiceFactory(
        client=acme, status="sent", total=Decimal("1234.50"), subtotal=Decimal("1234.50")
    )
    PaymentFactory(invoice=invoice, amount=Decimal("234.50"))
    response = alice_client.get(LIST)
    assert "1.234,50 €" in response.text and "234,50 €" in response.text
    assert "Partially Paid" in response.text


def test_list_paginates_and_htmx_gets_the_table(alice_client, acme):
    for _ in range(30):
        InvoiceFactory(client=acme)
    response = alice_client.get(LIST)
    assert len(response.context["rows"]) == 25 and "Page 1 of 2" in response.text
    partial = alice_client.get(LIST, {"page": 2}, headers={"HX-Request": "true"})
    assert partial.text.lstrip().startswith('<div id="invoice-table">')
    assert len(partial.context["rows"]) == 5


def test_list_query_count_does_not_grow_with_invoices(alice_client):
    def add(count):
        for _ in range(count):
            invoice = InvoiceFactory(client=ClientSettingsFactory(currency_symbol="€").client, status="sent")
            PaymentFactory(invoice=invoice, amount=Decimal("1"))

    add(3)
    query_count(alice_client, LIST)
    three = query_count(alice_client, LIST)
    add(20)
    assert query_count(alice_client, LIST) == three


# The invoice page and its actions --------------------------------------------------------------------------


def test_invoice_page_shows_agency_client_lines_and_history(alice_client, alice, acme, settings):
    settings.SITE_NAME = "Pixel & Co"
    entry(acme, minutes=7, task=TaskFactory(client=acme, title="Fix <checkout>"))
    invoice = make_invoice(acme, alice, start=DAY.date(), end=DAY.date())
    response = alice_client.get(detail(invoice))
    text = response.text
    assert "Pixel &amp; Co" in text
    assert "1 Main Street<br>Springfield" in text and "billing@acme.example" in text
    assert invoice.number in text and "Fix &lt;checkout&gt;" in text and "$11.14" in text
    assert "10 Mar 2026 \N{EN DASH} 10 Mar 2026" in text
    assert '<span class="badge draft">Draft</span>' in text
    assert "Created by" in text
    assert 'class="actions no-print"' in text


def test_send_then_set_status_then_cancel(alice_client, alice, acme):
    entry(acme)
    invoice = make_invoice(acme, alice)
    response = alice_client.post(reverse("billing:invoice_send", args=[invoice.pk]), follow=True)
    invoice.refresh_from_db()
    assert invoice.status == "sent" and invoice.sent_at
    assert f"Marked {invoice.number} as sent" in response.text
    assert "Mark Disputed" in response.text and "Send</button>" not in response.text
    assert "Mark Refunded" not in response.text  # nothing paid, nothing to refund

    response = alice_client.post(
        reverse("billing:invoice_status", args=[invoice.pk]), {"status": "disputed"}, follow=True
    )
    invoice.refresh_from_db()
    assert invoice.status == "disputed"
    assert f"{invoice.number} is now Disputed." in response.text
    assert "Status: Sent → Disputed" in response.text  # history

    response = alice_client.post(
        reverse("billing:invoice_status", args=[invoice.pk]), {"status": "paid"}, follow=True
    )
    assert "cannot be set by hand" in response.text
    invoice.refresh_from_db()
    assert invoice.status == "disputed"

    response = alice_client.post(reverse("billing:invoice_cancel", args=[invoice.pk]), follow=True)
    invoice.refresh_from_db()
    assert invoice.status == "canceled"
    assert not TimeEntry.objects.filter(invoice_line__isnull=False).exists()
    assert "its time is unbilled again" in response.text


def test_sending_twice_is_explained(alice_client, alice, acme):
    invoice = sent_invoice(acme, alice)
    response = alice_client.post(reverse("billing:invoice_send", args=[invoice.pk]), follow=True)
    assert f"{invoice.number} was already sent." in response.text


def test_void_line_on_a_draft(alice_client, alice, acme):
    keep = entry(acme, minutes=60, rate="100", task=TaskFactory(client=acme, title="Keep"))
    drop = entry(acme, minutes=30, rate="100", task=TaskFactory(client=acme, title="Drop"))
    invoice = make_invoice(acme, alice)
    line = invoice.lines.get(description="Drop")
    response = alice_client.post(
        reverse("billing:invoice_void_line", args=[invoice.pk, line.pk]), follow=True
    )
    invoice.refresh_from_db()
    drop.refresh_from_db()
    keep.refresh_from_db()
    assert invoice.total == Decimal("100.00") and invoice.lines.count() == 1
    assert drop.invoice_line is None and keep.invoice_line is not None
    assert "Removed the line “Drop”" in response.text


def test_void_line_on_a_sent_invoice_is_refused(alice_client, alice, acme):
    invoice = sent_invoice(acme, alice)
    line = invoice.lines.get()
    response = alice_client.post(
        reverse("billing:invoice_void_line", args=[invoice.pk, line.pk]), follow=True
    )
    assert "cancel it instead of changing its lines" in response.text
    assert invoice.lines.count() == 1
    assert "Void line" not in response.text


def payment_url(invoice):
    return reverse("billing:invoice_payment", args=[invoice.pk])


def test_payments_make_an_invoice_partially_paid_then_paid(alice_client, alice, acme):
    invoice = sent_invoice(acme, alice)  # $100.00
    today = timezone.localdate().isoformat()
    data = {"amount": "40.10", "paid_on": today, "method": "Bank transfer", "reference": "TX-1", "notes": ""}
    response = alice_client.post(payment_url(invoice), data, follow=True)
    invoice.refresh_from_db()
    assert invoice.status == "partially_paid"
    assert "Recorded a payment of $40.10" in response.text and "Partially Paid" in response.text
    assert "TX-1" in response.text and "$59.90" in response.text

    response = alice_client.post(payment_url(invoice), {**data, "amount": "59.90"}, follow=True)
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert '<span class="badge paid">Paid</span>' in response.text
    assert "Record payment</button>" not in response.text
    assert sum(p.amount for p in Payment.objects.all()) == Decimal("100.00")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("", "Enter the amount received."),
        ("abc", "Enter the amount as a number"),
        ("0", "A payment must be more than zero."),
        ("-5", "A payment must be more than zero."),
        ("10.005", "Use at most two decimals"),
        ("100.01", "That is more than the $100.00 still open on"),
    ],
)
def test_an_invalid_payment_is_explained(alice_client, alice, acme, amount, message):
    invoice = sent_invoice(acme, alice)
    data = {"amount": amount, "paid_on": timezone.localdate().isoformat()}
    response = alice_client.post(payment_url(invoice), data)
    assert response.status_code == 200
    assert message in response.text
    assert "Nothing was recorded" in response.text
    assert Payment.objects.count() == 0


def test_a_payment_in_the_future_or_on_a_draft_is_refused(alice_client, alice, acme):
    invoice = sent_invoice(acme, alice)
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = alice_client.post(payment_url(invoice), {"amount": "1", "paid_on": tomorrow})
    assert "A payment cannot be received in the future." in response.text
    entry(acme)
    draft = make_invoice(acme, alice)
    response = alice_client.post(
        payment_url(draft), {"amount": "1", "paid_on": timezone.localdate().isoformat()}
    )
    assert "is draft and takes no payments" in response.text
    assert Payment.objects.count() == 0


def test_a_paid_invoice_cannot_be_canceled(alice_client, alice, acme):
    invoice = sent_invoice(acme, alice)
    invoicing.record_payment(invoice, amount=Decimal("10"), by=alice)
    page = alice_client.get(detail(invoice))
    assert "Cancel invoice" not in page.text and "Mark Refunded" in page.text
    response = alice_client.post(reverse("billing:invoice_cancel", args=[invoice.pk]), follow=True)
    assert "has payments; refund them before canceling" in response.text


# Downloads -------------------------------------------------------------------------------------------------


def test_csv_has_exact_decimal_strings_that_sum_to_the_subtotal(alice_client, alice, acme):
    for minutes, rate in ((7, "95.50"), (13, "33.33"), (61, "0.10"), (1, "999.99")):
        entry(acme, minutes=minutes, rate=rate, task=TaskFactory(client=acme, title=f"T{minutes}"))
    entry(acme, minutes=5, rate="10", task=TaskFactory(client=acme, title="=HYPERLINK()"))
    invoice = make_invoice(acme, alice, grouping="task")
    response = alice_client.get(reverse("billing:invoice_csv", args=[invoice.pk]))
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == f'attachment; filename="{invoice.number}.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["position", "description", "hours", "quantity", "unit_price", "amount"]
    body = rows[1:]
    assert [row[0] for row in body] == ["1", "2", "3", "4", "5"]
    assert body[0] == ["1", "T7", "0.12", "0:07", "95.50", "11.14"]
    assert body[1] == ["2", "T13", "0.22", "0:13", "33.33", "7.22"]
    assert body[2] == ["3", "T61", "1.02", "1:01", "0.10", "0.10"]
    assert body[3] == ["4", "T1", "0.02", "0:01", "999.99", "16.67"]
    assert body[4][1] == "'=HYPERLINK()"  # never a spreadsheet formula
    assert sum(Decimal(row[5]) for row in body) == invoice.subtotal


def test_pdf_is_a_pdf_attachment(alice_client, alice, acme):
    entry(acme)
    invoice = make_invoice(acme, alice)
    response = alice_client.get(reverse("billing:invoice_pdf", args=[invoice.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'
    assert response.content.startswith(b"%PDF")


def pdf_pages(invoice):
    """Lay the PDF out: per page, how many table headers and how many invoice lines WeasyPrint put on it."""
    html = render_to_string("billing/invoice_pdf.html", invoice_document_context(invoice))
    pages = []
    for page in HTML(string=html).render().pages:
        cells = [box for box in page._page_box.descendants() if type(box).__name__ == "TableCellBox"]
        text = ["".join(box.element.itertext()).strip() for box in cells]
        classes = [box.element.get("class", "") for box in cells]
        pages.append((text.count("Description"), sum(1 for c in classes if c.startswith("pos") and cells)))
    return pages


def lines_for(acme, alice, count):
    for n in range(count):
        title = f"Task number {n:02d}: a realistic description of the work"
        entry(acme, minutes=30 + n, rate="85.00", task=TaskFactory(client=acme, title=title))
    return make_invoice(acme, alice, grouping="task")


def test_thirty_lines_and_the_totals_fit_one_page(alice, acme):
    invoice = lines_for(acme, alice, 30)
    assert invoice.lines.count() == 30
    assert render_invoice_pdf(invoice).startswith(b"%PDF")
    assert pdf_pages(invoice) == [(1, 31)]  # the header's "#" cell and 30 lines


def test_the_table_header_repeats_on_following_pages(alice, acme):
    invoice = lines_for(acme, alice, 70)
    pages = [page for page in pdf_pages(invoice) if page[1]]
    assert len(pages) >= 2
    assert all(headers == 1 for headers, _ in pages)
    assert sum(rows - 1 for _, rows in pages) == 70


# Daily job -------------------------------------------------------------------------------------------------


def test_refresh_invoices_command_reports_how_many_changed(alice, acme, capsys):
    invoice = sent_invoice(acme, alice)
    call_command("refresh_invoices")
    assert capsys.readouterr().out.strip() == "0 invoices changed status."
    call_command("refresh_invoices", today=(invoice.due_date + timedelta(days=1)).isoformat())
    assert capsys.readouterr().out.strip() == "1 invoice changed status."
    invoice.refresh_from_db()
    assert invoice.status == "overdue"
