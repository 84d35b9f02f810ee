"""`manage.py import_time` and the background import with its progress."""

import pytest
from django.core.management import CommandError, call_command

from tests.imports.conftest import SAMPLES, make_run, sample
from timetracker.imports import tasks
from timetracker.imports.models import ImportRun
from timetracker.tasks.models import TimeEntry

pytestmark = pytest.mark.django_db


def run_command(*args):
    from io import StringIO

    out = StringIO()
    call_command("import_time", *args, stdout=out)
    return out.getvalue()


def test_a_dry_run_prints_the_preview_and_writes_nothing(alice):
    out = run_command(
        "auto", str(SAMPLES / "harvest/sauce_harvest_2018-08.csv"), "--user", "alice", "--dry-run"
    )
    assert "18 rows: 18 new, 0 unchanged, 0 changed" in out
    assert "Creates: 1 clients, 1 projects, 2 tasks, 0 people" in out
    assert f"Joe Alterio: 1 row -> user #{alice.pk}" in out and "Brian Beck: 5 rows" in out
    assert not TimeEntry.objects.exists() and not ImportRun.objects.exists()


def test_the_command_imports_and_a_second_time_creates_nothing(alice):
    path = str(SAMPLES / "toggl/timba_toggl.csv")
    assert "Imported as run #" in run_command("toggl", path, "--user", "alice")
    assert TimeEntry.objects.count() == 11
    assert "0 created" in run_command("toggl", path, "--user", "alice")
    assert TimeEntry.objects.count() == 11


def test_the_command_refuses_bad_rows_and_staff(alice, bob, tmp_path):
    from tests.imports.test_pipeline import BAD

    bad = tmp_path / "bad.csv"
    bad.write_bytes(BAD)
    with pytest.raises(CommandError, match="2 rows cannot be imported"):
        run_command("toggl", str(bad), "--user", "alice")
    assert "Imported" in run_command("toggl", str(bad), "--user", "alice", "--skip-bad-rows")
    with pytest.raises(CommandError, match="not a Manager"):
        run_command("toggl", str(bad), "--user", "bob")


def test_the_generic_format_takes_its_columns_from_map(alice, tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("Day;Time;Who\n2026-03-02;1:30;Ann\n")
    out = run_command(
        "generic",
        str(path),
        "--user",
        "alice",
        "--map",
        "date=Day",
        "--map",
        "duration=Time",
        "--map",
        "person=Who",
    )
    assert "1 new" in out and TimeEntry.objects.get().duration_seconds == 5400


def test_a_big_file_is_queued_and_reports_progress(alice, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(tasks, "BACKGROUND_ROWS", 10)
    seen = []
    real = tasks.commit

    def watching(run):
        seen.append(ImportRun.objects.get(pk=run.pk).status)
        return real(run)

    monkeypatch.setattr(tasks, "commit", watching)
    run = make_run(alice, "harvest", sample("harvest/sauce_harvest_2018-08_to_10.csv"))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.run_import(run)
    run.refresh_from_db()
    assert seen == ["queued"]
    assert run.status == "done" and run.rows_done == 102 and TimeEntry.objects.count() == 102


def test_a_run_is_queued_once_however_often_it_is_confirmed(
    alice, monkeypatch, django_capture_on_commit_callbacks
):
    from timetracker.imports import pipeline

    monkeypatch.setattr(tasks, "BACKGROUND_ROWS", 10)
    run = make_run(alice, "harvest", sample("harvest/sauce_harvest_2018-08_to_10.csv"))
    stale = ImportRun.objects.get(pk=run.pk)  # the same run, loaded by a second confirmation
    with django_capture_on_commit_callbacks() as queued:
        tasks.run_import(run)
        with pytest.raises(pipeline.ImportRefused, match="already under way or finished"):
            tasks.run_import(stale)
    assert len(queued) == 1
    queued[0]()  # the worker
    assert ImportRun.objects.get(pk=run.pk).status == "done"
    history = TimeEntry.history.count()
    refused = pytest.raises(pipeline.ImportRefused, match="already under way or finished")
    with django_capture_on_commit_callbacks() as queued, refused:
        tasks.run_import(stale)  # a finished import is never queued again
    assert queued == [] and ImportRun.objects.get(pk=run.pk).status == "done"
    assert TimeEntry.objects.count() == 102 and TimeEntry.history.count() == history
