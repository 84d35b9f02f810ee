from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import BucketFactory, ClientFactory, SiteFactory, TimeEntryFactory
from timetracker.billing.models import Settings
from timetracker.tasks.models import Task, TimeEntry, write_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def agency(bob):
    settings = Settings.load()
    settings.rounding_enabled, settings.rounding_mode, settings.rounding_interval = True, "up", 15
    settings.save()
    acme, other = ClientFactory(name="Acme"), ClientFactory(name="Other Co")
    SiteFactory(client=acme, name="acme.com")
    SiteFactory(client=other, name="other.org")
    BucketFactory(clients=[acme], title="Acme care")
    BucketFactory(clients=[other], title="Other care")
    TimeEntryFactory(user=bob, task__title="Old task", task__client=other)
    return acme


def row(page, title):
    return page.locator("#log-table tbody tr", has=page.get_by_role("link", name=title, exact=True))


def open_row_menu(page, title):
    row(page, title).locator("details.menu summary").click()
    return row(page, title).locator(".menu-items")


def test_the_whole_timer_loop_in_a_real_browser(live_server, log_in, bob, agency):
    page = log_in(bob)
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(f"{live_server.url}/logs/")

    # New Task from the header stopwatch; choosing a client narrows sites and buckets.
    page.locator("details.stopwatch summary").click()
    page.locator("#header-timer").get_by_role("link", name="New Task").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Client").select_option(label="Acme")
    expect(dialog.get_by_label("acme.com")).to_be_visible()
    expect(dialog.get_by_text("other.org")).to_have_count(0)
    expect(dialog.get_by_label("Bucket").locator("option")).to_have_text(["No bucket", "Acme care"])
    dialog.get_by_label("acme.com").check()
    dialog.get_by_label("Title").fill("Fix the checkout")
    dialog.get_by_role("button", name="▶ Start", exact=True).click()  # the new task's button
    expect(dialog.get_by_role("button", name="Stop and Submit")).to_be_visible()

    # Dismiss the modal: the timer keeps running and the header shows it, on another page too.
    dialog.get_by_role("link", name="Close").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    header = page.locator("#header-timer")
    expect(header).to_contain_text("Fix the checkout")
    page.get_by_role("link", name="Dashboard").click()
    header = page.locator("#header-timer")
    expect(header).to_contain_text("Fix the checkout")
    clock = header.locator("[data-clock]")
    first = clock.inner_text()
    expect(clock).not_to_have_text(first, timeout=5000)  # it ticks

    # Pause from the header.
    header.get_by_role("button", name="Pause").click()
    expect(page.locator("#header-timer").get_by_role("button", name="Resume")).to_be_visible()
    entry = TimeEntry.objects.get(task__title="Fix the checkout")
    assert entry.paused_at is not None

    # Continue from the Logs ellipsis menu opens the modal with Pause and Stop and Submit.
    page.get_by_role("link", name="Logs").click()
    open_row_menu(page, "Fix the checkout").get_by_role("button", name="Continue").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("button", name="Pause")).to_be_visible()
    expect(dialog.get_by_role("button", name="Stop and Submit")).to_be_visible()

    # 37 minutes pass.
    with write_path():
        TimeEntry.objects.filter(pk=entry.pk).update(
            started_at=timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=37),
            paused_seconds=0,
        )
    dialog.get_by_role("button", name="Stop and Submit").click()
    expect(dialog).to_contain_text("Submitted")
    entry.refresh_from_db()
    assert entry.duration_seconds in (37 * 60, 38 * 60) and entry.rounded_seconds == 45 * 60
    dialog.get_by_role("link", name="Done").click()

    # The Logs table has refreshed itself: raw and rounded time side by side.
    fixed = row(page, "Fix the checkout")
    expect(fixed).to_contain_text(f"{entry.duration_seconds // 60}m")
    expect(fixed).to_contain_text("45m")
    expect(fixed).to_contain_text("Completed")
    expect(page.locator("#header-timer [data-clock]")).to_have_count(0)

    # Edit it: payment status Sent.
    open_row_menu(page, "Fix the checkout").get_by_role("link", name="Edit").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Payment status").select_option(label="Sent")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_contain_text("is up to date")
    dialog.get_by_role("link", name="Done").click()
    expect(row(page, "Fix the checkout")).to_contain_text("Sent")
    assert Task.objects.get(title="Fix the checkout").payment_status == "sent"

    # Delete another task, after confirming.
    open_row_menu(page, "Old task").get_by_role("link", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete task").click()
    expect(page.locator("#log-table")).not_to_contain_text("Old task")
    expect(page.get_by_text('Deleted "Old task"')).to_be_visible()
    assert not Task.objects.filter(title="Old task").exists()
    assert errors == []
