"""Money in every way a report leaves the app is written by the one formatter with the agency's settings."""

import io
import shutil
import subprocess
from datetime import time

import openpyxl
import pytest
from django.urls import reverse

from tests.reports.conftest import local
from tests.reports.test_exports import body, export, read_csv
from tests.reports.test_views import QUARTER
from timetracker.billing.models import Settings
from timetracker.reports import schedules
from timetracker.reports.engine import ReportSpec
from timetracker.reports.models import ReportSchedule, SavedReport, ShareLink

pytestmark = pytest.mark.django_db
# The quarter's total, 340 at the default format, as these settings write it.
TOTAL = "340,000 €"


@pytest.fixture
def euros(work):
    agency = Settings.load()
    agency.currency_code, agency.currency_symbol, agency.symbol_position = "EUR", "€", "after"
    agency.thousand_separator, agency.decimal_separator, agency.decimal_places = ".", ",", 3
    agency.save()
    return agency


def test_the_report_csv_and_xlsx_follow_the_money_settings(alice_client, euros):
    header, *rows = read_csv(export(alice_client, "csv", **QUARTER))
    assert header[-1] == "Amount (EUR)" and rows[-1][-1] == "340.000"
    semicolons = body(export(alice_client, "csv", **QUARTER, sep="semicolon", decimal="comma")).decode()
    assert semicolons.splitlines()[-1].endswith(";340,000")
    book = openpyxl.load_workbook(io.BytesIO(body(export(alice_client, "xlsx", **QUARTER))))
    sheet = book["Report"]
    total = sheet.cell(row=sheet.max_row, column=sheet.max_column)
    assert total.value == 340 and total.number_format == '#,##0.000 "€"'


def test_entry_exports_follow_the_money_settings(alice_client, euros):
    header, *rows = read_csv(export(alice_client, "csv", **QUARTER, detail="entries"))
    assert header[-2:] == ["Rate (EUR)", "Amount (EUR)"] and rows[0][-2:] == ["100.000", "100.000"]
    book = openpyxl.load_workbook(io.BytesIO(body(export(alice_client, "xlsx", **QUARTER, detail="entries"))))
    amount = book["Entries"].cell(row=2, column=book["Entries"].max_column)
    assert amount.value == 100 and amount.number_format == '#,##0.000 "€"'


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler's pdftotext to read the PDF")
def test_the_pdf_follows_the_money_settings(alice_client, euros):
    pdf = export(alice_client, "pdf", **QUARTER).content
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert TOTAL in text and "$" not in text


def test_the_share_page_and_the_email_follow_the_money_settings(
    client, dana, euros, mailoutbox, django_capture_on_commit_callbacks
):
    saved = SavedReport.objects.create(
        owner=dana, name="By client", spec=ReportSpec(group="client", range="last_quarter").to_json()
    )
    _, token = ShareLink.issue(report=saved, by=dana, show_amounts=True)
    assert TOTAL in client.get(reverse("reports:shared", args=[token])).content.decode()
    ReportSchedule.objects.create(
        report=saved,
        created_by=dana,
        frequency="monthly",
        time_of_day=time(8, 0),
        time_zone="Europe/Amsterdam",
        period="month",
        emails="client@example.com",
        formats=["csv"],
        show_amounts=True,
        next_run_at=local("2026-09-01T08:00"),  # August: Acme's 2 hours at 100
    )
    with django_capture_on_commit_callbacks(execute=True):
        schedules.tick()
    (mail,) = mailoutbox
    assert "200,000 €" in mail.body and "200,000 €" in mail.alternatives[0][0]
    ((_, content, _),) = mail.attachments
    text = content if isinstance(content, str) else content.decode()  # Django decodes text attachments
    assert text.splitlines()[-1].endswith(",200.000")
