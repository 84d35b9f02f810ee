"""Big files import in the background (django-tasks; the ImmediateBackend of development runs them at once).
The commit reports its progress and a heartbeat on the run's row as it goes (commit.Heartbeat); the run's page
polls them."""

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from timetracker.imports import pipeline
from timetracker.imports.commit import commit
from timetracker.imports.models import ImportRun

# Below this many rows the import runs in the request: quicker than a round trip through the queue.
BACKGROUND_ROWS = 5000


@task
def commit_run(run_id):
    run = ImportRun.objects.get(pk=run_id)
    if run.status != ImportRun.Status.QUEUED:
        return run.status  # already taken by another worker, or found stale meanwhile
    return commit(run).status


def run_import(run):
    """Commit now when the file is small, else queue it; either way the run's page shows the outcome. A run
    that is no longer waiting for confirmation is refused (pipeline.ImportRefused)."""
    if run.rows_total < BACKGROUND_ROWS:
        return commit(run)
    # Claimed by one atomic update, as commit() claims it: a second confirmation (a double click, a stale page,
    # the API) finds it taken instead of queueing the file again, or queueing a finished import anew.
    waiting = ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.PREVIEW)
    if not waiting.update(status=ImportRun.Status.QUEUED, rows_done=0, heartbeat_at=timezone.now()):
        raise pipeline.ImportRefused("This import is already under way or finished.")
    run.status, run.rows_done = ImportRun.Status.QUEUED, 0
    transaction.on_commit(lambda: commit_run.enqueue(run.pk))
    return run
