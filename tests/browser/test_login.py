import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, TimeEntryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_user_logs_in_and_sees_the_dashboard(live_server, page, bob):
    TimeEntryFactory(user=bob, task__title="Plugin updates")
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))

    page.goto(live_server.url + "/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("Plugin updates")).to_be_visible()
    # htmx loaded from our own static files and nothing broke the content security policy.
    assert page.evaluate("typeof htmx !== 'undefined' && htmx.version.startsWith('2.')")

    page.locator("details.usermenu summary").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert errors == []


def test_a_wrong_password_shows_a_message(live_server, page, bob):
    page.goto(live_server.url + "/login/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
