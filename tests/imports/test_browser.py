"""The clicked flow: upload a Toggl export, read the preview, confirm, and find the time in Logs."""

import os

import pytest
from playwright.sync_api import expect

from tests.imports.conftest import SAMPLES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("IMPORT_SCREENSHOTS")  # a folder: save the pages at desktop and phone sizes


def shoot(page, name):
    if not SHOTS:
        return
    for width, height in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
        # Nothing may stick out sideways on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    page.set_viewport_size({"width": 1440, "height": 900})


def test_upload_preview_confirm_and_the_time_is_in_the_logs(live_server, log_in, alice):
    page = log_in(alice)
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.get_by_role("link", name="Imports").click()
    expect(page.get_by_role("heading", name="Imports", exact=True)).to_be_visible()
    shoot(page, "import-list-empty")

    page.locator("#id_file").set_input_files(str(SAMPLES / "toggl/timesheet2invoice_toggl.csv"))
    page.get_by_label("Time zone of the file's times").select_option("Europe/Amsterdam")
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_role("heading", name="timesheet2invoice_toggl.csv")).to_be_visible()
    expect(page.locator(".stat", has_text="New")).to_contain_text("7")
    expect(page.get_by_text("New clients: Acme Corp")).to_be_visible()
    expect(page.get_by_label("Alex <alex@example.com>")).to_be_visible()
    shoot(page, "import-preview")

    page.get_by_role("button", name="Import 7 new entries").click()
    expect(
        page.get_by_text("Imported 7 new entries and updated 0 from timesheet2invoice_toggl.csv.")
    ).to_be_visible()
    shoot(page, "import-done")

    page.get_by_role("link", name="See the time in Logs").click()
    table = page.locator("#log-table")
    expect(table).to_contain_text("API Integration")
    expect(table).to_contain_text("Dashboard")
    expect(table).to_contain_text("Code Review")

    page.get_by_role("link", name="Imports").click()
    expect(page.locator("#import-history tbody tr")).to_have_count(1)
    expect(page.locator("#import-history")).to_contain_text("Imported")
    shoot(page, "import-list")
    assert errors == []


def test_an_unknown_csv_is_mapped_column_by_column_and_bad_rows_are_listed(
    live_server, log_in, dana, tmp_path
):
    mine = tmp_path / "hours.csv"
    mine.write_text("Day,Hours worked,Notes\n2026-03-02,1.5,Design\n2026-02-30,2,Typo\n")
    page = log_in(dana)
    page.goto(f"{live_server.url}/imports/")
    page.locator("#id_file").set_input_files(str(mine))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Which column holds what?")).to_be_visible()
    shoot(page, "import-columns")
    page.get_by_label("Date:", exact=True).select_option("Day")
    page.get_by_label("Duration (1:30, 1.5 or 1h 30m)").select_option("Hours worked")
    page.get_by_label("Description:", exact=True).select_option("Notes")
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator(".stat", has_text="Errors")).to_contain_text("1")
    expect(
        page.get_by_role("cell", name='Date "2026-02-30" is not a date (read as YYYY-MM-DD or MM/DD/YYYY).')
    ).to_be_visible()
    shoot(page, "import-bad-rows")
    page.get_by_label("Import the good rows, leave the bad ones out").check()
    page.get_by_role("button", name="Import 1 new entry").click()
    expect(page.get_by_text("Imported 1 new entry and updated 0 from hours.csv.")).to_be_visible()
