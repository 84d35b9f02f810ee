"""The clicked flow: a Manager sets up a trigger on a client, the client's invoice is sent, and the trigger's
firing shows in its log (with the e-mail it sent)."""

from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.factories import ClientFactory, InvoiceFactory, InvoiceLineFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_trigger_on_a_client_fires_once_and_logs_it(live_server, log_in, dana):
    acme, zeta = ClientFactory(name="Acme Dental"), ClientFactory(name="Zeta Labs")
    acme_invoice = InvoiceFactory(client=acme, subtotal=Decimal("300"), total=Decimal("300"))
    InvoiceLineFactory(invoice=acme_invoice, amount=Decimal("300"))
    zeta_invoice = InvoiceFactory(client=zeta, subtotal=Decimal("100"), total=Decimal("100"))
    page = log_in(dana)
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))

    page.get_by_role("link", name="Automation").click()
    page.get_by_role("link", name="New trigger").click()
    page.get_by_label("Name").fill("Acme invoices out")
    page.get_by_label("Fires").select_option("event")
    page.get_by_label("When this happens").select_option("invoice.sent")
    page.get_by_label("Only for client").select_option(label="Acme Dental")
    page.get_by_label("E-mail a notification").check()
    page.get_by_label("Subject").fill("{{ data.number }} went to {{ data.client }}")
    page.get_by_label(str(dana)).check()
    page.get_by_role("button", name="Save the trigger").click()
    expect(page.get_by_role("heading", name="Acme invoices out")).to_be_visible()
    expect(page.locator("#firing-log")).to_contain_text("No firings yet.")

    # Zeta's invoice goes out: not this trigger's client. Then Acme's, sent twice (a second click).
    for invoice in (zeta_invoice, acme_invoice):
        page.goto(f"{live_server.url}/billing/invoices/{invoice.pk}/")
        page.get_by_role("button", name="Mark as sent").click()
        expect(page.locator(".badge", has_text="Sent").first).to_be_visible()
    page.goto(f"{live_server.url}/billing/invoices/{acme_invoice.pk}/")
    expect(page.get_by_role("button", name="Mark as sent")).to_have_count(0)

    page.get_by_role("link", name="Automation").click()
    page.get_by_role("link", name="Acme invoices out").click()
    log = page.locator("#firing-log tbody tr")
    expect(log).to_have_count(1)
    expect(log.first).to_contain_text("Invoice sent")
    expect(log.first).to_contain_text("Done")
    expect(log.first).to_contain_text(f"Notification: sent to {dana.email}")
    # The Refresh link swaps in the log alone (htmx), with the same firing.
    page.locator("#firing-log").get_by_role("link", name="Refresh").click()
    expect(page.locator("#firing-log tbody tr")).to_have_count(1)
    assert [m.subject for m in mail.outbox] == [f"{acme_invoice.number} went to Acme Dental"]
    assert errors == []
