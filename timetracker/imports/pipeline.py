"""An import, from file to time: parse -> map -> preview -> commit.

- parse: `run.rows()` (`parsers.read`) streams the file's rows (a Row, or a Problem naming the row and the reason);
- map: `mapping.Directory` matches clients, projects, tasks and people by name, or marks them to be created;
- preview: `check()` classifies every row without writing: new, unchanged, changed, conflict (changed upstream
  but invoiced here), skipped, error; and lists the entries imported before that the file no longer has;
- commit (imports/commit.py): one more walk over the file, in one transaction, that checks each row again and
  writes it through the write path as it goes (`entries.record_many` for new time, `entries.change` for
  changed time): all of the file or nothing.

Each row has a stable external id: the source's id where the export has one, otherwise a hash of the fields
that identify it (who, client, project, task, start or day + length, and its occurrence among equal rows), so
the same file imported twice creates nothing and a later export updates the rows whose notes changed.
"""

import gc
import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection
from django.db.models.expressions import RawSQL

from timetracker.imports import mapping, parsers, rows
from timetracker.imports.models import ImportRun
from timetracker.imports.parsers.base import FileError, Problem
from timetracker.lib import dates
from timetracker.lib.durations import MAX_SECONDS
from timetracker.tasks import entries
from timetracker.tasks.choices import EntrySource
from timetracker.tasks.models import TimeEntry

CHUNK = 2000  # rows looked up in the database at once
PROGRESS_EVERY = 5000  # rows between two progress reports
FIRST_YEAR, LAST_YEAR = dates.FIRST_YEAR, dates.LAST_YEAR
ONE_MINUTE = entries.ONE_MINUTE
KEEP = 200  # bad rows, conflicts and missing entries listed in full; the counts cover the rest
COUNTS = ("new", "unchanged", "changed", "conflicts", "skipped", "errors", "missing")


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
    seen: dict = field(default_factory=dict)  # external id -> row number, for the missing ones
    rows: int = 0
    first: object = None  # the earliest and latest start: the period the file covers
    last: object = None

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


@contextmanager
def quiet_gc():
    """A big file allocates millions of short-lived objects (freed as they go, by reference counting), and
    every collection of the oldest generation they trigger would scan all Django keeps in memory, which costs
    more than the import's own work. What exists now is set aside (gc.freeze) while the file is walked, so
    collections only look at the import's own objects; it goes back afterwards."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def walk(run, directory, outcome, progress=None):
    """Yield (row, start, end, external id, task key, user key) for each importable row; count and record
    the rest in `outcome` (bad rows, skipped rows, repeats)."""
    clock = rows.Clock(zone_of(run))
    stack, repeats, seen = {}, {}, outcome.seen
    span, external_id, resolve, problem = rows.span, rows.external_id, directory.resolve, outcome.problem
    source, first, last = run.source, FIRST_YEAR, LAST_YEAR
    for item in run.rows():
        outcome.rows += 1
        if progress and outcome.rows % PROGRESS_EVERY == 0:
            progress(outcome.rows)
        if type(item) is Problem:
            problem("errors", item.number, item.message)
            continue
        if item.skip:
            problem("skipped", item.number, item.skip)
            continue
        try:
            start, end = span(item, clock, stack)
            if end < start:  # an equal end is less than a minute of work: skipped below, not an error
                raise ValueError(f"It ends ({end:%Y-%m-%d %H:%M}) before it starts ({start:%Y-%m-%d %H:%M}).")
            # The write path's own check, asked only of rows a quick look finds doubtful (it is the slow part
            # of a big file's check); record_many checks every row again anyway.
            worked = int(end.timestamp()) // 60 * 60 - int(start.timestamp()) // 60 * 60
            if not (ONE_MINUTE <= worked <= MAX_SECONDS and first < start.year <= end.year < last):
                entries.check_span(entries.floor_minute(start), entries.floor_minute(end))
        except entries.TooShort:
            problem(
                "skipped", item.number, "Less than one minute of work once start and end are whole minutes."
            )
            continue
        except (entries.EntryError, ValueError) as error:
            problem("errors", item.number, str(error))
            continue
        ident = external_id(source, item, start, seen, repeats)
        if ident in seen:
            problem("skipped", item.number, f"The same entry as row {seen[ident]}.")
            continue
        seen[ident] = item.number
        if outcome.first is None or start < outcome.first:
            outcome.first = start
        if outcome.last is None or start > outcome.last:
            outcome.last = start
        yield item, start, end, ident, *resolve(item)


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


def imported_among(idents):
    """`imported` of a list of ids, handed to the database as one value (an array on PostgreSQL, a JSON list on
    SQLite) instead of a placeholder each: compiling and sending thousands of parameters per chunk of rows
    cost more than the lookup itself."""
    if connection.vendor == "postgresql":
        listed = RawSQL("SELECT unnest(%s::varchar[])", [idents])
    else:
        listed = RawSQL("SELECT value FROM json_each(%s)", [json.dumps(idents)])
    return imported(listed)


def classify(run, directory, outcome, progress=None):
    """Walk the file and sort its rows against the database, a chunk of rows at a time: unchanged, changed
    (kept in `outcome.changes`), conflicts and bad rows are counted in `outcome`; the new rows are yielded as
    (row, start, end, external id, task key, user key) for the commit to write, or the check to count."""
    counts, changes = outcome.counts, outcome.changes
    pk = directory.pk
    for chunk in _chunks(walk(run, directory, outcome, progress), CHUNK):
        found = imported_among([c[3] for c in chunk]).values(*COMPARED)
        existing = {entry["external_id"]: entry for entry in found}
        if not existing:
            counts["new"] += len(chunk)
            yield from chunk
            continue
        for item in chunk:
            row, start, end, ident, task, user = item
            entry = existing.get(ident)
            if entry is None:
                counts["new"] += 1
                yield item
                continue
            changed = _differences(row, start, end, entry)
            if (pk(task), pk(user)) != (entry["task_id"], entry["user_id"]):
                # Not the entry this row made: the same id from another file or tool. Never overwritten.
                moved = ["task"] * (pk(task) != entry["task_id"])
                moved += ["user"] * (pk(user) != entry["user_id"])
                outcome.conflict(row.number, moved + sorted(changed), entry["pk"], OTHER_ENTRY)
            elif not changed:
                counts["unchanged"] += 1
            elif entry["invoice_line"] or entry["billed_elsewhere"]:
                outcome.conflict(row.number, sorted(changed), entry["pk"], INVOICED_HERE)
            else:
                counts["changed"] += 1
                changes.append((entry["pk"], row.number, ident, changed))


def check(run, *, progress=None):
    """Classify every row of the run's file without writing anything; returns (Outcome, Directory)."""
    directory = mapping.Directory(
        by=run.created_by, people=run.options.get("people"), unknown=run.options.get("unknown")
    )
    outcome = Outcome()
    with quiet_gc():
        for _ in classify(run, directory, outcome, progress):
            pass
    find_missing(run, outcome, directory)
    return outcome, directory


def find_missing(run, outcome, directory, *, before=None):
    """The entries an earlier import made that the file no longer has (`before`: only entries with a lower id,
    so that a commit does not read back the ones it has just written)."""
    clients = {key for key in directory.used_clients if not isinstance(key, tuple)}
    if outcome.first is not None and clients:
        tz = zone_of(run)
        first, last = dates.localdate(outcome.first, tz), dates.localdate(outcome.last, tz)
        _missing(run, outcome, first, last, clients, before)


def zone_of(run):
    return dates.zone(run.options.get("time_zone") or None)


def _missing(run, outcome, first_day, last_day, clients, before=None):
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
            **({"pk__lte": before} if before is not None else {}),
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
    """Check the run's file and keep what the preview shows; a file that cannot be read fails the run.

    Only what the check computes is saved (and the options it ran with), and only while the run still waits
    for confirmation: a confirmation that took the run meanwhile is not overwritten by this older view of it."""
    try:
        outcome, directory = check(run)
    except FileError as error:
        run.status, run.message = ImportRun.Status.FAILED, str(error)
        fields = ["options", "status", "message"]
    else:
        _store(run, outcome, directory)
        fields = ["options", "counts", "rows_total", "errors", "preview", "held"]
    if not save:
        return run
    if run.pk is None:
        run.save()
        return run
    waiting = ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.PREVIEW)
    if not waiting.update(**{name: getattr(run, name) for name in fields}):
        run.refresh_from_db()  # taken meanwhile: the run as its confirmation left it
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
    # The people and tasks the rows go to that exist already: the commit locks them before it writes.
    run.held = {"users": sorted(directory.existing_users()), "tasks": sorted(directory.used_tasks)}


def refusal(run):
    """Why the run cannot be committed now, or ""."""
    if run.status not in (ImportRun.Status.PREVIEW, ImportRun.Status.QUEUED):
        return f"This import is {run.get_status_display().lower()}; it cannot be confirmed again."
    if run.count("errors") and run.options.get("on_error") != "skip":
        return bad_rows(run.count("errors"))
    return ""


def bad_rows(count):
    rows = "1 row cannot" if count == 1 else f"{count} rows cannot"
    return f"{rows} be imported. Fix the file, or choose to import the other rows and leave those out."
