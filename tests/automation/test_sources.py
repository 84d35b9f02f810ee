"""Syncs and imports record their events: a sync finished or failed, an import finished (once each)."""

from datetime import UTC, datetime

import pytest

from tests.integrations.fakes import Toggl
from timetracker.automation import hooks
from timetracker.automation.models import Event, EventType
from timetracker.imports.models import ImportRun
from timetracker.integrations import sync
from timetracker.integrations.models import Connection, SyncRun

pytestmark = pytest.mark.django_db


def _sync(connection):
    return sync.run(sync.claim(connection, trigger=SyncRun.Trigger.COMMAND), sleep=[].append)


def test_a_sync_run_records_finished_and_a_refused_one_failed(httpserver, dana):
    fake = Toggl(entries=[Toggl.entry(101, datetime(2026, 11, 3, 8, tzinfo=UTC), 3600)]).install(httpserver)
    connection = Connection(
        provider="toggl", name="Studio Toggl", base_url=httpserver.url_for("/"), created_by=dana
    )
    connection.set_credentials(token=fake.token)
    connection.save()

    done = _sync(connection)
    assert done.status == SyncRun.Status.DONE
    finished = Event.objects.get(type=EventType.SYNC_FINISHED)
    assert finished.dedupe_key == f"sync.finished:{done.pk}"
    assert finished.payload["connection"] == "Studio Toggl" and finished.payload["counts"]["new"] == 1
    # The sync wrote through the import pipeline: that is not also an "import finished".
    assert not Event.objects.filter(type=EventType.IMPORT_FINISHED).exists()

    connection.set_credentials(token="tgl-not-the-right-one-0000")
    connection.save()
    failed = _sync(connection)
    assert failed.status == SyncRun.Status.FAILED
    event = Event.objects.get(type=EventType.SYNC_FAILED)
    assert event.payload["message"] == failed.message != ""


def test_an_import_finished_is_recorded_once(dana):
    run = ImportRun.objects.create(
        source="toggl",
        file_name="november.csv",
        file_hash="0" * 64,
        created_by=dana,
        status=ImportRun.Status.DONE,
        rows_done=12,
        counts={"new": 12},
    )
    hooks.import_finished(run)
    hooks.import_finished(run)  # a retried commit, or a second worker
    event = Event.objects.get(type=EventType.IMPORT_FINISHED)
    assert event.actor == dana
    assert event.payload == {
        "import": run.pk,
        "source": "toggl",
        "file_name": "november.csv",
        "rows": 12,
        "counts": {"new": 12},
    }
