"""The pipeline against the real database: what a file creates, what a re-import does, and that a commit is
all of the file or nothing."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.factories import ClientFactory, UserFactory
from tests.imports.conftest import SAMPLES, import_file, make_run, sample
from timetracker.clients.models import Client, Project
from timetracker.imports import pipeline, undo
from timetracker.imports.commit import commit
from timetracker.imports.models import ImportedEntry, ImportRun
from timetracker.tasks import entries
from timetracker.tasks.choices import EntrySource, RateSource
from timetracker.tasks.models import Task, TaskTotal, TimeEntry

EXPECTED = json.loads((SAMPLES / "expected-totals.json").read_text())
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_sample_imports_its_entries_once(alice, name):
    fmt = name.split("/")[0]
    run = import_file(alice, fmt, sample(name), time_zone="UTC")
    expected = EXPECTED[name]
    assert run.status == ImportRun.Status.DONE, run.message
    assert run.count("new") == expected["entries"] == TimeEntry.objects.count()
    # Starts and ends are floored to whole minutes by the write path: each entry moves by less than a minute.
    stored = sum(TimeEntry.objects.values_list("duration_seconds", flat=True))
    assert abs(stored - expected["sum_duration_seconds"]) < 60 * expected["entries"]
    assert set(TimeEntry.objects.values_list("source", flat=True)) == {EntrySource.IMPORT}
    assert TaskTotal.objects.totals() == TimeEntry.objects.totals()
    assert ImportedEntry.objects.filter(run=run).count() == expected["entries"]

    again = import_file(alice, fmt, sample(name), time_zone="UTC")
    assert again.status == ImportRun.Status.DONE
    assert (again.count("new"), again.count("unchanged")) == (0, expected["entries"])
    assert TimeEntry.objects.count() == expected["entries"]


def test_a_later_harvest_export_updates_two_keeps_fifteen_and_reports_the_deleted_one(alice):
    import_file(alice, "harvest", sample("harvest/sauce_harvest_2018-08.csv"))
    deleted = TimeEntry.objects.get(description="", user=alice, duration_seconds=900)
    later = make_run(alice, "harvest", sample("harvest/sauce_harvest_2018-08_to_10.csv"))
    counts = later.counts
    assert (counts["changed"], counts["unchanged"], counts["missing"], counts["new"]) == (2, 15, 1, 85)
    assert later.preview["missing"][0]["entry"] == deleted.pk

    commit(later)
    assert later.status == ImportRun.Status.DONE
    assert TimeEntry.objects.count() == 18 + 85
    assert TimeEntry.objects.filter(pk=deleted.pk).exists()  # reported, not deleted
    changed = ImportedEntry.objects.filter(run=later, action="changed")
    assert changed.count() == 2
    for link in changed:
        entry = TimeEntry.objects.get(external_id=link.external_id)
        assert entry.description != link.before["description"]
        assert entry.history.first().history_change_reason.startswith(f"Import #{later.pk}")


def test_a_change_to_invoiced_time_is_a_conflict_and_leaves_it_alone(alice):
    import_file(alice, "harvest", sample("harvest/sauce_harvest_2018-08.csv"))
    run = make_run(alice, "harvest", sample("harvest/sauce_harvest_2018-08_to_10.csv"))
    first_change = TimeEntry.objects.get(external_id=_changed_ids(run)[0])
    entries.set_billing([first_change], billed_elsewhere="INV-7", by=alice)
    before = first_change.description

    run = commit(make_run(alice, "harvest", sample("harvest/sauce_harvest_2018-08_to_10.csv")))
    assert (run.count("changed"), run.count("conflicts")) == (1, 1)
    first_change.refresh_from_db()
    assert first_change.description == before


def _changed_ids(run):
    outcome, _ = pipeline.check(run)
    return [ident for _, _, ident, _ in outcome.changes]


BAD = (
    b"User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,Tags\n"
    b"Ann,ann@x.test,Acme,Web,,Good,Yes,2026-03-02,09:00:00,2026-03-02,10:00:00,01:00:00,\n"
    b"Ann,ann@x.test,Acme,Web,,Bad date,Yes,2026-02-30,09:00:00,2026-02-30,10:00:00,01:00:00,\n"
    b"Ann,ann@x.test,Acme,Web,,Backwards,Yes,2026-03-03,11:00:00,2026-03-03,10:00:00,01:00:00,\n"
    b"Ann,ann@x.test,Acme,Web,,Short,Yes,2026-03-03,12:00:10,2026-03-03,12:00:50,00:00:40,\n"
)


def test_a_file_with_bad_rows_is_refused_whole_by_default(alice):
    run = make_run(alice, "toggl", BAD)
    assert run.errors == [
        {"row": 3, "message": 'Start date "2026-02-30" is not a date (read as YYYY-MM-DD or MM/DD/YYYY).'},
        {"row": 4, "message": "It ends (2026-03-03 10:00) before it starts (2026-03-03 11:00)."},
    ]
    assert run.preview["skipped"] == [
        {"row": 5, "message": "Less than one minute of work once start and end are whole minutes."}
    ]
    assert "2 rows cannot be imported" in pipeline.refusal(run)
    commit(run)
    assert run.status == ImportRun.Status.FAILED and "2 rows cannot be imported" in run.message
    assert not TimeEntry.objects.exists() and not Client.objects.filter(name="Acme").exists()


def test_or_imported_without_its_bad_rows_when_asked(alice):
    run = commit(make_run(alice, "toggl", BAD, on_error="skip"))
    assert run.status == ImportRun.Status.DONE
    assert list(TimeEntry.objects.values_list("description", flat=True)) == ["Good"]
    assert (run.count("new"), run.count("errors"), run.count("skipped")) == (1, 2, 1)


def test_a_failure_while_writing_leaves_nothing_behind(alice, monkeypatch):
    def broken(items, **kwargs):
        list(items)
        raise entries.EntryError("The disk is full.")

    monkeypatch.setattr(entries, "record_many", broken)
    run = import_file(alice, "toggl", sample("toggl/timesheet2invoice_toggl.csv"))
    assert (run.status, run.message) == (ImportRun.Status.FAILED, "The disk is full.")
    assert not Client.objects.exists() and not Task.objects.exists() and not TimeEntry.objects.exists()


def test_people_match_by_email_or_name_and_the_rest_go_where_chosen(alice, bob):
    ann = UserFactory(username="ann", email="Ann@X.test", first_name="Ann", last_name="Lee", role="Staff")
    content = (
        b"User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,Tags\n"
        b"Ann,ann@x.test,Acme,Web,,a,Yes,2026-03-02,09:00:00,2026-03-02,10:00:00,01:00:00,\n"
        b"Bob Builder,bb@else.test,Acme,Web,,b,Yes,2026-03-02,09:00:00,2026-03-02,10:00:00,01:00:00,\n"
        b"Cy,cy@else.test,Acme,Web,,c,Yes,2026-03-02,09:00:00,2026-03-02,10:00:00,01:00:00,\n"
        b"Di,di@else.test,Acme,Web,,d,Yes,2026-03-02,09:00:00,2026-03-02,10:00:00,01:00:00,\n"
    )
    people = {"bb@else.test": str(bob.pk), "cy@else.test": "create"}
    run = make_run(alice, "toggl", content, people=people)
    assert run.preview["new_counts"]["people"] == 1
    commit(run)
    owners = dict(TimeEntry.objects.values_list("description", "user__username"))
    assert owners == {"a": "ann", "b": "bob", "c": "cy", "d": "alice"}
    cy = TimeEntry.objects.get(description="c").user
    assert not cy.is_active and cy.email == "cy@else.test" and not cy.has_role
    assert ann.time_entries.get().recorded_by == alice


def test_names_match_whatever_their_case_and_spaces(alice):
    acme = ClientFactory(name="acme  CORP")
    run = import_file(alice, "toggl", sample("toggl/timesheet2invoice_toggl.csv"))
    assert run.preview["new_counts"]["clients"] == 0
    assert set(Task.objects.values_list("client", flat=True)) == {acme.pk}
    assert set(Project.objects.values_list("name", flat=True)) == {
        "API Integration",
        "Code Review",
        "Dashboard",
    }


def test_local_times_are_read_in_the_chosen_time_zone(alice):
    import_file(alice, "toggl", sample("toggl/timesheet2invoice_toggl.csv"), time_zone="Europe/Amsterdam")
    first = TimeEntry.objects.order_by("started_at").first()
    assert first.started_at == datetime(2026, 9, 2, 7, 0, tzinfo=UTC)  # 09:00 in summer time


def test_a_time_the_clocks_skip_is_a_bad_row(alice):
    content = BAD.split(b"\n")[0] + (
        b"\nAnn,ann@x.test,Acme,Web,,Gap,Yes,2026-03-29,02:30:00,2026-03-29,04:00:00,01:30:00,\n"
    )
    run = make_run(alice, "toggl", content, time_zone="Europe/Amsterdam")
    assert run.errors == [
        {
            "row": 2,
            "message": "02:30 does not exist on Sun 29 Mar 2026 in Europe/Amsterdam: the clocks jump from 02:00 to 03:00.",
        }
    ]


def test_rates_and_billable_flags_come_from_the_file_where_it_has_them(alice):
    import_file(alice, "clockify", sample("clockify/timesheet2invoice_clockify.csv"))
    billable = TimeEntry.objects.filter(billable=True).first()
    assert (billable.hourly_rate, billable.rate_source) == (Decimal("100.00"), RateSource.ENTRY)
    assert billable.amount == (billable.hourly_rate * billable.rounded_seconds / 3600).quantize(
        Decimal("0.01")
    )
    assert TimeEntry.objects.filter(billable=False).get().rate_source != RateSource.ENTRY


def test_time_invoiced_in_the_source_is_marked_billed_elsewhere(alice):
    import_file(alice, "clockify", sample("clockify/clockify_time_entries_import_test_2.csv"))
    assert TimeEntry.objects.get().billed_elsewhere == "Clockify Invoice100"


def test_undo_takes_back_what_a_run_created_and_changed(alice):
    first = import_file(alice, "harvest", sample("harvest/sauce_harvest_2018-08.csv"))
    descriptions = dict(TimeEntry.objects.values_list("pk", "description"))
    second = import_file(alice, "harvest", sample("harvest/sauce_harvest_2018-08_to_10.csv"))
    with pytest.raises(pipeline.ImportRefused, match=f"Import #{second.pk} changed"):
        undo.undo(first, by=alice)
    undo.undo(second, by=alice)
    assert dict(TimeEntry.objects.values_list("pk", "description")) == descriptions
    assert second.status == ImportRun.Status.UNDONE and second.undone_by == alice
    undo.undo(first, by=alice)
    assert not TimeEntry.objects.exists()
    assert TaskTotal.objects.totals()["duration"] == 0


def test_undo_is_refused_once_time_is_invoiced(alice):
    run = import_file(alice, "toggl", sample("toggl/timba_toggl.csv"))
    entries.set_billing([TimeEntry.objects.first()], billed_elsewhere="INV-1", by=alice)
    with pytest.raises(pipeline.ImportRefused, match="invoiced"):
        undo.undo(run, by=alice)
    assert TimeEntry.objects.count() == 11


def test_a_person_created_by_an_earlier_import_takes_their_later_time(alice):
    first = (
        "User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,Tags\n"
        "Cy,cy@else.test,Acme,Web,,c,Yes,2026-03-02,09:00:00,2026-03-02,10:00:00,01:00:00,\n"
    )
    commit(make_run(alice, "toggl", first.encode(), people={"cy@else.test": "create"}))
    later = first + "Cy,cy@else.test,Acme,Web,,d,Yes,2026-03-03,09:00:00,2026-03-03,10:00:00,01:00:00,\n"
    run = commit(make_run(alice, "toggl", later.encode()))
    assert (run.count("new"), run.count("unchanged")) == (1, 1)
    assert set(TimeEntry.objects.values_list("user__username", flat=True)) == {"cy"}


def test_undo_takes_back_time_the_import_marked_as_invoiced_in_the_source(alice):
    run = import_file(alice, "clockify", sample("clockify/clockify_time_entries_import_test_2.csv"))
    assert TimeEntry.objects.get().is_invoiced
    undo.undo(run, by=alice)
    assert not TimeEntry.objects.exists()


# --- review fixes -----------------------------------------------------------------------------------------------

ID_COLUMNS = {
    "id": "ID",
    "start": "Start",
    "end": "End",
    "person": "Person",
    "client": "Client",
    "description": "Description",
}


def generic_file(*lines):
    return ("ID,Start,End,Person,Client,Description\n" + "\n".join(lines) + "\n").encode()


def test_ids_from_another_file_never_overwrite_other_peoples_entries(alice, bob):
    first = generic_file(
        "1,2026-03-02 09:00,2026-03-02 10:00,Ann,Acme,Design",
        "2,2026-03-02 10:00,2026-03-02 11:00,Ann,Acme,Build",
    )
    import_file(alice, "generic", first, time_zone="UTC", mapping=ID_COLUMNS)
    before = set(TimeEntry.objects.values_list("pk", "user", "task", "description", "started_at", "ended_at"))
    # Another tool's export, numbered 1..N as well: Bo's time (Bo is Bob here), and time for another client.
    other = generic_file(
        "1,2026-03-02 09:00,2026-03-02 10:00,Bo,Acme,Bo's notes",
        "2,2026-04-01 13:00,2026-04-01 15:00,Ann,Other Co,Another client",
    )
    run = make_run(alice, "generic", other, time_zone="UTC", mapping=ID_COLUMNS, people={"bo": str(bob.pk)})
    assert (run.count("changed"), run.count("conflicts"), run.count("new")) == (0, 2, 0)
    conflicts = run.preview["conflicts"]
    assert [c["fields"][0] for c in conflicts] == ["user", "task"]
    assert {c["reason"] for c in conflicts} == {pipeline.OTHER_ENTRY}
    commit(run)
    assert run.status == ImportRun.Status.DONE
    assert (
        set(TimeEntry.objects.values_list("pk", "user", "task", "description", "started_at", "ended_at"))
        == before
    )


def test_a_later_export_moves_an_entry_whose_start_changed(alice):
    first = import_file(
        alice,
        "generic",
        generic_file("7,2026-03-02 09:00,2026-03-02 10:00,Ann,Acme,Design"),
        time_zone="UTC",
        mapping=ID_COLUMNS,
    )
    later = make_run(
        alice,
        "generic",
        generic_file("7,2026-03-02 09:15:30,2026-03-02 10:00,Ann,Acme,Design"),
        time_zone="UTC",
        mapping=ID_COLUMNS,
    )
    assert (later.count("changed"), later.count("unchanged")) == (1, 0)
    commit(later)
    entry = TimeEntry.objects.get()
    assert entry.started_at == datetime(2026, 3, 2, 9, 15, tzinfo=UTC)  # floored to the minute
    assert entry.duration_seconds == 45 * 60
    assert TaskTotal.objects.totals() == TimeEntry.objects.totals()
    undo.undo(later, by=alice)
    entry.refresh_from_db()
    assert (entry.started_at, entry.duration_seconds) == (datetime(2026, 3, 2, 9, 0, tzinfo=UTC), 3600)
    assert first.status == ImportRun.Status.DONE


def test_a_re_import_read_in_another_time_zone_finds_the_same_entries(alice):
    content = sample("toggl/timba_toggl.csv")
    import_file(alice, "toggl", content, time_zone="Europe/Amsterdam")
    stored = set(TimeEntry.objects.values_list("pk", "started_at", "ended_at", "description"))
    again = import_file(alice, "toggl", content, time_zone="America/New_York")
    assert again.status == ImportRun.Status.DONE, again.message
    counts = again.counts
    assert (counts["new"], counts["unchanged"], counts["changed"], counts["missing"]) == (0, 11, 0, 0)
    assert set(TimeEntry.objects.values_list("pk", "started_at", "ended_at", "description")) == stored


def test_a_file_whose_times_carry_an_offset_keeps_ids_by_the_moment():
    from datetime import timedelta, timezone

    from timetracker.imports import rows
    from timetracker.imports.parsers.base import Row

    plus_two = datetime(2026, 3, 2, 11, 0, tzinfo=timezone(timedelta(hours=2)))
    in_utc = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    ids = {
        rows.external_id("solidtime", Row(2, person="Ann", start=moment, seconds=60), moment, {}, {})
        for moment in (plus_two, in_utc)
    }
    assert len(ids) == 1
    naive = Row(2, person="Ann", start=datetime(2026, 3, 2, 9, 0), seconds=60)
    # A naive start hashes the file's own wall clock, whatever moment the chosen time zone made of it.
    read_in_utc, read_in_paris = in_utc, datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert rows.external_id("toggl", naive, read_in_utc, {}, {}) == rows.external_id(
        "toggl", naive, read_in_paris, {}, {}
    )


KIMAI = (
    "Date,From,To,Duration,User,E-mail,Customer,Project,Activity,Description,Billable\n"
    "2024-03-04,09:00,09:00,0:00,anna,anna@x.test,Acme,Web,Dev,Nothing,1\n"
    "2024-03-04,10:00,11:00,1:00,anna,anna@x.test,Acme,Web,Dev,Work,1\n"
)


def test_a_kimai_row_from_and_to_the_same_minute_is_skipped_not_a_whole_day(alice):
    run = make_run(alice, "kimai", KIMAI.encode(), time_zone="UTC")
    assert (run.count("new"), run.count("skipped"), run.count("errors")) == (1, 1, 0)
    assert run.preview["skipped"] == [
        {"row": 2, "message": "Less than one minute of work once start and end are whole minutes."}
    ]
    commit(run)
    assert list(TimeEntry.objects.values_list("description", "duration_seconds")) == [("Work", 3600)]


def test_time_invoiced_upstream_since_the_first_import_is_marked_billed_elsewhere(alice):
    invoiced = sample("clockify/clockify_time_entries_import_test_2.csv")
    not_yet = invoiced.replace(b'"Yes","Yes","Invoice100"', b'"Yes","No",""')
    assert not_yet != invoiced
    first = import_file(alice, "clockify", not_yet)
    assert TimeEntry.objects.get().billed_elsewhere == ""

    later = import_file(alice, "clockify", invoiced)
    assert (later.count("changed"), later.count("unchanged")) == (1, 0)
    entry = TimeEntry.objects.get()
    assert entry.billed_elsewhere == "Clockify Invoice100"
    assert TaskTotal.objects.totals() == TimeEntry.objects.totals()
    link = ImportedEntry.objects.get(run=later)
    assert (link.action, link.before) == ("changed", {"billed_elsewhere": "Clockify Invoice100"})
    # Once marked, it is not marked again.
    assert import_file(alice, "clockify", invoiced).count("unchanged") == 1

    # Undo takes back the mark, and then the import that created it.
    undo.undo(later, by=alice)
    entry.refresh_from_db()
    assert entry.billed_elsewhere == ""
    undo.undo(first, by=alice)
    assert not TimeEntry.objects.exists()


def test_invoiced_upstream_but_on_an_invoice_here_is_left_alone(alice):
    invoiced = sample("clockify/clockify_time_entries_import_test_2.csv")
    import_file(alice, "clockify", invoiced.replace(b'"Yes","Yes","Invoice100"', b'"Yes","No",""'))
    entries.set_billing([TimeEntry.objects.get()], billed_elsewhere="Our INV-1", by=alice)
    later = import_file(alice, "clockify", invoiced)
    assert later.count("unchanged") == 1
    assert TimeEntry.objects.get().billed_elsewhere == "Our INV-1"


def test_a_second_undo_of_the_same_run_is_refused(alice):
    run = import_file(alice, "harvest", sample("harvest/sauce_harvest_2018-08.csv"))
    later = import_file(alice, "harvest", sample("harvest/sauce_harvest_2018-08_to_10.csv"))
    stale = ImportRun.objects.get(pk=later.pk)  # a second click, from a page loaded before the first undo
    undo.undo(later, by=alice)
    undone_at = ImportRun.objects.get(pk=later.pk).undone_at
    history = TimeEntry.history.count()
    with pytest.raises(pipeline.ImportRefused, match="Only a finished import can be undone"):
        undo.undo(stale, by=alice)
    assert ImportRun.objects.get(pk=later.pk).undone_at == undone_at
    assert TimeEntry.history.count() == history
    assert run.status == ImportRun.Status.DONE


def test_ids_handed_in_as_one_value_find_what_the_orm_lookup_finds(alice):
    """The chunk lookup passes its ids as one array (PostgreSQL) or JSON list (SQLite): quotes, commas, braces
    and non-ASCII in an id must match as they are, and ids of entries made some other way must not."""
    run = import_file(alice, "toggl", sample("toggl/timba_toggl.csv"))
    assert run.status == "done", run.message
    ours = list(TimeEntry.objects.filter(source=EntrySource.IMPORT).values_list("external_id", flat=True))
    odd = ['toggl:a"b', "toggl:{c,d}", "toggl:é\\f", "toggl:x'y", ""]
    asked = ours[:3] + odd
    found = sorted(pipeline.imported_among(asked).values_list("external_id", flat=True))
    assert found == sorted(pipeline.imported(asked).values_list("external_id", flat=True)) == sorted(ours[:3])
