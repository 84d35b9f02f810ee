"""Invoices by e-mail: the PDF to the client's billing contacts with the agency's details, a Bcc to the
sender, logged on the invoice; a draft becomes Sent only once the e-mail went; reminders for overdue ones."""

import io
import shutil
import subprocess
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from tests.billing.invoice_support import entry, make_invoice
from tests.factories import UserFactory
from timetracker.billing import invoicing, mailing
from timetracker.billing.choices import PaymentStatus
from timetracker.billing.models import Invoice, InvoiceMail, Settings

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_rounding")]


@pytest.fixture
def agency():
    settings = Settings.load()
    settings.agency_name = "Nordlicht Studio GmbH"
    settings.agency_address = "Hafenstraße 1\n20457 Hamburg"
    settings.agency_tax_id = "DE123456789"
    settings.agency_bank_details = "IBAN DE02 1203 0000 0000 2020 51"
    settings.agency_email = "billing@nordlicht.example"
    settings.invoice_footer = "Thank you for your business."
    settings.quantity_format = "decimal"
    settings.save()
    return settings


@pytest.fixture
def draft(acme, alice):
    entry(acme, minutes=90, rate="100.00")
    return make_invoice(acme, alice)


def email_url(invoice, kind="email"):
    return reverse(f"billing:invoice_{kind}", args=[invoice.pk])


def test_emailing_a_draft_sends_the_pdf_and_marks_it_sent(client, alice, agency, draft):
    client.force_login(alice)
    form = client.get(email_url(draft))
    assert form.context["form"]["to"].value() == "billing@acme.example"
    response = client.post(
        email_url(draft), {"to": "billing@acme.example, boss@acme.example", "note": "As agreed."}
    )
    assert response.status_code == 302
    (sent,) = mail.outbox
    assert sent.to == ["billing@acme.example", "boss@acme.example"] and sent.bcc == [alice.email]
    assert sent.reply_to == ["billing@nordlicht.example"]
    assert sent.subject == f"Invoice {draft.number} from Nordlicht Studio GmbH"
    assert "As agreed." in sent.body and "IBAN DE02" in sent.body and "$150.00" in sent.body
    ((name, content, mimetype),) = sent.attachments
    assert (name, mimetype) == (f"Invoice {draft.number}.pdf", "application/pdf") and content.startswith(
        b"%PDF"
    )
    draft.refresh_from_db()
    assert draft.status == PaymentStatus.SENT and draft.sent_at is not None
    log = InvoiceMail.objects.get()
    assert (log.kind, log.recipients, log.sent_by) == (
        "invoice",
        "billing@acme.example\nboss@acme.example",
        alice,
    )


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler's pdftotext to read the PDF")
def test_the_pdf_carries_the_agency_details_and_decimal_hours(alice, agency, draft):
    mailing.send_invoice(draft, to="billing@acme.example", by=alice)
    pdf = mail.outbox[0].attachments[0][1]
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    for expected in (
        "Nordlicht Studio GmbH",
        "Hafenstraße 1",
        "DE123456789",
        "IBAN DE02",
        "Thank you for your business.",
        "1.50",
    ):
        assert expected in text, expected


def test_a_bad_address_sends_nothing_and_keeps_the_draft(client, alice, draft):
    client.force_login(alice)
    response = client.post(email_url(draft), {"to": "billing@acme.example, not-an-address"})
    assert response.status_code == 200
    assert response.context["form"].errors["to"] == ['"not-an-address" is not an e-mail address.']
    assert mail.outbox == [] and not InvoiceMail.objects.exists()
    draft.refresh_from_db()
    assert draft.status == PaymentStatus.DRAFT


def test_a_reminder_is_for_overdue_invoices_only(client, alice, agency, draft):
    client.force_login(alice)
    invoicing.send(draft, by=alice)
    refused = client.post(email_url(draft, "remind"), {"to": "billing@acme.example"})
    assert "is not overdue" in refused.content.decode() and mail.outbox == []
    Invoice.objects.filter(pk=draft.pk).update(
        issue_date=timezone.localdate() - timedelta(days=45),
        due_date=timezone.localdate() - timedelta(days=15),
    )
    client.post(email_url(draft, "remind"), {"to": "billing@acme.example"})
    (sent,) = mail.outbox
    assert (
        sent.subject.startswith(f"Reminder: invoice {draft.number}") and "$150.00 is still open" in sent.body
    )
    assert InvoiceMail.objects.get().kind == "reminder"


def test_staff_cannot_email_invoices(client, draft):
    client.force_login(UserFactory(role="Staff"))
    assert client.post(email_url(draft), {"to": "x@y.example"}).status_code == 403
    assert mail.outbox == []


def test_the_invoice_page_offers_email_lists_mails_and_the_settings_take_a_logo(client, alice, agency, draft):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.billing.test_settings_views import global_data

    client.force_login(alice)
    page = client.get(reverse("billing:invoice_detail", args=[draft.pk])).content.decode()
    assert reverse("billing:invoice_email", args=[draft.pk]) in page and "Mark as sent" in page
    mailing.send_invoice(draft, to="billing@acme.example", by=alice)
    page = client.get(reverse("billing:invoice_detail", args=[draft.pk])).content.decode()
    assert "Invoice to billing@acme.example by" in page and "Tax id DE123456789" in page
    # A small PNG as the logo, through the settings page's form.
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (20, 90, 160)).save(buffer, "PNG")
    png = buffer.getvalue()
    data = global_data(agency_name="Nordlicht Studio GmbH")
    data["agency_logo"] = SimpleUploadedFile("logo.png", png, content_type="image/png")
    assert client.post(reverse("billing:settings"), data).status_code == 302
    assert Settings.load().agency_logo.name.startswith("agency/logo")
    assert mailing.render_invoice_pdf(draft).startswith(b"%PDF")  # with the logo in it


def test_the_plain_text_is_not_html_escaped(alice, agency, draft):
    mailing.send_invoice(draft, to="billing@acme.example", by=alice, note="Tom & Jerry's retainer")
    assert "Tom & Jerry's retainer" in mail.outbox[0].body


def test_a_mail_server_failure_changes_nothing_and_says_so(client, alice, draft, monkeypatch):
    import smtplib

    def refuse(self, fail_silently=False):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    client.force_login(alice)
    response = client.post(email_url(draft), {"to": "billing@acme.example"})
    assert (
        "could not be sent (Connection unexpectedly closed)" in response.context["form"].non_field_errors()[0]
    )
    draft.refresh_from_db()
    assert draft.status == PaymentStatus.DRAFT and not InvoiceMail.objects.exists()


def test_a_double_click_sends_one_email(client, alice, draft):
    client.force_login(alice)
    token = client.get(email_url(draft)).context["once_token"]
    for _ in range(2):
        response = client.post(
            email_url(draft), {"to": "billing@acme.example", "once_token": token}, follow=True
        )
    assert len(mail.outbox) == 1 and InvoiceMail.objects.count() == 1
    assert "the second click sent nothing" in response.content.decode()
