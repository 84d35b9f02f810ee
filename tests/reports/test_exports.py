import csv
import io
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from tests.reports.test_views import QUARTER

pytestmark = pytest.mark.django_db


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def export(browser, fmt, **params):
    response = browser.get(reverse("reports:export", args=[fmt]), params)
    assert response.status_code == 200, body(response)[:500]
    return response


def read_csv(response):
    text = body(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_the_report_csv_streams_rows_subtotals_and_a_total_that_adds_up(alice_client, work):
    response = export(alice_client, "csv", **QUARTER)
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    header, *rows = read_csv(response)
    assert header[:5] == ["Client", "Month", "Entries", "Tracked (h)", "Tracked (h:mm)"]
    assert header[-1] == "Amount (USD)"
    assert rows[0][:6] == ["Acme", "July 2026", "1", "1.00", "1:00", "1.00"]
    assert rows[2][:2] == ["Acme", "Subtotal"] and rows[2][-1] == "300.00"
    plain = [row for row in rows if row[1] not in ("Subtotal", "")]
    total = rows[-1]
    assert total[0] == "Total" and total[-1] == "340.00" and total[4] == "4:30"
    assert sum(Decimal(row[-1]) for row in plain) == Decimal(total[-1])
    assert sum(int(row[2]) for row in plain) == int(total[2]) == 4


def test_csv_options_for_european_excel(alice_client, work):
    response = export(
        alice_client, "csv", group="client", range="last_quarter", sep="semicolon", decimal="comma"
    )
    text = body(response).decode().removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[1][:5] == ["Acme", "2", "3,00", "3:00", "3,00"]


def test_the_report_xlsx_has_typed_cells_a_frozen_header_and_the_filters_used(alice_client, work):
    response = export(alice_client, "xlsx", **QUARTER, client=[work["acme"].pk])
    book = openpyxl.load_workbook(io.BytesIO(body(response)))
    sheet = book["Report"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:J5"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Client", "Month", "Entries")
    assert rows[1][:6] == (
        "Acme",
        "July 2026",
        1,
        1.0,
        timedelta(hours=1),
        1.0,
    )  # [h]:mm reads back as a duration
    assert sheet["E2"].number_format == "[h]:mm" and sheet["D2"].number_format == "0.00"
    assert rows[-1][0] == "Total" and rows[-1][-1] == 300.0
    facts = dict(book["Filters"].iter_rows(values_only=True))
    assert facts["Dates covered"] == "1 Jul 2026 to 30 Sep 2026"
    assert facts["Filter: client"] == str(work["acme"].pk) and facts["Time zone"] == "Europe/Amsterdam"


def test_the_entries_of_a_report_export_one_row_each(alice_client, work):
    header, *rows = read_csv(export(alice_client, "csv", **QUARTER, detail="entries"))
    assert header[:4] == ["Started", "Client", "Project", "Task"] and header[-1] == "Amount (USD)"
    assert len(rows) == 4
    assert rows[-1][:2] == ["2026-09-30 23:30", "Zeta"]  # the viewer's local time
    book = openpyxl.load_workbook(io.BytesIO(body(export(alice_client, "xlsx", **QUARTER, detail="entries"))))
    first = next(book["Entries"].iter_rows(min_row=2, values_only=True))
    assert first[0].isoformat() == "2026-07-10T10:00:00" and first[-1] == 100.0


def test_staff_exports_carry_no_money(bob_client, work):
    header, *rows = read_csv(export(bob_client, "csv", **QUARTER))
    assert "Amount" not in header and len(rows) == 4  # Acme's two months, its subtotal, the total
    header, *_ = read_csv(export(bob_client, "csv", **QUARTER, detail="entries"))
    assert "Amount" not in header and "Rate" not in header


def test_the_pdf_is_a_pdf(alice_client, work):
    response = export(alice_client, "pdf", **QUARTER)
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")


def test_an_unknown_format_is_a_404_and_a_bad_spec_a_400(alice_client, work):
    assert alice_client.get(reverse("reports:export", args=["docx"])).status_code == 404
    assert alice_client.get(reverse("reports:export", args=["csv"]), {"range": "someday"}).status_code == 400


def test_the_logs_table_exports_its_filtered_entries(alice_client, work):
    url = reverse("reports:logs_export", args=["csv"])
    _, *rows = read_csv(alice_client.get(url, {"client": work["zeta"].pk}))
    assert {row[1] for row in rows} == {"Zeta"} and len(rows) == 2
    response = alice_client.get(reverse("reports:logs_export", args=["xlsx"]), {"client": work["acme"].pk})
    book = openpyxl.load_workbook(io.BytesIO(body(response)))
    assert book["Entries"].max_row == 4  # the header and Acme's three entries
    assert alice_client.get(url, {"date_from": "2026-02-01", "date_to": "2026-01-01"}).status_code == 400


def test_the_logs_page_links_to_its_export_with_its_filters(alice_client, work):
    html = alice_client.get("/logs/", {"client": work["acme"].pk}).content.decode()
    assert f"/logs/export.csv?client={work['acme'].pk}" in html


@pytest.fixture
def small_background(monkeypatch, settings, tmp_path):
    """Anything over 2 entries goes to the background; files land in a temporary media folder."""
    monkeypatch.setattr("timetracker.reports.entry_exports.BACKGROUND_ROWS", 2)
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_big_export_runs_in_the_background_with_progress_and_a_download(
    alice_client, work, small_background, django_capture_on_commit_callbacks, fmt
):
    from timetracker.reports.models import Export

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.get(reverse("reports:export", args=[fmt]), {**QUARTER, "detail": "entries"})
    export = Export.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reports/exports/{export.pk}/"
    assert (export.status, export.rows_total, export.rows_done) == ("done", 4, 4)
    status = alice_client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert status.lstrip().startswith('<section class="card form-card" id="export-progress"')
    assert "every 2s" not in status and "Download" in status
    download = alice_client.get(reverse("reports:export_download", args=[export.pk]))
    content = body(download)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(content.decode("utf-8").removeprefix("\ufeff"))))
        assert len(rows) == 5 and rows[1][1] == "Acme"
    else:
        book = openpyxl.load_workbook(io.BytesIO(content))
        assert book["Entries"].max_row == 5 and book["Filters"]["A1"].value == "Group by"


def test_a_queued_export_shows_progress_and_polls(alice_client, alice, work, small_background):
    from timetracker.reports.models import Export

    export = Export.objects.create(
        requested_by=alice, spec={}, fmt="csv", rows_total=40_000, rows_done=10_000
    )
    html = alice_client.get(reverse("reports:export_status", args=[export.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in html and "10000 of 40000 rows" in html and 'value="25"' in html


def test_someone_elses_export_is_a_404(bob_client, alice, work, small_background):
    from timetracker.reports.models import Export

    export = Export.objects.create(requested_by=alice, spec={}, fmt="csv", status="done")
    assert bob_client.get(reverse("reports:export_status", args=[export.pk])).status_code == 404
    assert bob_client.get(reverse("reports:export_download", args=[export.pk])).status_code == 404


def test_a_big_logs_export_goes_to_the_background_too(
    bob_client, work, small_background, django_capture_on_commit_callbacks
):
    from timetracker.reports.models import Export

    with django_capture_on_commit_callbacks(execute=True):
        response = bob_client.get(reverse("reports:logs_export", args=["csv"]), {"client": work["acme"].pk})
    export = Export.objects.get()
    assert response.status_code == 302 and export.source == "logs" and export.status == "done"
    rows = list(
        csv.reader(io.StringIO(body(bob_client.get(f"/reports/exports/{export.pk}/download/")).decode()))
    )
    assert len(rows) == 4 and "Amount" not in rows[0]  # bob's three Acme entries; Staff see no money


def test_text_that_looks_like_a_formula_stays_text_in_csv_and_xlsx(alice_client, alice):
    """Descriptions and names are anyone's (imported files too): never a live formula or link in a sheet."""
    import io

    import openpyxl

    from tests.factories import TaskFactory, TimeEntryFactory

    TimeEntryFactory(
        user=alice, task=TaskFactory(title='=HYPERLINK("http://x","y")'), description="@SUM(1,2)"
    )
    csv_text = b"".join(alice_client.get(reverse("reports:logs_export", args=["csv"])).streaming_content)
    assert b"'=HYPERLINK" in csv_text and b"'@SUM(1,2)" in csv_text
    book = openpyxl.load_workbook(
        io.BytesIO(
            b"".join(alice_client.get(reverse("reports:logs_export", args=["xlsx"])).streaming_content)
        )
    )
    cells = [cell for row in book.worksheets[0].iter_rows() for cell in row]
    assert any(cell.value == "@SUM(1,2)" and cell.data_type == "s" for cell in cells)
    assert not any(cell.data_type == "f" for cell in cells)
