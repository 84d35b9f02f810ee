import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from weasyprint import HTML

from tests.billing.invoice_support import (
    CREATE,
    DAY,
    LIST,
    UNBILLED,
    detail,
    entry,
    make_invoice,
    query_count,
    sent_invoice,
)
from tests.factories import (
    ClientFactory,
    ClientSettingsFactory,
    InvoiceFactory,
    PaymentFactory,
    TaskFactory,
)
from timetracker.billing import invoicing
from timetracker.billing.models import Invoice, Payment
from timetracker.billing.pdf import invoice_document_context, render_invoice_pdf
from timetracker.tasks.models import TimeEntry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rounding")]


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
