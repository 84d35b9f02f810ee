"""A run's life around the commit: undo in bulk, a preview racing a confirmation, a worker that died, and the
uploaded file (refused early when too big, deleted once nothing needs it)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.factories import TimeEntryFactory
from tests.imports.conftest import import_file, make_run, sample
from timetracker.imports import pipeline, undo, uploads
from timetracker.imports.commit import commit
from timetracker.imports.models import STALE_AFTER, ImportRun
from timetracker.tasks import totals
from timetracker.tasks.models import DayTotal, TaskTotal, TimeEntry

pytestmark = pytest.mark.django_db
LIST = reverse("imports:list")


# --- undo: one bulk removal through the write path ---------------------------------------------------------


def test_undo_removes_a_run_in_bulk_and_the_kept_totals_still_add_up(alice, django_assert_max_num_queries):
    first = import_file(alice, "harvest", sample("harvest/sauce_harvest_2018-08.csv"))
    # Time recorded here on a task and a day the next import also fills: its kept rows are shared.
    task = TimeEntry.objects.filter(user=alice).first().task
    mine = TimeEntryFactory(
        task=task, user=alice, started_at=TimeEntry.objects.order_by("started_at")[0].started_at
    )
    later = import_file(alice, "harvest", sample("harvest/sauce_harvest_2018-08_to_10.csv"))
    assert later.count("new") == 85 and TaskTotal.objects.exists() and DayTotal.objects.exists()
    history = TimeEntry.history.filter(history_type="-").count()

    # One by one, the 85 deletions took about ten queries each; in bulk the count does not grow with the run
    # (most of these are the two entries restored through entries.change).
    with django_assert_max_num_queries(100):
        undo.undo(later, by=alice)
    assert TimeEntry.objects.count() == 18 + 1 and TimeEntry.objects.filter(pk=mine.pk).exists()
    assert totals.compare() == []
    out = StringIO()
    call_command("check_totals", stdout=out)
    assert "agree" in out.getvalue()
    # Each deleted entry still leaves its history row, saying who took it away and why.
    deleted = TimeEntry.history.filter(history_type="-")
    assert deleted.count() == history + 85
    assert set(deleted.values_list("history_user", "history_change_reason")) == {
        (alice.pk, f"Undo of import #{later.pk}")
    }
    undo.undo(first, by=alice)
    assert list(TimeEntry.objects.all()) == [mine] and totals.compare() == []


def test_a_bulk_removal_is_refused_whole_when_any_entry_is_invoiced(alice):
    from timetracker.tasks import entries

    run = import_file(alice, "harvest", sample("harvest/sauce_harvest_2018-08.csv"))
    one = TimeEntry.objects.first()
    entries.set_billing([one], billed_elsewhere="INV-1", by=alice)
    with pytest.raises(entries.Locked):
        entries.remove_many(TimeEntry.objects.all(), by=alice)
    assert TimeEntry.objects.count() == 18 and totals.compare() == []
    assert run.status == ImportRun.Status.DONE


# --- the preview does not overwrite a confirmation --------------------------------------------------------


def test_a_preview_never_overwrites_a_run_confirmed_meanwhile(alice):
    run = make_run(alice, "toggl", sample("toggl/timba_toggl.csv"))
    assert run.status == ImportRun.Status.PREVIEW
    # Another request confirms it while this one re-checks it with a new choice.
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.QUEUED)
    run.options = {**run.options, "on_error": "skip"}
    pipeline.preview(run)
    stored = ImportRun.objects.get(pk=run.pk)
    assert stored.status == run.status == ImportRun.Status.QUEUED
    assert stored.options.get("on_error") == "refuse"  # the confirmed choices stand


def test_a_preview_saves_what_it_found_while_the_run_waits(alice):
    run = make_run(alice, "toggl", sample("toggl/timba_toggl.csv"))
    ImportRun.objects.filter(pk=run.pk).update(counts={}, message="kept")
    run.counts = {}
    pipeline.preview(run)
    stored = ImportRun.objects.get(pk=run.pk)
    assert stored.count("new") == 11 and stored.message == "kept" and stored.held["users"]


# --- a run whose worker died ------------------------------------------------------------------------------


def test_a_run_silent_for_too_long_shows_as_failed_and_can_be_tried_again(alice_client, alice):
    run = make_run(alice, "toggl", sample("toggl/timba_toggl.csv"))
    busy = make_run(alice, "toggl", sample("toggl/timba_toggl.csv"))
    long_ago = timezone.now() - STALE_AFTER - timedelta(minutes=1)
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.CHECKING, heartbeat_at=long_ago)
    ImportRun.objects.filter(pk=busy.pk).update(status=ImportRun.Status.CHECKING, heartbeat_at=timezone.now())
    queued = make_run(alice, "toggl", sample("toggl/timba_toggl.csv"))
    ImportRun.objects.filter(pk=queued.pk).update(status=ImportRun.Status.QUEUED, heartbeat_at=long_ago)

    page = alice_client.get(reverse("imports:detail", args=[run.pk])).content.decode()
    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED and "stopped without finishing" in run.message
    assert "Check the file again" in page
    # Still reporting, or waiting in the queue for a worker: left alone.
    assert ImportRun.objects.get(pk=busy.pk).status == ImportRun.Status.CHECKING
    assert ImportRun.objects.get(pk=queued.pk).status == ImportRun.Status.QUEUED

    alice_client.post(reverse("imports:retry", args=[run.pk]))
    run.refresh_from_db()
    assert (run.status, run.message, run.count("new")) == (ImportRun.Status.PREVIEW, "", 11)
    assert commit(run).status == ImportRun.Status.DONE and TimeEntry.objects.count() == 11


def test_a_worker_found_stale_meanwhile_writes_nothing(alice, monkeypatch):
    run = make_run(alice, "toggl", sample("toggl/timba_toggl.csv"))
    real = pipeline.find_missing

    def marked_stale_now(*args, **kwargs):
        ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.FAILED)
        return real(*args, **kwargs)

    monkeypatch.setattr("timetracker.imports.commit.find_missing", marked_stale_now)
    commit(run)
    assert run.status == ImportRun.Status.FAILED and "marked as stopped" in run.message
    assert not TimeEntry.objects.exists()


# --- the uploaded file ------------------------------------------------------------------------------------


def test_an_upload_over_the_limit_is_refused_before_its_body_is_read(alice_client, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UPLOAD", 1000)
    content = sample("toggl/timba_toggl.csv")
    assert len(content) > 1000
    read = []
    monkeypatch.setattr(
        "django.core.handlers.wsgi.WSGIRequest._load_post_and_files", lambda request: read.append(1)
    )
    response = alice_client.post(
        LIST, {"file": SimpleUploadedFile("big.csv", content), "time_zone": "UTC", "date_order": "auto"}
    )
    assert response.status_code == 413 and read == []
    assert "larger than" in response.content.decode() and not ImportRun.objects.exists()


def test_a_body_longer_than_it_said_is_stopped_as_it_streams_in(alice_client, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UPLOAD", 1000)
    monkeypatch.setattr(
        uploads, "declared_too_big", lambda request: False
    )  # a body that lied about its length
    response = alice_client.post(
        LIST,
        {"file": SimpleUploadedFile("big.csv", sample("toggl/timba_toggl.csv")), "time_zone": "UTC"},
    )
    assert response.status_code == 413 and "larger than" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_the_api_refuses_an_oversize_upload_early(alice, monkeypatch):
    from tests.api.conftest import client_for

    monkeypatch.setattr(uploads, "MAX_UPLOAD", 1000)
    api = client_for(alice)
    response = api.post(
        "/api/v1/imports",
        {"file": SimpleUploadedFile("big.csv", sample("toggl/timba_toggl.csv"))},
        format="multipart",
    )
    assert response.status_code == 413 and "larger than" in str(response.json())
    assert not ImportRun.objects.exists()


def test_the_upload_goes_once_the_run_is_undone_or_discarded(
    alice_client, alice, django_capture_on_commit_callbacks
):
    run = import_file(alice, "toggl", sample("toggl/timba_toggl.csv"))
    name = run.file.name
    assert default_storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        undo.undo(run, by=alice)
    run.refresh_from_db()
    assert not run.file and not default_storage.exists(name)

    waiting = make_run(alice, "toggl", sample("toggl/timba_toggl.csv"))
    name = waiting.file.name
    alice_client.post(reverse("imports:discard", args=[waiting.pk]))
    assert not ImportRun.objects.filter(pk=waiting.pk).exists() and not default_storage.exists(name)


def test_clean_imports_deletes_old_uploads_and_keeps_the_records(alice):
    old = import_file(alice, "toggl", sample("toggl/timba_toggl.csv"))
    fresh = make_run(alice, "toggl", sample("toggl/timba_toggl.csv"))
    forgotten = make_run(alice, "toggl", sample("toggl/timba_toggl.csv"))
    month_ago = timezone.now() - timedelta(days=31)
    ImportRun.objects.filter(pk__in=[old.pk, forgotten.pk]).update(created_at=month_ago)
    names = {run.pk: run.file.name for run in (old, fresh, forgotten)}
    out = StringIO()
    call_command("clean_imports", stdout=out)
    assert "Deleted 2 stored uploads" in out.getvalue()
    kept = {run.pk: run for run in ImportRun.objects.all()}
    assert (
        not kept[old.pk].file
        and kept[old.pk].status == ImportRun.Status.DONE
        and kept[old.pk].entries.exists()
    )
    assert kept[fresh.pk].file and default_storage.exists(names[fresh.pk])
    assert kept[forgotten.pk].status == ImportRun.Status.FAILED and not kept[forgotten.pk].retriable
    assert not default_storage.exists(names[old.pk]) and not default_storage.exists(names[forgotten.pk])


def test_the_one_tick_cleans_old_uploads(alice):
    """`run_schedules` (every minute) does what `clean_imports` does, so no cron line of its own is needed."""
    old = import_file(alice, "toggl", sample("toggl/timba_toggl.csv"))
    name = old.file.name
    ImportRun.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    out = StringIO()
    call_command("run_schedules", stdout=out)
    assert "1 deleted import upload(s)" in out.getvalue()
    old.refresh_from_db()
    assert not old.file and old.status == ImportRun.Status.DONE and not default_storage.exists(name)
