import re
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.factories import ClientFactory, ProjectFactory, TaskFactory, TimeEntryFactory
from timetracker.billing.models import Invoice, Settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def unbilled_time(bob):
    settings = Settings.load()
    settings.rounding_enabled = False
    settings.agency_name = "Nordlicht Studio"
    settings.agency_address = "Hafenstraße 1\n20457 Hamburg"
    settings.agency_bank_details = "IBAN DE02 1203 0000 0000 2020 51"
    settings.save()
    acme, other = ClientFactory(name="Acme", email="billing@acme.example"), ClientFactory(name="Other Co")
    ProjectFactory(client=acme, name="Acme site")
    ProjectFactory(client=other, name="Other app")
    for title, minutes in (("Design", 90), ("Build", 30)):
        TimeEntryFactory(
            task=TaskFactory(client=acme, title=title),
            user=bob,
            worked=timedelta(minutes=minutes),
            hourly_rate=Decimal("100.00"),
        )
    TimeEntryFactory(task=TaskFactory(client=other, title="Other work"), user=bob, hourly_rate=Decimal("50"))
    return acme


def test_a_manager_invoices_unbilled_time_and_records_a_payment(
    live_server, log_in, dana, bob, unbilled_time
):
    page = log_in(dana)
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))

    # Billing opens on the unbilled time, per client.
    page.get_by_role("link", name="Billing", exact=True).click()
    expect(page.get_by_role("heading", name="Unbilled time")).to_be_visible()
    acme_row = page.locator("#unbilled-table tbody tr", has_text="Acme")
    expect(acme_row).to_contain_text("2:00")
    expect(acme_row).to_contain_text("$200.00")
    expect(page.locator("#unbilled-table tbody tr", has_text="Other Co")).to_contain_text("$50.00")

    # Create invoice: the preview shows one line per task.
    acme_row.get_by_role("link", name="Create invoice").click()
    preview = page.locator("#invoice-preview")
    expect(preview.locator("tbody tr")).to_have_count(2)
    expect(preview).to_contain_text("Design")
    # Hours beside a rate per hour read as decimal hours (Settings: quantity format).
    expect(preview).to_contain_text("1.50")
    expect(preview).to_contain_text("$200.00")

    # The project choices follow the client.
    projects = page.get_by_label("Project").locator("option")
    expect(projects).to_have_text(["All projects", "Acme site"])
    page.get_by_label("Client").select_option(label="Other Co")
    expect(projects).to_have_text(["All projects", "Other app"])
    expect(preview).to_contain_text("$50.00")
    page.get_by_label("Client").select_option(label="Acme")
    expect(projects).to_have_text(["All projects", "Acme site"])
    expect(preview.locator("tbody tr")).to_have_count(2)

    # Switching the grouping re-renders the preview in place and keeps it in the URL.
    page.get_by_label("Lines").select_option(label="One line per person")
    expect(preview.locator("tbody tr")).to_have_count(1)
    expect(preview).to_contain_text(str(bob))
    expect(preview).to_contain_text("2.00")
    assert "grouping=user" in page.url

    # Confirm: a draft invoice, with the entries attached.
    preview.get_by_role("button", name="Create invoice").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Invoice "))).to_be_visible()
    expect(page.get_by_text("Created draft invoice")).to_be_visible()
    invoice = Invoice.objects.get()
    assert (invoice.grouping, invoice.total, invoice.client) == ("user", Decimal("200.00"), unbilled_time)
    badge = page.locator("h1 .badge")
    expect(badge).to_have_text("Draft")

    # E-mail it (the PDF to the client's address, prefilled), then record a partial payment.
    page.get_by_role("link", name="E-mail invoice…").click()
    page.get_by_role("button", name="Send the invoice").click()
    expect(page.get_by_text("e-mailed to")).to_be_visible()
    expect(badge).to_have_text("Sent")
    # The e-mail in the outbox (the live server runs in this process): to the client, a copy to the sender,
    # the agency's details in the text and the invoice as a PDF.
    (sent,) = mail.outbox
    assert (sent.to, sent.bcc) == (["billing@acme.example"], [dana.email])
    assert sent.subject == f"Invoice {invoice.number} from Nordlicht Studio"
    assert "Nordlicht Studio" in sent.body and "IBAN DE02" in sent.body and "$200.00" in sent.body
    ((name, content, mimetype),) = sent.attachments
    assert (name, mimetype) == (f"Invoice {invoice.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    if shutil.which("pdftotext"):  # scripts/test installs poppler; the PDF carries the agency too
        text = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True).stdout
        assert all(detail in text.decode() for detail in ("Nordlicht Studio", "Hafenstraße 1", "IBAN DE02"))
    page.get_by_label("Amount").fill("50")
    page.get_by_label("Reference").fill("TX-42")
    page.get_by_role("button", name="Record payment").click()
    expect(badge).to_have_text("Partially Paid")
    expect(page.locator("section", has_text="Payments")).to_contain_text("TX-42")
    expect(page.get_by_text("$150.00 open")).to_be_visible()

    # Download the PDF.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    assert download.value.suggested_filename == f"{invoice.number}.pdf"
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(4) == b"%PDF"
    assert errors == []
