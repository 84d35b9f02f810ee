"""GET /time-entries/export.csv and .xlsx: the list's filters, the Logs page's exporter, errors as JSON."""

import csv
import io

import openpyxl
import pytest

from tests.factories import ClientFactory, TaskFactory, TimeEntryFactory
from timetracker.reports import entry_exports

pytestmark = pytest.mark.django_db
URL = "/api/v1/time-entries/export"


@pytest.fixture
def work(dana):
    acme, zeta = ClientFactory(name="Acme"), ClientFactory(name="Zeta")
    TimeEntryFactory(task=TaskFactory(client=acme, title="Logo"), user=dana, description="Sketches")
    TimeEntryFactory(task=TaskFactory(client=zeta, title="Site"), user=dana, description="=cmd()")
    return acme, zeta


def rows_of(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_csv_of_a_filtered_list_has_the_logs_columns(api_dana, dana, work):
    acme, _ = work
    response = api_dana.get(f"{URL}.csv", {"client_id": acme.pk})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = rows_of(response)
    assert rows[0] == entry_exports.header(True, entry_exports.Money.of(None))
    assert len(rows) == 2 and "Acme" in rows[1] and "Logo" in rows[1] and "Sketches" in rows[1]


def test_the_same_rows_as_the_logs_page_export(api_dana, dana, work, client):
    """Parity: one exporter. The page filters by its FilterSet (client=), the API by its filters (client_id=)."""
    acme, _ = work
    client.force_login(dana)
    page = client.get(f"/logs/export.csv?client={acme.pk}")
    assert page.status_code == 200, page.content
    assert rows_of(api_dana.get(f"{URL}.csv", {"client_id": acme.pk})) == rows_of(page)


def test_csv_follows_several_ids_and_keeps_formulas_as_text(api_dana, work):
    acme, zeta = work
    rows = rows_of(api_dana.get(f"{URL}.csv", {"client_id": f"{acme.pk},{zeta.pk}"}))
    assert len(rows) == 3 and any("'=cmd()" in row for row in rows[1:])


def test_csv_options_semicolon_and_comma_decimals(api_dana, work):
    text = b"".join(api_dana.get(f"{URL}.csv", {"sep": "semicolon", "decimal": "comma"}).streaming_content)
    assert b";" in text.splitlines()[0]


def test_xlsx_of_the_same_list(api_dana, work):
    acme, _ = work
    response = api_dana.get(f"{URL}.xlsx", {"client_id": acme.pk})
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    book = openpyxl.load_workbook(io.BytesIO(content))
    values = [[cell for cell in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    assert any("Sketches" in row for row in values) and not any("=cmd()" in row for row in values)


def test_staff_export_only_their_own_time(api_bob, bob, work):
    TimeEntryFactory(task=TaskFactory(assignee=bob), user=bob, description="Mine")
    rows = rows_of(api_bob.get(f"{URL}.csv"))
    assert len(rows) == 2 and "Mine" in rows[1]


def test_bad_filters_are_a_json_400(api_dana, work):
    response = api_dana.get(f"{URL}.csv", {"client_id": "x"}, HTTP_ACCEPT="text/csv")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert "client_id must be positive whole numbers" in response.json()["error"]["message"]
    assert api_dana.get(f"{URL}.csv", {"page": "2"}).status_code == 400  # the whole list, never a page


def test_a_too_large_xlsx_says_what_to_do(api_dana, work, monkeypatch):
    monkeypatch.setattr(entry_exports, "BACKGROUND_ROWS", 1)
    response = api_dana.get(f"{URL}.xlsx")
    assert response.status_code == 400 and "export them as CSV" in response.json()["error"]["message"]
    assert api_dana.get(f"{URL}.csv").status_code == 200
