"""A sync, from provider to time: fetch the connection's window, then write it as an import writes a file.

- claim: one SyncRun per connection at a time (a unique partial constraint), so a tick during "Sync now" or two
  workers never pull the same account twice at once;
- fetch: every row of the window is read before anything is written (a 30-day window is a bounded list), so a
  quota spent or a fault half-way leaves nothing half-written: the run is deferred (quota, throttling) or failed
  (credentials, a refusal), and the connection says why;
- write: `imports.pipeline` checks and commits the rows in one transaction, as it does a file's (write.py).
"""

import logging
import time

from django.db import IntegrityError, transaction
from django.utils import timezone

from timetracker.automation import hooks as automation_hooks
from timetracker.integrations import providers, secrets
from timetracker.integrations.http import Api, QuotaExhausted, SyncError
from timetracker.integrations.models import Connection, SyncRun
from timetracker.integrations.providers.base import Window

log = logging.getLogger(__name__)


class AlreadyRunning(Exception):
    """This connection has a run queued or under way."""


def window_of(connection, today=None):
    return Window.ending_today(connection.window_days, connection.time_zone, today=today)


def fetch(connection, window, *, sleep=time.sleep, tally=None, attempts=None):
    """The provider's entries of the window as import rows; `tally` (a SyncRun) counts the requests made,
    also when the fetch stops half-way."""
    module = providers.module(connection.provider)
    credentials = connection.credentials()
    base = connection.base_url or module.DEFAULT_BASE
    with Api(base, module.headers(connection, credentials), sleep=sleep, attempts=attempts) as api:
        try:
            return list(module.rows(api, connection, window))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            # Not the provider's API answering (a wrong address, a proxy's page) or a shape we do not know.
            raise SyncError(
                f"The answer from {base} could not be read as {connection.get_provider_display()}'s API "
                f"({error.__class__.__name__}: {str(error)[:120]}). Check the API address."
            ) from None
        finally:
            if tally is not None:
                tally.requests = api.requests


def claim(connection, *, trigger, by=None):
    """A queued run for the connection, or AlreadyRunning. A run queued or running for longer than any sync
    takes lost its worker (a deploy, a killed process): it is failed first, so the connection is not blocked
    for ever. Nothing of it was written (the write is one transaction)."""
    stale = timezone.now() - SyncRun.STALE_AFTER
    SyncRun.objects.filter(connection=connection, status__in=SyncRun.ACTIVE, created_at__lt=stale).update(
        status=SyncRun.Status.FAILED,
        finished_at=timezone.now(),
        message="Its worker stopped before it finished; nothing of it was written.",
    )
    try:
        with transaction.atomic():
            return SyncRun.objects.create(connection=connection, trigger=trigger, requested_by=by)
    except IntegrityError:
        raise AlreadyRunning(f"{connection.name} is already syncing.") from None


def run(sync_run, *, sleep=time.sleep, today=None):
    """Pull and write one run; always ends it as done, deferred or failed, and says why on the connection."""
    from timetracker.integrations import write  # the pipeline side; imported here to keep this module light

    connection = sync_run.connection
    window = window_of(connection, today=today)
    sync_run.status, sync_run.started_at = SyncRun.Status.RUNNING, timezone.now()
    sync_run.window_start, sync_run.window_end = window.first, window.last
    sync_run.save(update_fields=["status", "started_at", "window_start", "window_end"])
    try:
        rows = fetch(connection, window, sleep=sleep, tally=sync_run)
        write.apply(sync_run, rows, window)
    except QuotaExhausted as stop:
        _end(sync_run, SyncRun.Status.DEFERRED, str(stop), resume_at=stop.resume_at)
    except (SyncError, secrets.Unreadable, write.Refused) as stop:
        _end(sync_run, SyncRun.Status.FAILED, str(stop))
    except Exception:
        log.exception("Sync %s of connection %s failed", sync_run.pk, connection.pk)
        _end(
            sync_run,
            SyncRun.Status.FAILED,
            "An unexpected error stopped the sync; the server log has the details.",
        )
    else:
        _end(sync_run, SyncRun.Status.DONE, "")
    return sync_run


def _end(sync_run, status, message, resume_at=None):
    now = timezone.now()
    sync_run.status, sync_run.message, sync_run.finished_at, sync_run.resume_at = (
        status,
        message,
        now,
        resume_at,
    )
    connection = sync_run.connection
    fields = {"last_error": message}
    if status == SyncRun.Status.DONE:
        fields["last_success_at"] = now
    # A deferred run comes back when the provider allows it; the others at the connection's next turn.
    fields["next_sync_at"] = resume_at or connection.next_sync_after(now)
    with transaction.atomic():
        sync_run.save()
        Connection.objects.filter(pk=connection.pk).update(**fields)
        automation_hooks.sync_ended(sync_run)
    for name, value in fields.items():
        setattr(connection, name, value)
