import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, ClientFactory, TaskFactory, TimeEntryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_clients(bob):
    acme, other = ClientFactory(name="Acme"), ClientFactory(name="Other Co")
    TimeEntryFactory(user=bob, task=TaskFactory(title="Acme work", client=acme))
    TimeEntryFactory(user=bob, task=TaskFactory(title="Other work", client=other))
    return acme


def titles(page):
    return page.locator("#log-table a.task-link")


def test_filters_update_the_url_and_the_back_button_restores_it(live_server, log_in, bob, two_clients):
    page = log_in(bob)
    page.goto(f"{live_server.url}/logs/")
    expect(titles(page)).to_have_count(2)
    page.get_by_label("Client", exact=True).select_option(label="Acme")
    expect(titles(page)).to_have_text(["Acme work"])
    assert f"client={two_clients.pk}" in page.url
    page.go_back()
    expect(titles(page)).to_have_count(2)
    assert "client=" not in page.url


def test_the_logs_page_works_without_javascript(live_server, browser, bob, two_clients):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/logs/")
    page.get_by_label("Client", exact=True).select_option(label="Other Co")
    page.get_by_role("button", name="Filter").click()
    expect(titles(page)).to_have_text(["Other work"])
    # The row menu is a plain <details>; View Detail is an ordinary link.
    page.locator("#log-table details.menu summary").click()
    page.get_by_role("link", name="View Detail").click()
    expect(page.get_by_role("heading", name="Other work")).to_be_visible()
    context.close()
