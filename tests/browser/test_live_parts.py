"""The parts of a page that reload themselves on an event (header timer, dashboard banner, Logs table) show the
latest state when events come faster than the server answers: a reload answered late and stale must not
swallow the one asked for after it."""

import contextlib

import pytest
from django.urls import reverse
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.factories import ClientFactory, TaskFactory
from timetracker.tasks import timer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_late_stale_reload_does_not_swallow_the_next_one(live_server, log_in, bob):
    task = TaskFactory(title="Homepage", client=ClientFactory(name="Acme"), assignee=bob)
    page = log_in(bob)  # the dashboard
    held = []

    def hold_the_first(route):
        # The first banner reload is answered by the server now (no timer yet) but delivered only later.
        if held:
            route.continue_()
        else:
            held.append((route, route.fetch()))

    page.route(f"**{reverse('dashboard')}?part=banner", hold_the_first)
    page.evaluate("htmx.trigger(document.body, 'timer-changed')")
    page.wait_for_timeout(200)
    expect(page.locator("#running-banner")).to_have_class("htmx-request")
    assert len(held) == 1
    timer.start(user=bob, task=task)
    page.evaluate("htmx.trigger(document.body, 'timer-changed')")  # the timer started: reload again
    route, stale = held[0]
    # The stale answer arrives after the second reload was asked for (an error if its request was cancelled).
    with contextlib.suppress(PlaywrightError):
        route.fulfill(response=stale)
    expect(page.locator("#running-banner")).to_contain_text("Homepage")
    expect(page.locator("#header-timer")).to_contain_text("Homepage")
