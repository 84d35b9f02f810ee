"""Syncs and imports record their events: a sync finished or failed, an import finished (once each)."""

from datetime import UTC, datetime

import pytest

from tests.imports.conftest import make_run
from tests.integrations.fakes import Toggl
from timetracker.automation.models import Event, EventType
from timetracker.imports.commit import commit
from timetracker.imports.models import SYNC_SUFFIX, ImportRun
from timetracker.imports.pipeline import ImportRefused
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
    # The sync wrote through the import pipeline, which records "import finished" for an import (the test
    # below): a sync's run is not also one.
    assert ImportRun.objects.filter(source__endswith=SYNC_SUFFIX, status=ImportRun.Status.DONE).count() == 1
    assert not Event.objects.filter(type=EventType.IMPORT_FINISHED).exists()

    connection.set_credentials(token="tgl-not-the-right-one-0000")
    connection.save()
    failed = _sync(connection)
    assert failed.status == SyncRun.Status.FAILED
    event = Event.objects.get(type=EventType.SYNC_FAILED)
    assert event.payload["message"] == failed.message != ""


TOGGL_CSV = (
    b"User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,Tags\n"
    b"Dana,dana@x.test,Acme,Web,,design,Yes,2026-03-02,09:00:00,2026-03-02,10:00:00,01:00:00,\n"
    b"Dana,dana@x.test,Acme,Web,,build,Yes,2026-03-03,09:00:00,2026-03-03,11:30:00,02:30:00,\n"
)


def test_an_import_through_the_pipeline_records_import_finished_once(dana, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    run = make_run(dana, "toggl", TOGGL_CSV, name="march.csv", time_zone="UTC")
    commit(run)
    assert run.status == ImportRun.Status.DONE, run.message
    event = Event.objects.get(type=EventType.IMPORT_FINISHED)
    assert event.dedupe_key == f"import.finished:{run.pk}" and event.actor == dana
    assert event.payload == {
        "import": run.pk,
        "source": "toggl",
        "file_name": "march.csv",
        "rows": run.rows_done,
        "counts": run.counts,
    }
    assert run.counts["new"] == 2
    # A second confirmation of the same run (a double click, another worker) is refused and records nothing.
    with pytest.raises(ImportRefused):
        commit(run)
    assert Event.objects.filter(type=EventType.IMPORT_FINISHED).count() == 1
