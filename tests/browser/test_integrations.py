"""The clicked flow: add a connection to a (fake) Toggl account, sync now, and find its time in Logs and
Reports."""

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.integrations.fakes import Toggl

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_add_a_connection_sync_now_and_find_the_time(live_server, log_in, dana, httpserver):
    # Browser tests keep the real clock: the entries are from the days just before today.
    today = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    fake = Toggl(
        token="tgl-browser-5e6f7a8b9c0d",
        entries=[
            Toggl.entry(901, today - timedelta(days=2), 5400, description="Sprint planning ☕"),
            Toggl.entry(902, today - timedelta(days=3), 2700, description="Café Zürich call"),
        ],
    ).install(httpserver)
    page = log_in(dana)
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))

    page.get_by_role("link", name="Integrations").click()
    page.get_by_role("link", name="Add a connection").click()
    page.get_by_label("Provider").select_option("toggl")
    page.get_by_label("Name").fill("Studio Toggl")
    page.get_by_label("API token").fill(fake.token)
    page.get_by_label("API address").fill(httpserver.url_for("/"))
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    page.get_by_role("button", name="Save the connection").click()
    expect(page.get_by_role("heading", name="Studio Toggl")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(fake.token)

    page.get_by_role("button", name="Test").click()
    expect(page.get_by_text("The connection works")).to_be_visible()
    page.get_by_role("button", name="Sync now").click()
    expect(page.get_by_text("Synced: 2 new, 0 updated, 0 deleted, 0 conflicts.")).to_be_visible()
    expect(page.locator("#sync-history tbody tr").first).to_contain_text("Done")

    page.get_by_role("link", name="Logs", exact=True).click()
    table = page.locator("#log-table")
    expect(table).to_contain_text("AGL")
    expect(table).to_contain_text("2h 15m")  # 1h 30m + 45m on the one task

    page.goto(f"{live_server.url}/reports/?group=client&range=last_n_days:30")
    expect(page.locator("#report-body tbody tr", has_text="AGL")).to_contain_text("2h 15m")
    assert errors == []
