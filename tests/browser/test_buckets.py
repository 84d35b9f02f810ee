from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import ClientFactory, TaskFactory, TimeEntryFactory
from timetracker.buckets.models import Bucket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_creates_a_bucket_and_sees_its_usage_in_the_list(live_server, log_in, dana, bob):
    acme = ClientFactory(name="Acme")
    ClientFactory(name="Other Co")
    page = log_in(dana)
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))

    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Buckets").click()
    page.get_by_role("link", name="New bucket").click()
    page.get_by_label("Title").fill("Acme care")
    page.get_by_label("Acme").check()
    page.get_by_label("Hours", exact=True).fill("10")
    page.get_by_label("Hourly price").fill("90")
    page.get_by_label("Recurrence").select_option(label="Monthly")
    page.get_by_label("Start date").fill(timezone.localdate().replace(day=1).isoformat())
    # A typo in the thresholds is named, and nothing is created until it is fixed.
    page.get_by_label("Thresholds").fill("50, eighty")
    page.get_by_role("button", name="Create bucket").click()
    expect(page.get_by_text('"eighty" is not a whole percentage')).to_be_visible()
    assert not Bucket.objects.exists()
    page.get_by_label("Thresholds").fill("50, 80")
    page.get_by_role("button", name="Create bucket").click()
    expect(page.get_by_text('Created bucket "Acme care"')).to_be_visible()
    bucket = Bucket.objects.get()
    assert (bucket.thresholds, list(bucket.clients.all())) == ([50, 80], [acme])

    # Two and a half hours are tracked on it; the list shows the bucket with its usage bar.
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=150)
    if start.date() < bucket.start_date:  # just after midnight on the 1st: keep the time in this period
        start = timezone.now().replace(second=0, microsecond=0)
    TimeEntryFactory(
        task=TaskFactory(bucket=bucket, client=acme),
        user=bob,
        started_at=start,
        worked=timedelta(minutes=150),
    )
    nav.get_by_role("link", name="Buckets").click()
    row = page.locator("#bucket-table tbody tr", has=page.get_by_role("link", name="Acme care"))
    expect(row).to_contain_text("Acme")
    expect(row).to_contain_text("10h")
    expect(row).to_contain_text("7h 30m")
    expect(row.locator(".usage")).to_be_visible()
    expect(row.locator(".usage")).to_contain_text("25%")
    expect(row.get_by_role("img", name="25% used")).to_be_visible()
    assert errors == []
