"""An import, from file to time: parse -> map -> preview -> commit.

- parse: `parsers.read` streams the file's rows (a Row, or a Problem naming the row and the reason);
- map: `mapping.Directory` matches clients, projects, tasks and people by name, or marks them to be created;
- preview: `check()` classifies every row without writing: new, unchanged, changed, conflict (changed upstream
  but invoiced here), skipped, error; and lists the entries imported before that the file no longer has;
- commit: `commit()` checks again, then writes everything in one transaction through the write path
  (`entries.record_many` for new time, `entries.change` for changed time): all of the file or nothing.

Each row has a stable external id: the source's id where the export has one, otherwise a hash of the fields
that identify it (who, client, project, task, start or day + length, and its occurrence among equal rows), so
the same file imported twice creates nothing and a later export updates the rows whose notes changed.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from timetracker.imports import mapping, parsers, rows
from timetracker.imports.models import ImportedEntry, ImportRun
from timetracker.imports.parsers.base import FileError, Problem
from timetracker.lib import dates
from timetracker.lib.bulk import insert_rows
from timetracker.lib.durations import MAX_SECONDS
from timetracker.tasks import entries
from timetracker.tasks.choices import EntrySource
from timetracker.tasks.locks import lock, lock_entries
from timetracker.tasks.models import Task, TimeEntry

CHUNK = 1000  # rows looked up in the database at once
LINK_BATCH = 5000  # ImportedEntry rows written at once
ONE_MINUTE = entries.ONE_MINUTE
KEEP = 200  # bad rows, conflicts and missing entries listed in full; the counts cover the rest
COUNTS = ("new", "unchanged", "changed", "conflicts", "skipped", "errors", "missing")
MAX_UPLOAD = 200 * 1024 * 1024  # bytes; a year of a big agency's time is well under it


class ImportRefused(Exception):
    """The import cannot be committed as it stands; the message says why."""


@dataclass
class Outcome:
    counts: dict = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    errors: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    conflicts: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    changes: list = field(default_factory=list)  # (entry pk, row number, external id, {field: new value})
    new_ids: set = field(default_factory=set)
    seen: dict = field(default_factory=dict)  # external id -> row number, for the missing ones
    rows: int = 0

    def conflict(self, number, fields, entry, reason):
        """A row that matches an entry it may not change: reported, left as it is."""
        self.counts["conflicts"] += 1
        if len(self.conflicts) < KEEP:
            self.conflicts.append({"row": number, "fields": fields, "entry": entry, "reason": reason})

    def problem(self, kind, number, message):
        self.counts["errors" if kind == "errors" else kind] += 1
        bucket = self.errors if kind == "errors" else self.skipped
        if len(bucket) < KEEP:
            bucket.append({"row": number, "message": message})


def options_for(by, **given):
    """The options of an import, with the defaults filled in: the importing person's time zone, refuse a file
    with bad rows, unknown people to the importing person."""
    options = {"time_zone": by.time_zone, "on_error": "refuse", "unknown": str(by.pk), "people": {}}
    options.update({key: value for key, value in given.items() if value not in (None, "")})
    return options


def receive(by, upload, *, source="", **options):
    """Keep an uploaded file in a new run, recognise its format and check it (the preview). A file whose
    format is not recognised waits for its columns to be named (the generic CSV)."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    run = ImportRun(
        source=source or "generic",
        file_name=upload.name[:200],
        file_hash=digest.hexdigest(),
        created_by=by,
        options=options_for(by, **options),
    )
    run.file.save(upload.name, upload, save=False)
    if not source:
        run.source = parsers.detect(run.open_file) or "generic"
    if run.source == "generic" and not run.options.get("mapping"):
        run.save()
        return run
    return preview(run)


# --- parse and map: one walk over the file, the same for the check and the commit ----------------------------


def walk(run, directory, outcome, progress=None):
    """Yield (row, start, end, external id, (task key, user key)) for each importable row; count and record
    the rest in `outcome` (bad rows, skipped rows, repeats)."""
    clock = rows.Clock(zone_of(run))
    stack, occurrences, seen = {}, {}, outcome.seen
    for item in parsers.read(run.source, run.open_file, run.options):
        outcome.rows += 1
        if progress and outcome.rows % 5000 == 0:
            progress(outcome.rows)
        if isinstance(item, Problem):
            outcome.problem("errors", item.number, item.message)
            continue
        if item.skip:
            outcome.problem("skipped", item.number, item.skip)
            continue
        try:
            start, end = rows.span(item, clock, stack)
            if end < start:  # an equal end is less than a minute of work: skipped below, not an error
                raise ValueError(f"It ends ({end:%Y-%m-%d %H:%M}) before it starts ({start:%Y-%m-%d %H:%M}).")
            # The write path's own check, asked only of rows a quick look finds doubtful (it is the slow part
            # of a big file's check); record_many checks every row again anyway.
            worked = int(end.timestamp()) // 60 * 60 - int(start.timestamp()) // 60 * 60
            plain = (
                ONE_MINUTE <= worked <= MAX_SECONDS
                and dates.FIRST_YEAR < start.year <= end.year < dates.LAST_YEAR
            )
            if not plain:
                entries.check_span(entries.floor_minute(start), entries.floor_minute(end))
        except entries.TooShort:
            outcome.problem(
                "skipped", item.number, "Less than one minute of work once start and end are whole minutes."
            )
            continue
        except (entries.EntryError, ValueError) as error:
            outcome.problem("errors", item.number, str(error))
            continue
        ident = rows.external_id(run.source, item, start, occurrences)
        if ident in seen:
            outcome.problem("skipped", item.number, f"The same entry as row {seen[ident]}.")
            continue
        seen[ident] = item.number
        yield item, start, end, ident, directory.resolve(item)


def _chunks(items, size):
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- check (the preview) -------------------------------------------------------------------------------------


COMPARED = (
    "pk",
    "external_id",
    "task_id",
    "user_id",
    "description",
    "billable",
    "started_at",
    "ended_at",
    "hourly_rate",
    "invoice_line",
    "billed_elsewhere",
)
INVOICED_HERE = "Invoiced here, so left as it is."
OTHER_ENTRY = "Its id belongs to an entry of another task or person (another file's id?), so that entry is left as it is."


def _differences(row, start, end, entry):
    """The fields a later export changed on an entry already imported (the identifying ones cannot differ).
    `billed_elsewhere` is the reference to mark unbilled time with that the source now says is invoiced."""
    changed = {}
    if row.description != entry["description"]:
        changed["description"] = row.description
    if row.billable is not None and row.billable != entry["billable"]:
        changed["billable"] = row.billable
    if row.start is not None:
        began = entries.floor_minute(start)
        if row.source_id and began != entry["started_at"]:
            # Only a row with its own id can move: without one, the start is part of its id.
            changed["started_at"] = start
        # A row without its own id whose start does not line up with the entry's (read in another time zone,
        # or the start was edited here) has no end to compare: the file's end would not fit the entry's start.
        if (row.source_id or began == entry["started_at"]) and entries.floor_minute(end) != entry["ended_at"]:
            changed["ended_at"] = end
    if row.rate is not None and row.rate != entry["hourly_rate"]:
        changed["hourly_rate"] = row.rate
    if row.invoiced and entry["invoice_line"] is None and not entry["billed_elsewhere"]:
        changed["billed_elsewhere"] = row.invoiced[:100]
    return changed


def imported(idents):
    """Imported entries by external id. The `!= ""` lets the database use the partial unique index on
    (source, external_id); without it, each lookup reads the whole table."""
    found = TimeEntry.objects.filter(source=EntrySource.IMPORT, external_id__in=idents)
    return found.exclude(external_id="").order_by()


def check(run, *, progress=None):
    """Classify every row of the run's file without writing anything; returns (Outcome, Directory)."""
    directory = mapping.Directory(
        by=run.created_by, people=run.options.get("people"), unknown=run.options.get("unknown")
    )
    outcome = Outcome()
    first = last = None
    for chunk in _chunks(walk(run, directory, outcome, progress), CHUNK):
        found = imported([c[3] for c in chunk]).values(*COMPARED)
        existing = {entry["external_id"]: entry for entry in found}
        for row, start, end, ident, (task, user) in chunk:
            first, last = min(first or start, start), max(last or start, start)
            entry = existing.get(ident)
            if entry is None:
                outcome.counts["new"] += 1
                outcome.new_ids.add(ident)
                continue
            changed = _differences(row, start, end, entry)
            if (directory.pk(task), directory.pk(user)) != (entry["task_id"], entry["user_id"]):
                # Not the entry this row made: the same id from another file or tool. Never overwritten.
                moved = ["task"] * (directory.pk(task) != entry["task_id"])
                moved += ["user"] * (directory.pk(user) != entry["user_id"])
                outcome.conflict(row.number, moved + sorted(changed), entry["pk"], OTHER_ENTRY)
            elif not changed:
                outcome.counts["unchanged"] += 1
            elif entry["invoice_line"] or entry["billed_elsewhere"]:
                outcome.conflict(row.number, sorted(changed), entry["pk"], INVOICED_HERE)
            else:
                outcome.counts["changed"] += 1
                outcome.changes.append((entry["pk"], row.number, ident, changed))
    clients = {key for key in directory.used_clients if not isinstance(key, tuple)}
    if first is not None and clients:
        tz = zone_of(run)
        _missing(run, outcome, dates.localdate(first, tz), dates.localdate(last, tz), clients)
    return outcome, directory


def zone_of(run):
    return dates.zone(run.options.get("time_zone") or None)


def _missing(run, outcome, first_day, last_day, clients):
    """Entries an earlier import of this source made for these clients in the file's period that the file no
    longer has: deleted upstream. They are reported, not deleted."""
    tz = zone_of(run)
    family = run.source.split("_")[0]
    earlier = (
        TimeEntry.objects.filter(
            source=EntrySource.IMPORT,
            external_id__startswith=f"{family}:",
            started_at__gte=dates.local_midnight(first_day, tz),
            started_at__lt=dates.local_midnight(last_day + timedelta(days=1), tz),
            task__client_id__in=clients,
        )
        .order_by("started_at")
        .values_list("pk", "external_id", "started_at", "user__username", "description")
    )
    for pk, ident, started_at, username, description in earlier.iterator(chunk_size=2000):
        if ident in outcome.seen:
            continue
        outcome.counts["missing"] += 1
        if len(outcome.missing) < KEEP:
            outcome.missing.append(
                {
                    "entry": pk,
                    "started_at": started_at.isoformat(),
                    "user": username,
                    "description": description[:80],
                }
            )


def preview(run, *, save=True):
    """Check the run's file and keep what the preview shows; a file that cannot be read fails the run."""
    try:
        outcome, directory = check(run)
    except FileError as error:
        run.status, run.message = ImportRun.Status.FAILED, str(error)
    else:
        _store(run, outcome, directory)
    if save:
        run.save()
    return run


def _store(run, outcome, directory):
    run.counts = outcome.counts
    run.rows_total = outcome.rows
    run.errors = outcome.errors
    run.preview = {
        **directory.summary(),
        "skipped": outcome.skipped,
        "conflicts": outcome.conflicts,
        "missing": outcome.missing,
    }


# --- commit ---------------------------------------------------------------------------------------------------


def refusal(run):
    """Why the run cannot be committed now, or ""."""
    if run.status not in (ImportRun.Status.PREVIEW, ImportRun.Status.QUEUED):
        return f"This import is {run.get_status_display().lower()}; it cannot be confirmed again."
    if run.count("errors") and run.options.get("on_error") != "skip":
        return _bad_rows(run.count("errors"))
    return ""


def _bad_rows(count):
    rows = "1 row cannot" if count == 1 else f"{count} rows cannot"
    return f"{rows} be imported. Fix the file, or choose to import the other rows and leave those out."


def commit(run, *, progress=None):
    """Check the file again (the database may have moved on since the preview) and write it in one
    transaction. Returns the run, DONE or FAILED with a message; nothing is half-written."""
    # Claimed by one atomic update: a second confirmation (a double click, another worker) finds it taken.
    waiting = (ImportRun.Status.PREVIEW, ImportRun.Status.QUEUED)
    if not ImportRun.objects.filter(pk=run.pk, status__in=waiting).update(status=ImportRun.Status.CHECKING):
        raise ImportRefused("This import is already under way or finished.")
    run.status = ImportRun.Status.CHECKING
    try:
        outcome, directory = check(run, progress=progress)
        _store(run, outcome, directory)
        run.rows_done = outcome.rows
        if outcome.counts["errors"] and run.options.get("on_error") != "skip":
            raise ImportRefused(_bad_rows(outcome.counts["errors"]))
        run.status = ImportRun.Status.WRITING
        run.save()
        with transaction.atomic():
            _write(run, outcome, directory)
            run.status, run.finished_at = ImportRun.Status.DONE, timezone.now()
            run.counts = outcome.counts
            run.save()
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
    return run


def _fail(run, message):
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.FAILED, message=message)
    run.refresh_from_db()


def _write(run, outcome, directory):
    by = run.created_by
    # The one lock order: the people, then the existing tasks the file adds to, then the entries it changes.
    changed_entries = [pk for pk, *_ in outcome.changes]
    owners = TimeEntry.objects.filter(pk__in=changed_entries).values_list("user_id", "task_id")
    lock(
        users=[by, *directory.existing_users(), *(user for user, _ in owners)],
        tasks=[*directory.used_tasks, *(task for _, task in owners)],
        entries=changed_entries,
    )
    directory.create()
    links, invoiced = [], {}
    reason = f"Import #{run.pk} ({run.file_name})"
    for pk, number, ident, fields in outcome.changes:
        fields = dict(fields)
        reference = fields.pop("billed_elsewhere", "")
        entry = TimeEntry.objects.get(pk=pk)
        before = {name: _json(getattr(entry, name)) for name in fields}
        try:
            if entry.is_invoiced:  # since the check
                raise entries.Locked("This entry is invoiced, so it can no longer be changed.")
            if fields:
                entries.change(entry, by=by, reason=reason, **fields)
        except entries.Locked:
            outcome.counts["changed"] -= 1
            outcome.counts["conflicts"] += 1
            continue
        if reference:
            # Marked below with the new entries; `before` keeps what the import marked, which undo takes back.
            invoiced.setdefault(reference, []).append(ident)
            before["billed_elsewhere"] = reference
        links.append(
            ImportedEntry(run=run, external_id=ident, row_number=number, action="changed", before=before)
        )
    tasks, users = _objects(directory)
    created = []

    def new_entries():
        for row, start, end, ident, (task, user) in walk(run, directory, Outcome()):
            if ident not in outcome.new_ids:
                continue
            created.append((ident, row.number, row.invoiced[:100]))
            if len(created) >= LINK_BATCH:  # written as they go, so memory does not grow with the file
                _link_created(run, created)
                created.clear()
            if row.invoiced:
                invoiced.setdefault(row.invoiced[:100], []).append(ident)
            yield entries.Work(
                task=tasks[directory.pk(task)],
                user=users[directory.pk(user)],
                recorded_by=by,
                started_at=start,
                ended_at=end,
                billable=row.billable,
                description=row.description,
                source=EntrySource.IMPORT,
                hourly_rate=row.rate,
                external_id=ident,
            )

    if outcome.new_ids:  # else there is no need to read the file again
        entries.record_many(new_entries())
    ImportedEntry.objects.bulk_create(links)  # the changed ones: few
    _link_created(run, created)
    _billed_elsewhere(invoiced, by)


def _link_created(run, created):
    """One ImportedEntry row per created entry, inserted as plain rows (lib/bulk): Django's bulk_create
    spends seconds building 100k model instances for these few columns."""
    columns = ("run_id", "external_id", "row_number", "action", "before")
    rows = (
        # What the import itself marked billed elsewhere, undo may take back.
        (run.pk, ident, number, "created", json.dumps({"billed_elsewhere": ref}) if ref else None)
        for ident, number, ref in created
    )
    insert_rows(ImportedEntry, columns, rows)


def _billed_elsewhere(invoiced, by):
    """Time the source says is invoiced there is marked billed elsewhere, so nobody bills it twice."""
    for reference, idents in invoiced.items():
        for chunk in _chunks(idents, 2000):
            ids = lock_entries(imported(chunk), by=by)
            unbilled = TimeEntry.objects.filter(pk__in=ids).unbilled()  # never another invoice's time
            entries.set_billing(list(unbilled), billed_elsewhere=reference, by=by)


def _objects(directory):
    """Every task and person the file's rows go to, loaded once with what rating needs."""
    task_pks = directory.used_tasks | {directory.pk(("new", key)) for key in directory.new_tasks}
    tasks = Task.objects.select_related("client", "project", "bucket").in_bulk(task_pks)
    user_pks = directory.existing_users() | {directory.pk(("new", key)) for key in directory.new_people}
    users = get_user_model().objects.in_bulk(user_pks | {directory.by.pk})
    return tasks, users


def _json(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value) if isinstance(value, Decimal) else value


# --- undo -----------------------------------------------------------------------------------------------------
