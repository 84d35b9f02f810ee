"""Syncs run in the background worker (django-tasks; the ImmediateBackend of development runs them at once).
`queue_due` is the tick: `manage.py run_schedules` calls it every minute, beside the report e-mails."""

from django.db import transaction
from django.tasks import task

from timetracker.integrations import sync
from timetracker.integrations.models import Connection, SyncRun


@task
def sync_connection(run_id):
    sync_run = SyncRun.objects.select_related("connection").get(pk=run_id)
    if sync_run.status != SyncRun.Status.QUEUED:
        return sync_run.status  # already taken by another worker
    return sync.run(sync_run).status


def sync_now(connection, *, trigger=SyncRun.Trigger.MANUAL, by=None):
    """Queue a run of the connection (sync.AlreadyRunning when one is queued or under way)."""
    sync_run = sync.claim(connection, trigger=trigger, by=by)
    transaction.on_commit(lambda: sync_connection.enqueue(sync_run.pk))
    return sync_run


def queue_due(now=None):
    """Queue a run of every enabled connection whose turn has come (deferred ones at their resume time)."""
    queued = 0
    for connection in Connection.objects.due(now):
        try:
            sync_now(connection, trigger=SyncRun.Trigger.SCHEDULE)
        except sync.AlreadyRunning:
            continue
        queued += 1
    return queued
