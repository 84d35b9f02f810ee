import csv
import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import ClientFactory, TaskFactory, TimeEntryFactory
from timetracker.lib.dates import local_midnight
from timetracker.reports import ranges
from timetracker.reports.models import ShareLink

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def quarter(bob):
    """Time in last quarter (by the real clock): Acme 3h at 100/h over two months, Zeta 1h non-billable."""
    period = ranges.resolve("last_quarter", tz="UTC")
    first_month = period.first
    second_month = (first_month.replace(day=28) + timedelta(days=4)).replace(day=1)
    acme, zeta = ClientFactory(name="Acme"), ClientFactory(name="Zeta")
    site = TaskFactory(client=acme, title="Site care")
    for day, hours in ((first_month, 1), (second_month, 2)):
        start = local_midnight(day + timedelta(days=9), "UTC") + timedelta(hours=10)
        TimeEntryFactory(
            task=site, user=bob, started_at=start, worked=timedelta(hours=hours), hourly_rate=Decimal("100")
        )
    TimeEntryFactory(
        task=TaskFactory(client=zeta, title="Logo"),
        user=bob,
        started_at=local_midnight(second_month + timedelta(days=3), "UTC") + timedelta(hours=9),
        billable=False,
    )
    TimeEntryFactory(task=site, user=bob, started_at=timezone.now() - timedelta(hours=2))  # this quarter
    return {"period": period, "second_month": second_month}


def test_build_export_save_share_and_expire_a_report(live_server, log_in, browser, dana, quarter):
    page = log_in(dana)
    errors = []
    # Chromium asks for /favicon.ico by itself after a download; our pages link their own icon.
    page.on(
        "console",
        lambda m: m.type == "error" and "favicon.ico" not in m.location["url"] and errors.append(m.text),
    )
    page.get_by_role("link", name="Reports", exact=True).click()
    expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()

    # Client, then month, for last quarter: htmx swaps the body and the URL follows.
    page.get_by_label("Then by").select_option("month")
    page.get_by_label("Range").select_option("last_quarter")
    body = page.locator("#report-body")
    expect(body.locator("tfoot")).to_contain_text("$300.00")
    assert "sub_group=month" in page.url and "range=last_quarter" in page.url
    expect(body.locator("[data-period]")).to_contain_text(str(quarter["period"]))
    expect(body.locator("tr.group-row", has_text="Acme")).to_contain_text("3h")
    expect(body.locator("svg.report-chart")).to_be_visible()

    # The same totals on the Logs page, filtered the same way through the drill-down link.
    month = f"{quarter['second_month']:%B %Y}"
    body.locator("tr.sub-row", has_text=month).first.get_by_role("link").click()
    expect(page.locator("#log-table .bulk-bar")).to_contain_text("2h tracked · 2h rounded · $200.00")
    page.go_back()
    expect(page.locator("#report-body tfoot")).to_contain_text("4h")

    # Exports read back to the same totals.
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV", exact=True).click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[-1][0] == "Total" and rows[-1][-1] == "300.00" and rows[-1][6] == "4:00"
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX", exact=True).click()
    assert download.value.suggested_filename.endswith(".xlsx")
    with open(download.value.path(), "rb") as file:
        sheet = openpyxl.load_workbook(file)["Report"]
    last = list(sheet.iter_rows(values_only=True))[-1]
    assert last[0] == "Total" and last[-1] == 300.0 and last[4] == timedelta(hours=4)

    # Save it, share it (money off by default), open the link logged out.
    page.get_by_placeholder("Name this report").fill("Quarter by client")
    page.get_by_role("button", name="Save report").click()
    expect(page.get_by_role("link", name="Quarter by client")).to_be_visible()
    page.get_by_role("link", name="Share links").click()
    page.get_by_role("button", name="Create link").click()
    url = page.locator("[data-share-url]").inner_text().strip()

    visitor = browser.new_context()
    public = visitor.new_page()
    response = public.goto(url)
    assert response.status == 200 and response.headers["x-robots-tag"].startswith("noindex")
    expect(public.locator("tfoot")).to_contain_text("4h")
    expect(public.locator("body")).not_to_contain_text("$")
    expect(public.get_by_role("link", name="Logs")).to_have_count(0)

    # Expired: a plain 404.
    ShareLink.objects.update(
        expires_at=timezone.now() - timedelta(minutes=1), created_at=timezone.now() - timedelta(days=31)
    )
    assert public.goto(url).status == 404
    visitor.close()
    assert errors == []
