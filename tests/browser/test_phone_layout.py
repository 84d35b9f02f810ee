"""Every page fits a phone (390x844) and still fits a desktop (1440x900): no page scrolls sideways.

The data is made to stress the layout: long client, site, bucket and task names, an unbroken URL in entry
descriptions, enough rows for the tables, and a running timer in the header. Set SCREENSHOT_DIR to keep a
full-page screenshot of each page at both sizes.
"""

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import (
    PASSWORD,
    BucketFactory,
    ClientFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    ProjectFactory,
    SiteFactory,
    TaskFactory,
    TimeEntryFactory,
)
from timetracker.automation.models import (
    Event,
    EventType,
    Trigger,
    TriggerFiring,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from timetracker.tasks import timer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
LONG_CLIENT = "Internationale Vereinigung der Zahnärztlichen Fachgesellschaften e.V."
LONG_SITE = "members.internationale-vereinigung-der-zahnaerztlichen-fachgesellschaften.example"
LONG_NOTE = (
    "Untangled a chain of redirects: https://members.internationale-vereinigung.example/a/very/long/path"
    "/without/any/spaces?and=query&strings=too"
)


@pytest.fixture
def crowded(alice, dana, bob):
    """A client with long names everywhere, a dozen tasks with time, an invoice, and running timers."""
    client = ClientFactory(
        name=LONG_CLIENT, email="buchhaltung-abteilung@internationale-vereinigung-zahnaerzte.example"
    )
    site = SiteFactory(client=client, name=LONG_SITE)
    ProjectFactory(client=client, name="Relaunch of the members-only knowledge portal with single sign-on")
    bucket = BucketFactory(
        title="Quarterly maintenance retainer with priority support and monthly reporting", clients=[client]
    )
    tasks = []
    for number in range(12):
        task = TaskFactory(
            title=f"Migrate the extraordinarily long-named subscription plugin configuration {number}",
            client=client,
            bucket=bucket,
            sites=[site],
        )
        TimeEntryFactory(
            task=task,
            user=(alice, dana, bob)[number % 3],
            description=LONG_NOTE,
            worked=timedelta(minutes=45 + number),
            hourly_rate=Decimal("95.00"),
        )
        tasks.append(task)
    invoice = InvoiceFactory(client=client, status="sent", subtotal=Decimal("300"), total=Decimal("300"))
    for number in range(3):
        InvoiceLineFactory(invoice=invoice, description=f"{tasks[number].title}: {LONG_NOTE}")
    # A running timer puts the clock, pause and stop buttons in every header.
    for user, task in ((alice, tasks[0]), (dana, tasks[1]), (bob, tasks[2])):
        timer.start(user=user, task=task)
    trigger, endpoint = crowded_automation(dana, client, bucket)
    return {
        "client": client,
        "site": site,
        "bucket": bucket,
        "task": tasks[2],
        "invoice": invoice,
        "trigger": trigger,
        "endpoint": endpoint,
    }


def crowded_automation(dana, client, bucket):
    """A trigger with long names and a firing with a long outcome; an endpoint with a long URL and deliveries."""
    endpoint = WebhookEndpoint(
        name="Accounting system of the Vereinigung (production)",
        url=f"https://{LONG_SITE}/webhooks/timetracker/incoming/events?token=abcdefghijklmnopqrstuvwxyz0123456789",
        event_types=list(EventType.values),
        created_by=dana,
        consecutive_failures=2,
    )
    endpoint.set_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    endpoint.save()
    trigger = Trigger.objects.create(
        name="Tell the Vereinigung's accounting when the maintenance retainer reaches 80 percent",
        event_type=EventType.BUCKET_THRESHOLD,
        client=client,
        bucket=bucket,
        threshold=80,
        notify=True,
        extra_emails="buchhaltung-abteilung@internationale-vereinigung-zahnaerzte.example",
        webhook=endpoint,
        created_by=dana,
    )
    event = Event.objects.create(
        type=EventType.BUCKET_THRESHOLD, dedupe_key="crowded", payload={"threshold": 80}
    )
    TriggerFiring.objects.create(
        trigger=trigger,
        event=event,
        status="done",
        outcome=f"Notification: sent to {client.email}.\n{LONG_NOTE}",
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=event,
        event_type=event.type,
        message_id="msg_2b6f1c0d9e8a7f6e5d4c3b2a",
        attempts=1,
    )
    WebhookAttempt.objects.create(delivery=delivery, status_code=500, error=f"HTTP 500 {LONG_NOTE}")
    return trigger, endpoint


def detail_pages(user, crowded):
    """The pages behind the navigation that this user may open, by the name their screenshot gets."""
    pages = {
        "client": f"/clients/{crowded['client'].pk}/",
        "site": f"/sites/{crowded['site'].pk}/",
        "task": f"/tasks/{crowded['task'].pk}/",
        "bucket": f"/buckets/{crowded['bucket'].pk}/",
        "timesheet": "/timesheet/",
        "profile": "/profile/",
    }
    if user.is_manager:
        pages["invoices"] = "/billing/invoices/"
        pages["invoice"] = f"/billing/invoices/{crowded['invoice'].pk}/"
        pages["client_settings"] = f"/clients/{crowded['client'].pk}/settings/"
        pages["trigger"] = f"/automation/triggers/{crowded['trigger'].pk}/"
        pages["trigger_new"] = "/automation/triggers/new/"
        pages["webhooks"] = "/automation/webhooks/"
        pages["webhook"] = f"/automation/webhooks/{crowded['endpoint'].pk}/"
        pages["webhook_new"] = "/automation/webhooks/new/"
    return pages


def overflow(page):
    """How many pixels the page is wider than the window (0 when it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def shoot(page, user, name, size):
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}-{user.username}-{size['width']}.png", full_page=True)


def visit_everything(page, live_server, user, crowded, size):
    nav_links = page.locator("nav[aria-label=Main] a")
    offered = nav_links.evaluate_all(
        "links => links.map(a => [a.textContent.trim(), a.getAttribute('href')])"
    )
    assert ["Logs", "/logs/"] in offered, offered
    wide = {}
    for name, path in [*offered, *detail_pages(user, crowded).items()]:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        if overflow(page) > 0:
            wide[path] = page.evaluate("document.documentElement.scrollWidth")
        shoot(page, user, name.lower(), size)
    # The New Task modal, opened from the stopwatch in the header, fits the screen too.
    page.goto(live_server.url + "/logs/")
    page.get_by_label("Timer menu").click()
    page.locator("#header-timer").get_by_role("link", name="New Task").click()
    dialog = page.get_by_role("dialog", name="New Task")
    expect(dialog).to_be_visible()
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"], box
    if overflow(page) > 0:
        wide["New Task modal"] = page.evaluate("document.documentElement.scrollWidth")
    shoot(page, user, "new_task_modal", size)
    assert wide == {}, f"wider than {size['width']}px: {wide}"


@pytest.mark.parametrize("who", ["alice", "dana", "bob"])
def test_no_page_scrolls_sideways_on_a_phone(live_server, log_in, page, crowded, who, request):
    user = request.getfixturevalue(who)
    page.set_viewport_size(PHONE)
    log_in(user)
    visit_everything(page, live_server, user, crowded, PHONE)


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_no_page_scrolls_sideways_on_a_desktop(live_server, log_in, page, crowded, who, request):
    user = request.getfixturevalue(who)
    page.set_viewport_size(DESKTOP)
    log_in(user)
    # The whole navigation shows in the bar; there is nothing to unfold.
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Logs")).to_be_visible()
    visit_everything(page, live_server, user, crowded, DESKTOP)


def test_the_menu_button_opens_the_navigation_on_a_phone(live_server, log_in, page, bob, crowded):
    page.set_viewport_size(PHONE)
    log_in(bob)
    logs = page.get_by_role("navigation", name="Main").get_by_role("link", name="Logs")
    menu = page.get_by_role("button", name="Menu")
    expect(logs).to_be_hidden()
    expect(menu).to_have_attribute("aria-expanded", "false")
    # The running clock and its buttons stay in the bar while the navigation is folded.
    header = page.locator("#header-timer")
    expect(header.locator("[data-clock]")).to_be_visible()
    expect(header.get_by_role("button", name="Pause")).to_be_visible()
    expect(header.get_by_role("button", name="Stop and Submit")).to_be_visible()

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(logs).to_be_visible()
    assert logs.bounding_box()["height"] >= 40, "a navigation link is a finger-sized target"
    page.keyboard.press("Escape")
    expect(logs).to_be_hidden()

    menu.click()
    logs.click()
    expect(page.get_by_role("heading", name="Logs", exact=True)).to_be_visible()
    expect(logs).to_be_hidden()
    # Staff see only what they may open.
    menu.click()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Billing")).to_have_count(0)
    expect(nav.get_by_role("link", name="Settings")).to_have_count(0)


def test_the_navigation_shows_without_javascript_on_a_phone(live_server, browser, bob, crowded):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/logs/")
    # Without a script to open it, the navigation is not folded away, and the Menu button is not offered.
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Buckets")).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    assert overflow(page) == 0
    context.close()
