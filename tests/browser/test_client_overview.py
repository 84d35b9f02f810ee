from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import BucketFactory, ClientFactory, SiteFactory, TaskFactory, TimeEntryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_client_overview_shows_its_time_tracker_widget_and_bucket_bar(live_server, log_in, alice):
    acme = ClientFactory(name="Acme")
    SiteFactory(client=acme, name="acme.com")
    bucket = BucketFactory(clients=[acme], title="Acme care", hours=Decimal("4"), billable_only=False)
    task = TaskFactory(client=acme, bucket=bucket, title="Plugin updates")
    # Started just after midnight: counted this month even when the suite runs on the 1st at 00:30.
    midnight = timezone.localtime().replace(hour=0, minute=1, second=0, microsecond=0)
    TimeEntryFactory(task=task, user=alice, started_at=midnight, worked=timedelta(hours=3))
    page = log_in(alice)
    page.get_by_role("link", name="Clients").click()
    page.get_by_role("link", name="Acme", exact=True).click()
    widget = page.locator("#time-widget")
    expect(widget.get_by_role("heading", name="Time Tracker")).to_be_visible()
    expect(widget).to_contain_text("3h")
    expect(widget).to_contain_text("Plugin updates")
    bar = widget.locator(".bucket-balances li", has_text="Acme care")
    expect(bar.get_by_role("img", name="75% used")).to_be_visible()
    expect(bar.locator(".usage")).to_have_class("usage warn")
    expect(bar).to_contain_text("1h left")
    widget.get_by_role("link", name="Open in Logs").click()
    expect(page.locator("#log-table")).to_contain_text("Plugin updates")
