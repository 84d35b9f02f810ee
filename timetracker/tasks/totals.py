"""Totals kept, not scanned: all-time figures per task and person, moved by the write path with every change
of time, and the first start of that person's time on the task (running timers included: the Logs sort by it).

`entries.py` calls `move` in the same transaction as the change, with the task rows already locked, so the
kept figures can never disagree with the entries; `compare` recomputes them from the entries (the
`check_totals` command) and `rebuild` repairs them.
"""

from collections import Counter, defaultdict
from decimal import Decimal

from django.db.models import Case, Count, F, Min, Q, Subquery, Sum, When
from django.db.models.functions import TruncDate

from timetracker.lib.bulk import insert_rows
from timetracker.lib.dates import agency_day, agency_zone
from timetracker.tasks.models import UNBILLED_BILLABLE, DayTotal, TaskTotal, TimeEntry

FIELDS = (
    "entries",
    "tracked_seconds",
    "rounded_seconds",
    "billable_seconds",
    "amount",
    "unbilled_entries",
    "unbilled_unrated",
    "unbilled_seconds",
    "unbilled_amount",
)
ZERO = dict.fromkeys(FIELDS, 0) | {"amount": Decimal("0"), "unbilled_amount": Decimal("0")}
# The per-day rows (DayTotal) keep the sums that make sense for a day.
DAY_FIELDS = ("entries", "tracked_seconds", "rounded_seconds", "billable_seconds", "amount")
DAY_ZERO = {name: ZERO[name] for name in DAY_FIELDS}
# More changed days than this are written in bulk (see Deltas._write_days_in_bulk).
BULK_DAYS = 50
# Not a sum: the earliest start among the entries, moved up or looked up again as entries come and go.
FIRST = "first_started_at"
STOPPED = Q(ended_at__isnull=False)


def contribution(entry):
    """What one entry adds to its task's totals: nothing while it runs."""
    if entry.ended_at is None:
        return dict(ZERO)
    unbilled = entry.invoice_line_id is None and not entry.billed_elsewhere
    return figures(
        entry.duration_seconds,
        entry.rounded_seconds,
        entry.billable,
        entry.amount,
        unbilled=unbilled,
        rated=entry.hourly_rate is not None,
    )


def figures(tracked, rounded, billable, amount, *, unbilled, rated):
    """What a stopped entry with these figures adds; `unbilled`: on no invoice and not billed elsewhere;
    `rated`: it has an hourly rate."""
    amount = amount or Decimal("0")
    open_ = billable and unbilled
    return {
        "entries": 1,
        "tracked_seconds": tracked,
        "rounded_seconds": rounded,
        "billable_seconds": rounded if billable else 0,
        "amount": amount,
        "unbilled_entries": 1 if open_ else 0,
        "unbilled_unrated": 1 if open_ and not rated else 0,
        "unbilled_seconds": rounded if open_ else 0,
        "unbilled_amount": amount if open_ else Decimal("0"),
    }


class Deltas:
    """Changes to several (task, person) totals, gathered and then written with one UPDATE each."""

    def __init__(self):
        self.by_key = defaultdict(lambda: dict(ZERO))
        # The first start: the earliest one added per key, and the starts taken away (net of any put back,
        # as a change takes an entry away and puts it back); a bulk load keeps one moment per key, not per entry.
        self.earliest = {}
        self.starts = defaultdict(Counter)  # key -> {start: entries taken away (negative)}
        self.by_day = defaultdict(lambda: dict(DAY_ZERO))  # (task id, user id, agency day) -> changes

    def add(self, key, figures, sign=1, started_at=None):
        kept = self.by_key[key]
        for name in FIELDS:
            kept[name] += sign * figures[name]
        if started_at is not None:
            taken = self.starts.get(key, {})
            if sign < 0 or taken.get(started_at, 0) < 0:
                self.starts[key][started_at] += sign
            elif key not in self.earliest or started_at < self.earliest[key]:
                self.earliest[key] = started_at
            if figures["entries"]:  # stopped time: it has a day
                day = self.by_day[(*key, agency_day(started_at))]
                for name in DAY_FIELDS:
                    day[name] += sign * figures[name]

    def entry(self, entry, sign=1):
        self.add((entry.task_id, entry.user_id), contribution(entry), sign, entry.started_at)

    def write(self):
        """Apply the changes; the caller holds the tasks' row locks (the write path's lock order), so no two
        writers move the same row at once."""
        rebuilt = set()
        for key in sorted(set(self.by_key) | set(self.starts) | set(self.earliest)):  # id order, as locked
            task_id, user_id = key
            change = self.by_key.get(key, ZERO)
            added = [self.earliest[key]] if key in self.earliest else []
            gone = [start for start, n in self.starts.get(key, {}).items() if n < 0]
            if task_id in rebuilt or not (any(change.values()) or added or gone):
                continue
            row = TaskTotal.objects.filter(task_id=task_id, user_id=user_id)
            moved = {name: F(name) + change[name] for name in FIELDS if change[name]}
            if added:
                earliest = min(added)
                moved[FIRST] = Case(When(Q(**{f"{FIRST}__lte": earliest}), then=F(FIRST)), default=earliest)
            updated = row.update(**moved) if moved else row.exists()
            if not updated and (gone or not added or any(value < 0 for value in change.values())):
                # Time taken away from (or stopped on) a row that was never kept: count the task afresh
                # rather than store a negative or guess its first start.
                rebuild([task_id])
                rebuilt.add(task_id)  # its other rows are counted afresh too
                continue
            if not updated:
                TaskTotal.objects.create(task_id=task_id, user_id=user_id, **change, **{FIRST: min(added)})
            if gone:
                # Only when the earliest start itself went away is it looked up again (one indexed MIN), and
                # a row left with no entry at all is dropped, as a fresh count would have none.
                entries = TimeEntry.objects.filter(task_id=task_id, user_id=user_id).order_by()
                earliest = entries.values("task").annotate(first=Min("started_at")).values("first")
                row.filter(**{f"{FIRST}__in": gone}).update(**{FIRST: Subquery(earliest)})
                row.filter(**{f"{FIRST}__isnull": True}).delete()
        self._write_days(rebuilt)
        self.by_key.clear()
        self.starts.clear()
        self.earliest.clear()
        self.by_day.clear()

    def _write_days(self, rebuilt):
        changes = {
            key: change
            for key, change in sorted(self.by_day.items())
            if key[0] not in rebuilt and any(change.values())
        }
        if len(changes) > BULK_DAYS:
            return self._write_days_in_bulk(changes, rebuilt)
        for (task_id, user_id, day), change in changes.items():
            row = DayTotal.objects.filter(task_id=task_id, user_id=user_id, day=day)
            if row.update(**{name: F(name) + change[name] for name in DAY_FIELDS if change[name]}):
                if change["entries"] < 0:
                    row.filter(entries=0).delete()  # the day's last entry went: as a fresh count, no row
            elif any(value < 0 for value in change.values()):
                rebuild([task_id])  # taken from a day never kept: count the task afresh
                rebuilt.add(task_id)
            else:
                DayTotal.objects.create(task_id=task_id, user_id=user_id, day=day, **change)

    def _write_days_in_bulk(self, changes, rebuilt):
        """Many days at once (a bulk load, an import, invoicing a long period): read the kept rows of those
        tasks and days once, then one bulk UPDATE, CREATE and DELETE, instead of a query or two per day."""
        tasks = {task_id for task_id, _, _ in changes}
        days = [day for _, _, day in changes]
        held = {
            (row.task_id, row.user_id, row.day): row
            for row in DayTotal.objects.filter(task_id__in=tasks, day__gte=min(days), day__lte=max(days))
        }
        updated, created, emptied = [], [], []
        for key, change in changes.items():
            row = held.get(key)
            if row is None and any(value < 0 for value in change.values()):
                rebuild([key[0]])  # taken from a day never kept: count the task afresh
                rebuilt.add(key[0])
            elif row is None:
                created.append((*key, *(change[name] for name in DAY_FIELDS)))
            else:
                for name in DAY_FIELDS:
                    setattr(row, name, getattr(row, name) + change[name])
                (emptied if row.entries == 0 else updated).append(row)
        created = [row for row in created if row[0] not in rebuilt]
        updated = [row for row in updated if row.task_id not in rebuilt]
        _insert_days(created)
        DayTotal.objects.bulk_update(updated, DAY_FIELDS, batch_size=1000)
        DayTotal.objects.filter(pk__in=[row.pk for row in emptied if row.task_id not in rebuilt]).delete()


def _insert_days(rows):
    """(task id, user id, day, *DAY_FIELDS) tuples, inserted in one go."""
    insert_rows(DayTotal, ("task_id", "user_id", "day", *DAY_FIELDS), rows)


def move(before=None, after=None):
    """Move the totals for one entry changing from `before` (a `snapshot`) to `after` (either may be None)."""
    deltas = Deltas()
    if before is not None:
        deltas.add(**before, sign=-1)
    if after is not None:
        deltas.entry(after)
    deltas.write()


def snapshot(entry):
    """What `move` needs of an entry as it stands, to pass to it after a change."""
    return {
        "key": (entry.task_id, entry.user_id),
        "figures": contribution(entry),
        "started_at": entry.started_at,
    }


def fresh(task_ids=None):
    """The totals recomputed from the entries, per (task id, user id) (no row for no entry)."""
    entries = TimeEntry.objects.all()
    if task_ids is not None:
        entries = entries.filter(task_id__in=task_ids)
    rows = (
        entries.order_by()
        .values("task_id", "user_id")
        .annotate(
            n=Count("pk", filter=STOPPED),
            tracked=Sum("duration_seconds", filter=STOPPED, default=0),
            rounded=Sum("rounded_seconds", filter=STOPPED, default=0),
            billable_rounded=Sum("rounded_seconds", filter=STOPPED & Q(billable=True), default=0),
            money=Sum("amount", filter=STOPPED, default=Decimal("0")),
            open_entries=Count("pk", filter=UNBILLED_BILLABLE),
            open_unrated=Count("pk", filter=UNBILLED_BILLABLE & Q(hourly_rate__isnull=True)),
            open_seconds=Sum("rounded_seconds", filter=UNBILLED_BILLABLE, default=0),
            open_money=Sum("amount", filter=UNBILLED_BILLABLE, default=Decimal("0")),
            first=Min("started_at"),
        )
    )
    return {
        (row["task_id"], row["user_id"]): {
            "entries": row["n"],
            "tracked_seconds": row["tracked"],
            "rounded_seconds": row["rounded"],
            "billable_seconds": row["billable_rounded"],
            "amount": Decimal(row["money"]),
            "unbilled_entries": row["open_entries"],
            "unbilled_unrated": row["open_unrated"],
            "unbilled_seconds": row["open_seconds"],
            "unbilled_amount": Decimal(row["open_money"]),
            FIRST: row["first"],
        }
        for row in rows
    }


def fresh_days(task_ids=None):
    """The day totals recomputed from the stopped entries, per (task id, user id, agency day)."""
    entries = TimeEntry.objects.stopped()
    if task_ids is not None:
        entries = entries.filter(task_id__in=task_ids)
    rows = (
        entries.order_by()
        .annotate(day=TruncDate("started_at", tzinfo=agency_zone()))
        .values("task_id", "user_id", "day")
        .annotate(
            n=Count("pk"),
            tracked=Sum("duration_seconds"),
            rounded=Sum("rounded_seconds"),
            billable_rounded=Sum("rounded_seconds", filter=Q(billable=True), default=0),
            money=Sum("amount", default=Decimal("0")),
        )
    )
    return {
        (row["task_id"], row["user_id"], row["day"]): {
            "entries": row["n"],
            "tracked_seconds": row["tracked"],
            "rounded_seconds": row["rounded"],
            "billable_seconds": row["billable_rounded"],
            "amount": Decimal(row["money"]),
        }
        for row in rows
    }


def kept_days(task_ids=None):
    days = DayTotal.objects.all()
    if task_ids is not None:
        days = days.filter(task_id__in=task_ids)
    rows = days.values("task_id", "user_id", "day", *DAY_FIELDS)
    return {(row["task_id"], row["user_id"], row["day"]): {n: row[n] for n in DAY_FIELDS} for row in rows}


def kept(task_ids=None):
    totals = TaskTotal.objects.all()
    if task_ids is not None:
        totals = totals.filter(task_id__in=task_ids)
    rows = totals.values("task_id", "user_id", *FIELDS, FIRST)
    return {(row["task_id"], row["user_id"]): {name: row[name] for name in (*FIELDS, FIRST)} for row in rows}


def compare(task_ids=None):
    """[(key, field, kept, fresh)] for every figure that differs, the key (task id, user id) for the all-time
    rows and (task id, user id, day) for the day rows; empty when all agree."""
    differences = []
    for want, have, names, none in (
        (fresh(task_ids), kept(task_ids), (*FIELDS, FIRST), ZERO | {FIRST: None}),
        (fresh_days(task_ids), kept_days(task_ids), DAY_FIELDS, DAY_ZERO),
    ):
        for key in sorted(set(want) | set(have)):
            wanted, held = want.get(key, none), have.get(key, none)
            differences += [
                (key, name, held[name], wanted[name]) for name in names if held[name] != wanted[name]
            ]
    return differences


def rebuild(task_ids=None):
    """Recompute the kept totals from the entries (after a bulk load, or to repair); returns the rows written."""
    want = fresh(task_ids)
    held = TaskTotal.objects.all() if task_ids is None else TaskTotal.objects.filter(task_id__in=task_ids)
    for row in held.only("task_id", "user_id"):
        if (row.task_id, row.user_id) not in want:
            row.delete()
    for (task_id, user_id), figures in want.items():
        TaskTotal.objects.update_or_create(task_id=task_id, user_id=user_id, defaults=figures)
    days = DayTotal.objects.all() if task_ids is None else DayTotal.objects.filter(task_id__in=task_ids)
    days.delete()
    DayTotal.objects.bulk_create(
        (
            DayTotal(task_id=t, user_id=u, day=d, **figures)
            for (t, u, d), figures in fresh_days(task_ids).items()
        ),
        batch_size=5000,
    )
    return len(want)
