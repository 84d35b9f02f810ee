"""The commit: a confirmed run's file written as time, in one transaction, all of it or nothing.

One walk over the file does it all: each chunk of rows is checked against the database again (it may have
moved on since the preview) and its new rows go straight on to the write path's bulk load
(`entries.record_many`), so a big file is read and parsed once, and memory holds a chunk, not the file. The
rows that change an entry (few) are applied after, one by one through `entries.change`.

Locks, in the one order: the people and tasks the preview found the rows going to, then (as the write path
takes them) the entries changed. A row that goes to a person or task the preview did not see (renamed or
created since) has not been locked in that order: the walk stops, everything is rolled back, and the file is
checked again for the full list before a second attempt.
"""

import json
from datetime import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.models import Max
from django.utils import timezone

from timetracker.automation import hooks as automation_hooks
from timetracker.imports import mapping
from timetracker.imports.models import ImportedEntry, ImportRun
from timetracker.imports.parsers.base import FileError
from timetracker.imports.pipeline import (
    ImportRefused,
    Outcome,
    _store,
    bad_rows,
    check,
    classify,
    find_missing,
    imported,
    quiet_gc,
)
from timetracker.lib.bulk import insert_rows
from timetracker.tasks import entries
from timetracker.tasks.choices import EntrySource
from timetracker.tasks.locks import lock, lock_entries
from timetracker.tasks.models import Task, TimeEntry

LINK_BATCH = 5000  # ImportedEntry rows written at once
TAKEN = "This import is already under way or finished."
MOVED = (
    "The people or tasks of this file changed while it was being imported. Nothing was written; "
    "check it again and confirm."
)


class Unheld(Exception):
    """A row goes to an existing person or task that was not locked first."""


def commit(run):
    """Write a confirmed run's file. Returns the run, DONE or FAILED with a message; nothing is half-written."""
    # Claimed by one atomic update: a second confirmation (a double click, another worker) finds it taken.
    waiting = (ImportRun.Status.PREVIEW, ImportRun.Status.QUEUED)
    claimed = ImportRun.objects.filter(pk=run.pk, status__in=waiting)
    if not claimed.update(status=ImportRun.Status.CHECKING, rows_done=0, heartbeat_at=timezone.now()):
        raise ImportRefused(TAKEN)
    run.status, run.rows_done = ImportRun.Status.CHECKING, 0
    beat = Heartbeat(run)
    try:
        try:
            _write(run, run.held or _held(run, beat), beat)
        except Unheld:
            _write(run, _held(run, beat), beat)
    except Unheld:
        _fail(run, MOVED)
    except (ImportRefused, FileError, entries.EntryError) as error:
        _fail(run, str(error))
    except IntegrityError:
        _fail(
            run, "Another import wrote some of these entries meanwhile. Import the file again: it skips them."
        )
    except Exception:
        # Nothing was written (the transaction rolled back); the run must not look busy for ever.
        _fail(run, "The import stopped on an unexpected error, which has been logged. Nothing was written.")
        raise
    finally:
        beat.close()
    return run


def _held(run, beat):
    """The existing people and tasks the file's rows go to now: a read-only walk (a run previewed before the
    preview kept them, or a second attempt)."""
    _, directory = check(run, progress=beat.rows)
    return {"users": sorted(directory.existing_users()), "tasks": sorted(directory.used_tasks)}


def _fail(run, message):
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.FAILED, message=message)
    run.refresh_from_db()


def _write(run, held, beat):
    by = run.created_by
    directory = mapping.Directory(by=by, people=run.options.get("people"), unknown=run.options.get("unknown"))
    outcome = Outcome()
    writer = Writer(run, directory, users={by.pk, *held["users"]}, tasks=set(held["tasks"]))
    with quiet_gc(), transaction.atomic():
        lock(users=writer.users, tasks=writer.tasks)
        before = TimeEntry.objects.aggregate(last=Max("pk"))["last"] or 0
        # Every task the rows go to is locked above or created by this import: the totals move per batch.
        entries.record_many(writer.work(classify(run, directory, outcome, beat.rows)), locked=True)
        if outcome.counts["errors"] and run.options.get("on_error") != "skip":
            raise ImportRefused(bad_rows(outcome.counts["errors"]))
        beat.rows(outcome.rows)
        writer.link_created()
        _apply_changes(run, outcome, writer)
        _billed_elsewhere(writer.invoiced, by)
        find_missing(run, outcome, directory, before=before)
        _store(run, outcome, directory)
        run.rows_done, run.finished_at = outcome.rows, timezone.now()
        # Only a run still at work is finished: one found stale meanwhile (and perhaps retried) is not.
        finished = ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.CHECKING).update(
            status=ImportRun.Status.DONE,
            **{
                name: getattr(run, name)
                for name in ("counts", "rows_total", "rows_done", "errors", "preview", "held", "finished_at")
            },
            heartbeat_at=run.finished_at,
        )
        if not finished:
            raise ImportRefused("This import was marked as stopped meanwhile, so nothing of it was written.")
        run.status = ImportRun.Status.DONE
        automation_hooks.import_finished(run)  # the event, in the same transaction as the time


class Writer:
    """The new rows as the write path's `Work`, with the names the file brings created as they first come up,
    and an ImportedEntry link for each (written a batch at a time)."""

    def __init__(self, run, directory, *, users, tasks):
        self.run, self.directory, self.by = run, directory, run.created_by
        self.users, self.tasks = users, tasks  # the existing ones, locked
        self.task_objects, self.user_objects = {}, {}
        self.created, self.invoiced = [], {}  # (external id, row, reference); reference -> external ids

    def work(self, new_rows):
        directory, created, by, invoiced = self.directory, self.created, self.by, self.invoiced
        made, task_objects, user_objects = directory.created, self.task_objects, self.user_objects
        Work, IMPORT = entries.Work, EntrySource.IMPORT
        for row, start, end, ident, task, user in new_rows:
            if (type(task) is tuple and task not in made) or (type(user) is tuple and user not in made):
                directory.create()  # inside the transaction: rolled back with the rest
            task = task_objects.get(task) or self._task(task)
            user = user_objects.get(user) or self._user(user)
            created.append((ident, row.number, row.invoiced[:100]))
            if len(created) >= LINK_BATCH:  # written as they go, so memory does not grow with the file
                self.link_created()
            if row.invoiced:
                invoiced.setdefault(row.invoiced[:100], []).append(ident)
            # task, user, started_at, ended_at, billable, description, source, paused_seconds, hourly_rate,
            # external_id, recorded_by: positional, as a NamedTuple builds quickest.
            yield Work(task, user, start, end, row.billable, row.description, IMPORT, 0, row.rate, ident, by)

    def _task(self, key):
        if type(key) is not tuple and key not in self.tasks:
            raise Unheld(key)
        found = Task.objects.select_related("client", "project", "bucket").get(pk=self.directory.pk(key))
        self.task_objects[key] = found
        return found

    def _user(self, key):
        if type(key) is not tuple and key not in self.users:
            raise Unheld(key)
        found = self.user_objects[key] = get_user_model().objects.get(pk=self.directory.pk(key))
        return found

    def link_created(self):
        """One ImportedEntry row per created entry, inserted as plain rows (lib/bulk): Django's bulk_create
        spends seconds building 100k model instances for these few columns."""
        columns = ("run_id", "external_id", "row_number", "action", "before")
        pk = self.run.pk
        self.created.sort()  # in the order of the index on external ids, as record_many inserts entries
        insert_rows(
            ImportedEntry,
            columns,
            # What the import itself marked billed elsewhere, undo may take back.
            (
                (pk, ident, number, "created", json.dumps({"billed_elsewhere": ref}) if ref else None)
                for ident, number, ref in self.created
            ),
            check_keys_now=True,  # the run is this import's own, locked; the links name no other table
        )
        self.created.clear()


def _apply_changes(run, outcome, writer):
    """The rows that change an entry imported before: through `entries.change`, each with its history."""
    by, links = run.created_by, []
    reason = f"Import #{run.pk} ({run.file_name})"
    for pk, number, ident, fields in outcome.changes:
        fields = dict(fields)
        reference = fields.pop("billed_elsewhere", "")
        entry = TimeEntry.objects.get(pk=pk)
        if entry.user_id not in writer.users or entry.task_id not in writer.tasks:
            raise Unheld(pk)
        before = {name: _json(getattr(entry, name)) for name in fields}
        try:
            if entry.is_invoiced:  # since the check
                raise entries.Locked("This entry is invoiced, so it can no longer be changed.")
            if fields:
                entries.change(entry, by=by, reason=reason, **fields)
        except entries.EntryError as refused:
            # Invoiced since the check, or a change the write path refuses (it would overlap another entry
            # while overlaps are off): that row is a conflict, the rest of the file goes on.
            outcome.counts["changed"] -= 1
            outcome.conflict(number, sorted(fields), pk, str(refused))
            continue
        if reference:
            # Marked with the new entries; `before` keeps what the import marked, which undo takes back.
            writer.invoiced.setdefault(reference, []).append(ident)
            before["billed_elsewhere"] = reference
        links.append(
            ImportedEntry(run=run, external_id=ident, row_number=number, action="changed", before=before)
        )
    ImportedEntry.objects.bulk_create(links)


def _billed_elsewhere(invoiced, by):
    """Time the source says is invoiced there is marked billed elsewhere, so nobody bills it twice."""
    for reference, idents in invoiced.items():
        for first in range(0, len(idents), 2000):
            ids = lock_entries(imported(idents[first : first + 2000]), by=by)
            unbilled = TimeEntry.objects.filter(pk__in=ids).unbilled()  # never another invoice's time
            entries.set_billing(list(unbilled), billed_elsewhere=reference, by=by)


def _json(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value) if isinstance(value, Decimal) else value


class Heartbeat:
    """The run's progress and a sign of life while it is at work (the page's progress bar, and how a run whose
    worker died is told from a slow one: models.STALE_AFTER).

    The commit's own transaction would keep its reports to itself until the end; on PostgreSQL they go
    through a connection of their own, which commits each at once and never waits for a lock on the run's
    row (SKIP LOCKED). SQLite takes one writer at a time: there they are written in the import's transaction
    and show when it ends."""

    SQL = (
        "UPDATE {table} SET rows_done = %s, heartbeat_at = %s "
        "WHERE id = (SELECT id FROM {table} WHERE id = %s FOR UPDATE SKIP LOCKED)"
    )

    def __init__(self, run):
        self.run, self.side = run, None
        if connection.vendor == "postgresql":
            self.side = connections.create_connection(DEFAULT_DB_ALIAS)

    def rows(self, done):
        now = timezone.now()
        if self.side is None:
            ImportRun.objects.filter(pk=self.run.pk).update(rows_done=done, heartbeat_at=now)
            return
        with self.side.cursor() as cursor:
            cursor.execute(self.SQL.format(table=ImportRun._meta.db_table), [done, now, self.run.pk])

    def close(self):
        if self.side is not None:
            self.side.close()
