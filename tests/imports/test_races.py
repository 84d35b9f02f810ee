"""Imports racing each other on PostgreSQL, with real threads: never a duplicate, never half a file."""

import pytest

from tests.concurrency import run_together
from tests.imports.conftest import import_file, make_run, sample
from timetracker.clients.models import Client
from timetracker.imports import undo
from timetracker.imports.commit import commit
from timetracker.imports.models import ImportRun
from timetracker.tasks.models import TimeEntry

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_file_imported_twice_at_once_lands_once(alice):
    content = sample("harvest/sauce_harvest_2018-08.csv")
    runs = [make_run(alice, "harvest", content) for _ in range(2)]
    results = run_together(2, lambda i: commit(ImportRun.objects.get(pk=runs[i].pk)))
    statuses = sorted(result.status for result in results)
    assert TimeEntry.objects.count() == 18
    assert Client.objects.filter(name="Formidable").count() == 1
    if statuses == ["done", "done"]:  # the second checked after the first had committed
        assert sorted(result.count("new") for result in results) == [0, 18]
    else:
        assert statuses == ["done", "failed"]
        failed = next(result for result in results if result.status == "failed")
        assert failed.message.startswith("Another import wrote some of these entries meanwhile")


def test_a_run_confirmed_twice_at_once_is_committed_once(alice):
    run = make_run(alice, "toggl", sample("toggl/timba_toggl.csv"))
    results = run_together(2, lambda i: commit(ImportRun.objects.get(pk=run.pk)))
    kinds = sorted(type(result).__name__ for result in results)
    assert kinds == ["ImportRefused", "ImportRun"]
    assert TimeEntry.objects.count() == 11


def test_a_run_undone_twice_at_once_is_undone_once(alice):
    import_file(alice, "harvest", sample("harvest/sauce_harvest_2018-08.csv"))
    later = import_file(alice, "harvest", sample("harvest/sauce_harvest_2018-08_to_10.csv"))
    history = TimeEntry.history.count()
    results = run_together(2, lambda i: undo.undo(ImportRun.objects.get(pk=later.pk), by=alice))
    kinds = sorted(type(result).__name__ for result in results)
    assert kinds == ["ImportRefused", "ImportRun"]
    assert TimeEntry.objects.count() == 18
    # 85 entries deleted and 2 restored, each with one history row: nothing undone twice.
    assert TimeEntry.history.count() == history + 85 + 2
