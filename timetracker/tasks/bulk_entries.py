"""The bulk half of the write path (tasks/entries.py): history loaded in bulk (imports, the demo seed,
benchmarks) and taken back in bulk (an import undone).

The rules are the write path's own (`entries.floor_minute`, `entries.check_span`, `resolve_rate`, the client's
rounding policy, `models.price`, `totals.figures`): a bulk load only avoids redoing the same work for every row
(a rate, a rounding or a price is worked out once per distinct input) and moves the kept totals once, at the
end. `entries.record_many` / `entries.Work` / `entries.remove_many` are these, for the callers of old.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from operator import itemgetter
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from timetracker.automation import hooks as automation_hooks
from timetracker.billing.models import Settings
from timetracker.billing.rates import resolve_rate
from timetracker.buckets import usage
from timetracker.lib import dates
from timetracker.lib.bulk import delete_rows, insert_rows
from timetracker.lib.durations import MAX_SECONDS
from timetracker.tasks import totals
from timetracker.tasks.choices import EntrySource, RateSource, TimerMode
from timetracker.tasks.entries import (
    ONE_MINUTE,
    EntryError,
    Locked,
    check_span,
    floor_minute,
    refresh_status,
)
from timetracker.tasks.locks import lock, lock_entries
from timetracker.tasks.models import Task, TimeEntry, price, write_path


class Work(NamedTuple):
    """One piece of past work for `record_many`, lighter than an unsaved TimeEntry (which it also takes).
    A `hourly_rate` given here overrides the rate precedence, as `record(hourly_rate=...)` does."""

    task: Task
    user: object
    started_at: datetime
    ended_at: datetime
    billable: bool | None = None
    description: str = ""
    source: str = EntrySource.IMPORT
    paused_seconds: int = 0
    hourly_rate: Decimal | None = None
    external_id: str = ""
    recorded_by: object = None


# The columns record_many writes, in order; the rest keep their database defaults (none: every column here).
BULK_COLUMNS = (
    "task_id",
    "user_id",
    "recorded_by_id",
    "started_at",
    "ended_at",
    "paused_at",
    "paused_seconds",
    "duration_seconds",
    "rounded_seconds",
    "billable",
    "hourly_rate",
    "rate_source",
    "amount",
    "description",
    "source",
    "external_id",
    "invoice_line_id",
    "billed_elsewhere",
    "timer_mode",
    "created_at",
    "updated_at",
)


def record_many(entries, *, batch_size=5000, locked=False):
    """Record past work in bulk: each `Work` (or unsaved TimeEntry) is floored, checked, rated by precedence
    (unless it carries its own rate), rounded and priced by the same functions `record` uses, then inserted in
    batches (COPY on PostgreSQL), the kept totals moved once at the end. Rows are not locked one by one and
    hard stops are not applied: this is history being loaded, in the caller's transaction. No history rows are
    written (the load itself is the record). Returns the number inserted.

    `entries` may be a generator: it is consumed as it goes, so memory holds one batch, not the whole load.
    A caller that holds the locks of every task the rows go to (`locked`: an import locks them first, and the
    tasks it creates are its own) has the kept totals moved with each batch instead, so that what they sum up
    does not grow with the load either; the others' totals move at the end, once their tasks are locked."""
    agency = Settings.load()
    now = timezone.now()
    load = _Load(agency)
    batch, created = [], 0
    with transaction.atomic(), write_path():
        for item in entries:
            batch.append(load.row(item, now))
            if len(batch) >= batch_size:
                created += _insert(batch, locked)
                batch = []
                if locked:
                    load.deltas().write()
        created += _insert(batch, locked)
        tasks = load.tasks
        lock(tasks=list(tasks))  # the totals rows move under their tasks' locks, as everywhere
        load.deltas().write()
        for task in tasks.values():
            refresh_status(task)
        for bucket in {t.bucket for t in tasks.values() if t.bucket_id}:
            usage.record_alerts(bucket)
        automation_hooks.project_budgets(tasks.values())  # each budgeted project once, as the buckets above
    return created


EXTERNAL_ID = BULK_COLUMNS.index("external_id")


def _insert(batch, locked):
    """Insert a batch in the order of its external ids (a load without them keeps its order): the unique index on
    them is a random order otherwise, each row touching another part of it (a third of SQLite's insert time,
    a fifth of PostgreSQL's). Its foreign keys are checked at once only when the caller holds the tasks' locks
    (lib/bulk.py says why)."""
    batch.sort(key=itemgetter(EXTERNAL_ID))
    return insert_rows(TimeEntry, BULK_COLUMNS, batch, check_keys_now=locked)


class _Load:
    """What record_many works out once and reuses: per client the rounding, per task and person the rate, per
    rounded time and rate the price, per day the agency's date; and the kept totals, summed per group of rows
    that `totals.figures` treats alike."""

    def __init__(self, agency):
        self.agency = agency
        self.policies, self.rates, self.rounded, self.prices, self.tasks = {}, {}, {}, {}, {}
        self.days = AgencyDays()
        # (task id, user id, agency day, billable, rated) -> [entries, tracked, rounded, amount, first start]
        self.groups = {}

    def row(self, item, now):
        task, user = item.task, item.user
        task_pk, user_pk = task.id, user.id  # `.pk` is a property, measurably slower over 100k rows
        started_at, ended_at = item.started_at, item.ended_at
        # Whole UTC minutes already (most imported rows) are their own floor.
        started = started_at if _whole_utc_minute(started_at) else floor_minute(started_at)
        ended = ended_at if _whole_utc_minute(ended_at) else floor_minute(ended_at)
        paused = item.paused_seconds or 0
        span = ended - started  # both whole UTC minutes: exact
        worked = span.days * 86400 + span.seconds - paused
        if not (
            ONE_MINUTE <= worked <= MAX_SECONDS
            and dates.FIRST_YEAR <= started_at.year <= dates.LAST_YEAR
            and dates.FIRST_YEAR <= ended_at.year <= dates.LAST_YEAR
        ):
            worked = check_span(started_at, ended_at, paused)  # the write path's own check: refuses, says why
        billable = task.billable if item.billable is None else item.billable
        rate, rate_source = _bulk_rate(item, task, user, self.agency, self.rates, (task_pk, user_pk))
        client_id = task.client_id
        key = (client_id, worked)
        rounded = self.rounded.get(key)
        if rounded is None:
            policy = self.policies.get(client_id)
            if policy is None:
                policy = self.policies[client_id] = self.agency.for_client(task.client).rounding_policy()
            rounded = self.rounded[key] = policy.apply(worked)
        amount = None
        if billable and rate is not None:
            amount = self.prices.get((rounded, rate))
            if amount is None:
                amount = self.prices[(rounded, rate)] = price(rounded, rate)
        self.tasks[task_pk] = task
        group = (task_pk, user_pk, self.days.of(started), billable, rate is not None)
        sums = self.groups.get(group)
        if sums is None:
            self.groups[group] = [1, worked, rounded, amount or 0, started]
        else:
            sums[0] += 1
            sums[1] += worked
            sums[2] += rounded
            if amount is not None:
                sums[3] += amount
            if started < sums[4]:
                sums[4] = started
        recorded_by = item.recorded_by
        return (
            task_pk,
            user_pk,
            user_pk if recorded_by is None else recorded_by.id,
            started,
            ended,
            None,
            paused,
            worked,
            rounded,
            billable,
            rate,
            str(rate_source),
            amount,
            item.description or "",
            str(item.source),
            item.external_id or "",
            None,
            "",
            TimerMode.UP.value,
            now,
            now,
        )

    def deltas(self):
        """The kept totals' changes: `totals.figures` of each group's sums, with its count of entries (the
        figures of n alike entries are those of their sums plus n - 1 times those of an empty one)."""
        deltas, groups = totals.Deltas(), self.groups
        while groups:  # emptied as it goes: a big load holds one copy of its sums, not two
            (task_id, user_id, _, billable, rated), sums = groups.popitem()
            n, tracked, rounded, amount, first = sums
            summed = totals.figures(tracked, rounded, billable, Decimal(amount), unbilled=True, rated=rated)
            if n > 1:
                one = totals.figures(0, 0, billable, None, unbilled=True, rated=rated)
                summed = {name: value + (n - 1) * one[name] for name, value in summed.items()}
            deltas.add((task_id, user_id), summed, started_at=first)
        return deltas


def _whole_utc_minute(moment):
    return moment.tzinfo is UTC and not moment.second and not moment.microsecond


def _bulk_rate(item, task, user, agency, rates, key):
    """(rate, source) for one bulk row: its own rate when it carries one, else the precedence (cached per task
    and person: resolving it is a few queries)."""
    if isinstance(item, TimeEntry):
        if item.rate_source == RateSource.ENTRY:
            return item.hourly_rate, RateSource.ENTRY
    elif item.hourly_rate is not None:
        return item.hourly_rate, RateSource.ENTRY
    found = rates.get(key)
    if found is None:
        found = rates[key] = resolve_rate(task=task, user=user, settings=agency.for_client(task.client))
    return found


class AgencyDays:
    """`dates.agency_day` of many moments: a UTC day on which the agency's offset does not change maps every
    moment by one offset, worked out once; the two days a year with a clock change ask agency_day each time."""

    def __init__(self):
        self.zone, self.offsets = dates.agency_zone(), {}

    def of(self, moment):
        moment = moment.astimezone(UTC)
        day = moment.date()
        offset = self.offsets.get(day, ...)
        if offset is ...:
            first = datetime.combine(day, datetime.min.time(), UTC)
            before, after = (m.astimezone(self.zone).utcoffset() for m in (first, first + timedelta(days=1)))
            offset = self.offsets[day] = before if before == after else None
        if offset is None:
            return dates.agency_day(moment)
        return (moment + offset).date()


# --- taking time back in bulk ------------------------------------------------------------------------------

REMOVED = ("pk", "task_id", "user_id", "started_at", "ended_at", "duration_seconds", "rounded_seconds")
REMOVED += ("billable", "amount", "hourly_rate", "invoice_line_id", "billed_elsewhere")


class _Removed(NamedTuple):
    """What `totals.contribution` reads of an entry, without building a model instance per row."""

    pk: int
    task_id: int
    user_id: int
    started_at: datetime
    ended_at: datetime | None
    duration_seconds: int
    rounded_seconds: int
    billable: bool
    amount: Decimal | None
    hourly_rate: Decimal | None
    invoice_line_id: int | None
    billed_elsewhere: str


def remove_many(queryset, *, by=None, reason="", chunk=5000):
    """Delete many entries at once (an import undone): locked in the one order (their people, then their tasks,
    then the entries), refused as a whole when any is invoiced, a history row each (written in bulk), the kept
    totals moved once and the tasks' status refreshed. The caller's transaction, if any, holds it all; returns
    the number deleted."""
    with transaction.atomic(), write_path():
        ids = lock_entries(queryset, by=by)
        if _any_invoiced(ids, chunk):
            raise Locked("Some of this time is invoiced, so it cannot be deleted.")
        deltas, sums, tasks = totals.Deltas(), {}, set()
        days = AgencyDays()
        history = TimeEntry.history.model
        columns = [f.attname for f in history._meta.concrete_fields if f.attname != "history_id"]
        when = timezone.now()
        marks = {"history_date": when, "history_change_reason": reason or None, "history_type": "-"}
        marks["history_user_id"] = getattr(by, "pk", by)
        for first in range(0, len(ids), chunk):
            part = ids[first : first + chunk]
            rows = TimeEntry.objects.filter(pk__in=part).order_by()
            # The history rows first (the entries' last state), then the entries and what hangs on them.
            fields = [name for name in columns if name not in marks]
            insert_rows(
                history,
                columns,
                (
                    tuple(values[name] if name in values else marks[name] for name in columns)
                    for values in rows.values(*fields)
                ),
            )
            for values in rows.values_list(*REMOVED):
                entry = _Removed(*values)
                tasks.add(entry.task_id)
                # Summed per person, task and day, so the kept totals move by a few rows, not one per entry.
                key = (entry.task_id, entry.user_id, days.of(entry.started_at) if entry.ended_at else None)
                figures = totals.contribution(entry)
                kept = sums.get(key)
                if kept is None:
                    sums[key] = [figures, entry.started_at]
                else:
                    for name, value in figures.items():
                        kept[0][name] += value
                    kept[1] = min(kept[1], entry.started_at)
            _delete_dependents(part)
            delete_rows(TimeEntry, part)
        for (task_id, user_id, _), (figures, first) in sums.items():
            deltas.add((task_id, user_id), figures, sign=-1, started_at=first)
        deltas.write()
        for task in Task.objects.filter(pk__in=tasks).order_by("pk"):
            refresh_status(task)
    return len(ids)


def _any_invoiced(ids, chunk):
    return any(
        TimeEntry.objects.filter(pk__in=ids[first : first + chunk]).invoiced().exists()
        for first in range(0, len(ids), chunk)
    )


def _delete_dependents(ids):
    """What would cascade with the entries (their notes): deleted first, as the ORM's delete() would."""
    for related in TimeEntry._meta.related_objects:
        if related.on_delete.__name__ != "CASCADE":
            raise EntryError(f"{related.related_model.__name__} rows would stop a bulk delete of time.")
        related.related_model._base_manager.filter(**{f"{related.field.name}__in": ids}).delete()
