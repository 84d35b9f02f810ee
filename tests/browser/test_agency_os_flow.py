"""Agency OS in the New Task modal, clicked at desktop and phone sizes: pick an existing task and describe the
work, Start Timer; Stop and review: adjust the start, add a note, untick billable, Save Entry; find it in Logs.
Then start another task and read what happened to the running one."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import ClientFactory, TaskFactory, TimeEntryFactory
from timetracker.tasks import entries
from timetracker.tasks.models import Note, TimeEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_new_task(page):
    page.locator("details.stopwatch summary").click()
    page.locator("#header-timer").get_by_role("link", name="New Task").click()
    return page.get_by_role("dialog")


@pytest.mark.parametrize("size", [(1440, 900), (390, 844)], ids=["desktop", "phone"])
def test_continue_a_task_review_on_stop_and_switch(live_server, log_in, bob, size):
    acme = ClientFactory(name="Acme")
    homepage = TaskFactory(title="Homepage", client=acme, assignee=bob)
    TaskFactory(title="Checkout", client=acme, assignee=bob)
    TimeEntryFactory(task=homepage, user=bob, started_at=timezone.now() - timedelta(days=1))
    page = log_in(bob)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("response", lambda r: r.status >= 500 and errors.append(f"{r.status} {r.url}"))
    page.goto(f"{live_server.url}/logs/")

    # Star Checkout from its row menu: the row shows the star, and the New Task list puts it on top.
    checkout = page.locator("#log-table tbody tr", has_text="Checkout")
    checkout.locator("summary").click()
    checkout.get_by_role("button", name="Add to favourites").click()
    expect(page.locator("#log-table tbody tr", has_text="Checkout").get_by_label("Favourite")).to_be_visible()

    # Select the task (favourites, then recent ones first), say what you're doing, Start Timer.
    dialog = open_new_task(page)
    groups = dialog.get_by_label("Task", exact=True).locator("optgroup")
    expect(groups.first).to_have_attribute("label", "Your favourites")
    expect(groups.first.locator("option")).to_have_text(["Acme · Checkout"])
    dialog.get_by_label("Task", exact=True).select_option(label="Acme · Homepage")
    dialog.locator("#continue_note").fill("Hero copy")
    dialog.get_by_role("button", name="▶ Start Timer").click()
    expect(dialog.get_by_role("button", name="Stop and review")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    running = TimeEntry.objects.get(ended_at__isnull=True)
    assert (running.task, running.description) == (homepage, "Hero copy")
    # Fifty minutes of work, without waiting for them: written once the page's own reloads are done (SQLite
    # takes one writer at a time).
    page.wait_for_load_state("networkidle")
    entries.change(running, started_at=timezone.now() - timedelta(minutes=50), by=bob)

    # Stop, review: the start ten minutes earlier, a note, not billable; Save Entry.
    dialog.get_by_role("button", name="Stop and review").click()
    expect(dialog.get_by_role("button", name="Save Entry")).to_be_visible()
    start = dialog.get_by_label("Started at")
    earlier = timezone.localtime(TimeEntry.objects.get(pk=running.pk).started_at) - timedelta(minutes=10)
    start.fill(earlier.strftime("%Y-%m-%dT%H:%M"))
    dialog.get_by_label("Notes").fill("Client wants two CTAs")
    dialog.get_by_label("Billable").uncheck()
    dialog.get_by_role("button", name="Save Entry").click()
    expect(page.get_by_text("Submitted", exact=False).first).to_be_visible()
    saved = TimeEntry.objects.get(pk=running.pk)
    # An hour, or 61 minutes when the clock passed a whole minute between the edit above and the stop.
    assert saved.started_at == earlier.replace(second=0, microsecond=0) and saved.billable is False
    assert saved.duration_seconds == (saved.ended_at - saved.started_at).total_seconds() in (3600, 3660)
    assert Note.objects.get(entry=saved).body == "Client wants two CTAs"

    # In Logs, with the hour beside yesterday's (the factory's hour).
    page.goto(f"{live_server.url}/logs/")
    expect(page.locator("#log-table tbody tr", has_text="Homepage")).to_contain_text("2h")

    # Switch: start Homepage again, then Checkout; the panel says what happened to Homepage. Homepage is made to
    # have run twenty minutes, so the message does not depend on whether the clock passed a whole minute.
    dialog = open_new_task(page)
    dialog.get_by_label("Task", exact=True).select_option(label="Acme · Homepage")
    dialog.get_by_role("button", name="▶ Start Timer").click()
    expect(dialog.get_by_role("button", name="Stop and review")).to_be_visible()
    dialog.get_by_role("link", name="Close").click()
    page.wait_for_load_state("networkidle")
    again = TimeEntry.objects.get(ended_at__isnull=True)
    entries.change(again, started_at=again.started_at - timedelta(minutes=20), by=bob)
    dialog = open_new_task(page)
    dialog.get_by_label("Task", exact=True).select_option(label="Acme · Checkout")
    dialog.get_by_role("button", name="▶ Start Timer").click()
    expect(dialog.get_by_role("status")).to_contain_text("Stopped Homepage after")
    stopped = TimeEntry.objects.get(pk=again.pk).duration_seconds
    assert stopped // 60 in (20, 21)  # 21 when the clock passed a whole minute meanwhile
    expect(dialog.get_by_role("status")).to_contain_text(f"Stopped Homepage after {stopped // 60}m.")
    assert errors == []


def test_the_dashboard_follows_a_timer_started_from_the_modal(live_server, log_in, bob):
    TaskFactory(title="Homepage", client=ClientFactory(name="Acme"), assignee=bob)
    page = log_in(bob)  # lands on the dashboard
    errors = []
    page.on("response", lambda r: r.status >= 500 and errors.append(f"{r.status} {r.url}"))
    expect(page.locator("#running-banner")).not_to_contain_text("Homepage")
    dialog = open_new_task(page)
    dialog.get_by_label("Task", exact=True).select_option(label="Acme · Homepage")
    dialog.get_by_role("button", name="▶ Start Timer").click()
    # The banner and Recent time reload on the timer-changed event, without a page load.
    expect(page.locator("#running-banner")).to_contain_text("Homepage")
    expect(page.locator("#recent-time")).to_contain_text("running")
    assert errors == []
