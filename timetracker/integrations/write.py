"""The write half of a sync: a connection's rows committed as an import, then what upstream deleted removed.

The rows become an ImportRun of source "<provider>_sync" (no file: its rows are handed in), committed by the
import pipeline (`imports.commit`): the same matching of names and people, stable external ids ("toggl:<id>",
so a Toggl export imported before is recognised), changes that skip invoiced time as conflicts, time billed
upstream marked billed elsewhere, one transaction, the same locks. Each sync's writes are listed, and can be
undone, like an import's.

Deleted upstream: an entry this connection brought in earlier, inside the window re-read and no longer listed,
is removed through the write path (in its own transaction, after the commit: the one lock order stays intact),
unless it is invoiced here, which is a conflict for a Manager to look at.
"""

from django.db import transaction

from timetracker.imports import commit
from timetracker.imports.models import SYNC_SUFFIX, ImportedEntry, ImportRun
from timetracker.imports.pipeline import imported
from timetracker.tasks import entries
from timetracker.tasks.models import TimeEntry

KEEP = 200  # conflicts and problems listed in full; the counts cover the rest
DELETED_HERE_INVOICED = "Deleted upstream, but invoiced here: left as it is."
NOTHING_LISTED = (
    "The provider listed no entries for days where {count} synced entries are: nothing was deleted. If they were "
    "deleted there, the next sync removes them once it lists anything again."
)


class Refused(Exception):
    """The rows could not be written; the message says why (nothing was)."""


def apply(sync_run, rows, window):
    connection = sync_run.connection
    run = ImportRun(
        source=connection.provider + SYNC_SUFFIX,
        file_name=f"{connection.get_provider_display()} sync: {connection.name}"[:200],
        file_hash="",
        created_by=connection.created_by,
        status=ImportRun.Status.QUEUED,
        options={
            "time_zone": connection.time_zone,
            "on_error": "skip",  # a bad entry upstream is listed; it does not hold back the others
            "unknown": str(connection.unknown_user_id or connection.created_by_id),
            "people": {key: str(value) for key, value in (connection.people or {}).items()},
        },
    )
    run.pulled = rows
    run.save()
    sync_run.import_run = run
    sync_run.save(update_fields=["import_run"])
    commit.commit(run)
    if run.status != ImportRun.Status.DONE:
        raise Refused(run.message or "The rows could not be written.")
    counts = {
        "new": run.count("new"),
        "updated": run.count("changed"),
        "unchanged": run.count("unchanged"),
        "conflicts": run.count("conflicts"),
        "skipped": run.count("skipped"),
        "errors": run.count("errors"),
        "deleted": 0,
    }
    conflicts = list(run.preview.get("conflicts", []))
    problems = [*run.errors, *run.preview.get("skipped", [])][:KEEP]
    seen = {ident for ident in run.entries.values_list("external_id", flat=True)}
    seen |= _listed_ids(connection, rows)
    gone, invoiced = _deleted_upstream(sync_run, window, seen)
    if gone and not rows:
        # An empty answer where there was time (a token that lost its rights, an outage answering 200) is no
        # reason to delete everything: held, and said.
        problems.insert(0, {"row": None, "message": NOTHING_LISTED.format(count=len(gone))})
        gone = []
    counts["deleted"], locked = _remove(gone, connection)
    invoiced += locked
    for pk in invoiced:
        counts["conflicts"] += 1
        if len(conflicts) < KEEP:
            conflicts.append(
                {"row": None, "fields": ["deleted"], "entry": pk, "reason": DELETED_HERE_INVOICED}
            )
    sync_run.counts, sync_run.conflicts, sync_run.problems = counts, conflicts[:KEEP], problems
    sync_run.save(update_fields=["counts", "conflicts", "problems"])


def _remove(ids, connection):
    """(removed, left because invoiced meanwhile): in one bulk removal through the write path, which locks
    first and refuses invoiced time; should one have been invoiced since they were read, one by one."""
    if not ids:
        return 0, []
    reason = f"Deleted in {connection}"
    try:
        with transaction.atomic():
            return entries.remove_many(
                TimeEntry.objects.filter(pk__in=ids), by=connection.created_by, reason=reason
            ), []
    except entries.Locked:
        removed, locked = 0, []
        for entry in TimeEntry.objects.filter(pk__in=ids):
            try:
                entries.remove(entry, by=connection.created_by)
                removed += 1
            except entries.Locked:
                locked.append(entry.pk)
            except entries.Gone:
                continue
        return removed, locked


def _listed_ids(connection, rows):
    """The external ids of every entry the provider listed, running and skipped ones included (a running timer
    is not a deleted entry)."""
    family = connection.provider
    return {f"{family}:{row.source_id}" for row in rows if getattr(row, "source_id", "")}


def _deleted_upstream(sync_run, window, seen):
    """(ids to remove, ids left because invoiced): entries earlier runs of this connection created, starting in
    the window, that the provider no longer lists."""
    connection = sync_run.connection
    # Only what this connection created since its account, workspace, people or token last changed: a
    # narrowed or switched connection does not list the others' time, which is no reason to delete it.
    earlier = ImportedEntry.objects.filter(
        run__sync_run__connection=connection,
        run__sync_run__created_at__gte=connection.scope_since,
        action=ImportedEntry.Action.CREATED,
    ).exclude(run=sync_run.import_run)
    candidates = imported(earlier.values("external_id")).filter(
        started_at__gte=window.start, started_at__lt=window.end
    )
    gone, invoiced = [], []
    for pk, ident, line, elsewhere in candidates.values_list(
        "pk", "external_id", "invoice_line", "billed_elsewhere"
    ):
        if ident in seen:
            continue
        (invoiced if line is not None or elsewhere else gone).append(pk)
    return gone, invoiced
