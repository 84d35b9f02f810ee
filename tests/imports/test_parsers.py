"""Every sample export parses to the entries and seconds that expected-totals.json (worked out independently)
gives, and the format is recognised from the file itself."""

import io
import json
import zipfile
from datetime import date, datetime, time

import openpyxl
import pytest

from tests.imports.conftest import SAMPLES
from timetracker.imports import parsers
from timetracker.imports.parsers.base import FileError, Problem, Row

EXPECTED = json.loads((SAMPLES / "expected-totals.json").read_text())


def opener(content):
    return lambda: io.BytesIO(content)


def parse(name_or_bytes, fmt=None, **options):
    content = name_or_bytes if isinstance(name_or_bytes, bytes) else (SAMPLES / name_or_bytes).read_bytes()
    fmt = fmt or parsers.detect(opener(content))
    return fmt, list(parsers.read(fmt, opener(content), options))


def seconds(row):
    return row.seconds if row.start is None else int((row.end - row.start).total_seconds())


def good(rows):
    return [r for r in rows if isinstance(r, Row) and not r.skip]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_sample_gives_the_expected_entries_and_seconds(name):
    fmt, rows = parse(name)
    assert fmt == name.split("/")[0]
    entries = good(rows)
    assert len(entries) == EXPECTED[name]["entries"]
    assert sum(seconds(r) for r in entries) == EXPECTED[name]["sum_duration_seconds"]
    assert not [r for r in rows if isinstance(r, Problem)]
    assert sorted({r.client for r in entries} - {""}) == sorted(EXPECTED[name]["distinct_clients"])
    assert sorted({r.project for r in entries}) == sorted(EXPECTED[name]["distinct_projects"])


@pytest.mark.parametrize(
    ("name", "fmt", "entries", "total"),
    [
        ("toggl/toggl_time_entries_import_test_1.csv", "toggl", 2, 3601),
        ("toggl/toggl_time_entries_import_test_2.csv", "toggl", 1, 2),
        ("clockify/clockify_time_entries_import_test_1.csv", "clockify", 2, 3601),
        ("clockify/clockify_time_entries_import_test_2.csv", "clockify", 1, 1800),
        ("clockify/clockify_time_entries_import_test_4.csv", "clockify", 2, 3601),
        ("clockify/clockify_time_entries_import_test_5.csv", "clockify", 2, 3601),
        ("clockify/clockify_time_entries_import_test_6.csv", "clockify", 2, 3601),
        ("clockify/clockify_time_entries_import_test_7.csv", "clockify", 1, 3601),
        ("harvest/harvest_time_entries_import_test_1.csv", "harvest", 2, 72036),
        ("harvest/harvest-sample.csv", "harvest", 250, 1865952),
        ("harvest/harvest-example.csv", "harvest", 12, 129600),
        ("solidtime/generic_time_entries_import_test_1.csv", "solidtime", 2, 3601),
    ],
)
def test_the_upstream_fixtures_parse_too(name, fmt, entries, total):
    found, rows = parse(name)
    assert found == fmt
    assert len(good(rows)) == entries
    assert sum(seconds(r) for r in good(rows)) == total


def test_toggl_keeps_the_torture_description_and_reads_a_bom_header():
    _, rows = parse("toggl/toggl_time_entries_import_test_2.csv")
    assert rows[0].description.startswith('\\\\ 🔥 Special characters  """`!@#')
    assert rows[0].description.endswith("\\\\\\")
    _, rows = parse("toggl/toggl_time_entries_import_test_1.csv")
    assert rows[1].person == "Peter Tester" and rows[1].task == "Task 1" and rows[1].billable is True


def test_toggl_twelve_hour_times_are_read_as_the_afternoon():
    _, rows = parse("toggl/tuttle_test_time_tracking_toggl.csv")
    assert rows[0].start == datetime(2022, 1, 6, 10, 30, 34)
    assert rows[0].end == datetime(2022, 1, 6, 12, 30, 34)


def test_harvest_reads_multiline_notes_decimal_commas_and_short_years():
    _, rows = parse("harvest/sauce_harvest_2018-08.csv")
    assert rows[0].day == date(2018, 8, 14) and rows[0].seconds == 900
    assert any("\n" in r.description for r in rows)
    assert {r.person for r in rows} >= {"Phil Plückthun", "Jani Eväkallio"}
    _, rows = parse("harvest/harvest_time_entries_import_test_1.csv")
    assert [r.seconds for r in rows] == [72000, 36]
    assert rows[1].rate == 100 and rows[0].rate is None  # the first row is not billable


def test_clockify_breaks_are_skipped_and_invoiced_rows_say_where():
    _, rows = parse("clockify/clockify_time_entries_import_test_2.csv")
    assert rows[0].invoiced == "Clockify Invoice100" and rows[0].rate == 1000
    content = (
        (SAMPLES / "clockify/clockify_time_entries_import_test_2.csv")
        .read_bytes()
        .replace(b'"Regular"', b'"Break"')
    )
    _, rows = parse(content)
    assert rows[0].skip == "A break, not work."


def test_clockify_day_first_dates_are_inferred_and_impossible_ones_named():
    _, rows = parse("clockify/clockify_time_entries_import_test_3.csv")
    assert rows == [Problem(2, 'Start Date "13/15/2024" is not a date (read as YYYY-MM-DD or MM/DD/YYYY).')]
    content = (
        b'"Project","Client","Description","Task","User","Group","Email","Tags","Billable","Start Date","Start Time",'
        b'"End Date","End Time"\n'
        b'"P","C","","","Ann","","ann@x.test","","Yes","14/04/2023","9:00","14/04/2023","17:30"\n'
        b'"P","C","","","Ann","","ann@x.test","","Yes","03/04/2023","9:00","03/04/2023","10:00"\n'
    )
    _, rows = parse(content)
    assert rows[0].start == datetime(2023, 4, 14, 9, 0) and rows[1].start == datetime(2023, 4, 3, 9, 0)
    _, rows = parse(content, date_order="mdy")
    assert isinstance(rows[0], Problem) and rows[0].number == 2


KIMAI_CSV = (
    "Datum;Von;Bis;Dauer;Währung;Preis;Interner Preis;Preis pro Stunde;Festpreis;Name;Benutzer;E-Mail;"
    "Personalnummer;Kunde;Projekt;Tätigkeit;Beschreibung;Abrechenbar;Schlagworte;Typ;category\r\n"
    "2024-03-04;09:00;10:30;1:30;EUR;126;0;84;;Anna Müller;anna;anna@x.test;;Kunde A;Web;Entwicklung;"
    '"Zeile 1\nZeile 2";1;;timesheet;work\r\n'
    "2024-03-04;23:30;00:45;1:15;EUR;0;0;84;;Anna Müller;anna;anna@x.test;;Kunde A;Web;Support;;0;;timesheet;work\r\n"
)


def test_kimai_csv_in_german_with_semicolons_and_a_night_shift():
    fmt, rows = parse(KIMAI_CSV.encode())
    assert fmt == "kimai"
    assert (
        rows[0].client == "Kunde A"
        and rows[0].task == "Entwicklung"
        and rows[0].description == "Zeile 1\nZeile 2"
    )
    assert rows[0].rate == 84 and rows[0].billable is True
    assert rows[1].end == datetime(2024, 3, 5, 0, 45) and rows[1].rate is None


def test_kimai_from_and_to_at_the_same_minute_is_no_time_not_a_day():
    content = KIMAI_CSV.replace("2024-03-04;09:00;10:30;1:30", "2024-03-04;09:00;09:00;0:00")
    _, rows = parse(content.encode(), "kimai")
    assert rows[0].start == rows[0].end == datetime(2024, 3, 4, 9, 0)
    assert rows[1].end == datetime(2024, 3, 5, 0, 45)  # an earlier To is still the next day


def test_kimai_xlsx_is_read_from_its_cells():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        [
            "Date",
            "From",
            "To",
            "Duration",
            "User",
            "E-mail",
            "Customer",
            "Project",
            "Activity",
            "Description",
            "Billable",
        ]
    )
    sheet.append(
        [
            date(2024, 3, 4),
            time(9, 0),
            time(11, 15),
            "2:15",
            "anna",
            "anna@x.test",
            "Acme",
            "Web",
            "Dev",
            "Täglich",
            1,
        ]
    )
    sheet.append(["2024-03-05", "13:00", "", "", "anna", "anna@x.test", "Acme", "Web", "Dev", "running", 1])
    buffer = io.BytesIO()
    book.save(buffer)
    fmt, rows = parse(buffer.getvalue())
    assert fmt == "kimai_xlsx"
    assert rows[0].start == datetime(2024, 3, 4, 9, 0) and rows[0].end == datetime(2024, 3, 4, 11, 15)
    assert rows[1].skip


def solidtime_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in (SAMPLES / "solidtime/solidtime_import_test_1").iterdir():
            archive.write(path, f"export/{path.name}")
    return buffer.getvalue()


def test_the_solidtime_export_zip_links_members_projects_and_tasks():
    fmt, rows = parse(solidtime_zip())
    assert fmt == "solidtime_zip"
    entries = good(rows)
    assert len(entries) == 2
    worked = entries[1]
    assert (worked.person, worked.client, worked.project, worked.task) == (
        "Peter Tester",
        "Big Company",
        "Project for Big Company",
        "Task 1",
    )
    assert worked.source_id == "1c7a905d-aa12-4d08-bc41-7e92577e7cdf" and worked.start.tzinfo is not None


def test_toggl_json_reports_with_ids_and_offsets():
    content = json.dumps(
        {
            "data": [
                {
                    "id": 42,
                    "start": "2024-03-04T10:00:00+01:00",
                    "end": "2024-03-04T11:30:00+01:00",
                    "user": "Ann",
                    "client": "Acme",
                    "project": "Web",
                    "description": "Ship it",
                    "is_billable": True,
                },
                {"id": 43, "start": "2024-03-04T12:00:00+01:00", "end": None, "user": "Ann"},
                {"start": "2024-03-04T12:00:00+01:00"},
            ]
        }
    ).encode()
    fmt, rows = parse(content)
    assert fmt == "toggl_json"
    assert rows[0].source_id == "42" and seconds(rows[0]) == 5400 and rows[0].billable is True
    assert rows[1].skip and rows[2] == Problem(3, "This entry has no id.")


def test_the_generic_csv_reads_the_columns_it_is_told():
    content = b"When;Who;Length;What\n04.03.2024;Ann;1:30;Design\n05.03.2024;Ann;soon;Nothing\n"
    mapping = {"date": "When", "person": "Who", "duration": "Length", "description": "What"}
    _, rows = parse(content, "generic", mapping=mapping)
    assert rows[0].day == date(2024, 3, 4) and rows[0].seconds == 5400 and rows[0].person == "Ann"
    assert isinstance(rows[1], Problem) and rows[1].number == 3 and "soon" in rows[1].message
    with pytest.raises(FileError, match='no column "Nope"'):
        parse(content, "generic", mapping={**mapping, "task": "Nope"})


def test_a_file_of_another_kind_is_not_recognised():
    assert (
        parsers.detect(opener((SAMPLES / "harvest/harvest_clients_import_test_1.csv").read_bytes())) is None
    )
    assert parsers.detect(opener(b"")) is None
    with pytest.raises(FileError, match='it has no "Date", "First Name" or "Last Name" column'):
        parse(b"Project,Hours\nX,1\n", "harvest")


def test_windows_1252_files_are_read():
    content = "Date,Hours,First Name,Last Name,Notes\n2024-03-04,1,Jörg,Müller,Straße\n".encode("cp1252")
    _, rows = parse(content, "harvest")
    assert rows[0].person == "Jörg Müller" and rows[0].description == "Straße"
