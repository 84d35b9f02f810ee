"""A Manager opens a client's audit trail from the client page, on a desktop and on a phone: the invoiced,
edited entry shows its bucket, invoice, payment and edits, and no page scrolls sideways."""

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.test_phone_layout import DESKTOP, LONG_CLIENT, LONG_NOTE, PHONE, overflow
from tests.factories import BucketFactory, ClientFactory, TaskFactory
from timetracker.billing import invoicing
from timetracker.lib.dates import agency_zone, month_bounds
from timetracker.tasks import entries as write

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def trail(dana, bob):
    client = ClientFactory(
        name=LONG_CLIENT, email="buchhaltung@internationale-vereinigung-zahnaerzte.example"
    )
    bucket = BucketFactory(
        title="Quarterly maintenance retainer with priority support and monthly reporting", clients=[client]
    )
    task = TaskFactory(
        title="Migrate the extraordinarily long-named subscription plugin configuration",
        client=client,
        bucket=bucket,
    )
    # Browser tests run on the real clock: minutes earlier this month, so the trail's default month shows them.
    now = timezone.now().replace(microsecond=0, second=0)
    start = max(now - timedelta(hours=8), month_bounds(timezone.localdate(), agency_zone())[0])
    edited = None
    for number in range(3):
        entry = write.record(
            task=task,
            user=bob,
            by=bob,
            started_at=start + timedelta(minutes=number),
            ended_at=start + timedelta(minutes=number + 1),
            hourly_rate=Decimal("95.00"),
            description=LONG_NOTE,
        )
        edited = write.change(entry, by=dana, reason="client call", description=f"{LONG_NOTE} (checked)")
    invoice = invoicing.create_invoice(client=client, by=dana)
    invoicing.send(invoice, by=dana)
    invoicing.record_payment(invoice, amount=Decimal("1.00"), method="SEPA bank transfer", by=dana)
    return {"client": client, "invoice": invoice, "entry": edited}


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_manager_opens_a_clients_audit_trail(live_server, log_in, page, dana, trail, size):
    page.set_viewport_size(size)
    log_in(dana)
    page.goto(f"{live_server.url}/clients/{trail['client'].pk}/")
    page.get_by_role("link", name="Audit trail").click()
    expect(page.get_by_role("heading", name=f"Audit trail: {LONG_CLIENT}")).to_be_visible()
    row = page.locator(f"#entry-{trail['entry'].pk}")
    expect(row).to_contain_text("Quarterly maintenance retainer")
    expect(row).to_contain_text(trail["invoice"].number)
    expect(row).to_contain_text("SEPA bank transfer")
    expect(row).to_contain_text("Changed by Dana")
    assert overflow(page) == 0, page.evaluate("document.documentElement.scrollWidth")
    if folder := os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=f"{folder}/audit-client-{size['width']}.png", full_page=True)
    # The previous month comes in place (htmx), and still fits.
    page.get_by_role("link", name="←").first.click()
    expect(page.get_by_text("No time in")).to_be_visible()
    assert "month=" in page.url
    assert overflow(page) == 0
    # The invoice's trail, from the invoice page, fits too.
    page.goto(f"{live_server.url}/billing/invoices/{trail['invoice'].pk}/")
    page.get_by_role("link", name="Audit trail").click()
    expect(page.locator(f"#entry-{trail['entry'].pk}")).to_contain_text("client call")
    assert overflow(page) == 0, page.evaluate("document.documentElement.scrollWidth")
    if folder := os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=f"{folder}/audit-invoice-{size['width']}.png", full_page=True)
