"""Totals kept, not scanned: all-time figures per task and person, moved by the write path with every change
of time.

`entries.py` calls `move` in the same transaction as the change, with the task rows already locked, so the
kept figures can never disagree with the entries; `compare` recomputes them from the entries (the
`check_totals` command) and `rebuild` repairs them.
"""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, F, Q, Sum

from timetracker.tasks.models import UNBILLED_BILLABLE, TaskTotal, TimeEntry

FIELDS = (
    "entries",
    "tracked_seconds",
    "rounded_seconds",
    "billable_seconds",
    "amount",
    "unbilled_seconds",
    "unbilled_amount",
)
ZERO = dict.fromkeys(FIELDS, 0) | {"amount": Decimal("0"), "unbilled_amount": Decimal("0")}


def contribution(entry):
    """What one entry adds to its task's totals: nothing while it runs."""
    if entry.ended_at is None:
        return dict(ZERO)
    unbilled = entry.invoice_line_id is None and not entry.billed_elsewhere
    return figures(
        entry.duration_seconds, entry.rounded_seconds, entry.billable, entry.amount, unbilled=unbilled
    )


def figures(tracked, rounded, billable, amount, *, unbilled):
    """What a stopped entry with these figures adds; `unbilled`: on no invoice and not billed elsewhere."""
    amount = amount or Decimal("0")
    open_ = billable and unbilled
    return {
        "entries": 1,
        "tracked_seconds": tracked,
        "rounded_seconds": rounded,
        "billable_seconds": rounded if billable else 0,
        "amount": amount,
        "unbilled_seconds": rounded if open_ else 0,
        "unbilled_amount": amount if open_ else Decimal("0"),
    }


class Deltas:
    """Changes to several (task, person) totals, gathered and then written with one UPDATE each."""

    def __init__(self):
        self.by_key = defaultdict(lambda: dict(ZERO))

    def add(self, key, figures, sign=1):
        kept = self.by_key[key]
        for name in FIELDS:
            kept[name] += sign * figures[name]

    def entry(self, entry, sign=1):
        self.add((entry.task_id, entry.user_id), contribution(entry), sign)

    def write(self):
        """Apply the changes; the caller holds the tasks' row locks (the write path's lock order), so no two
        writers move the same row at once."""
        rebuilt = set()
        for (task_id, user_id), change in self.by_key.items():
            if not any(change.values()) or task_id in rebuilt:
                continue
            updated = TaskTotal.objects.filter(task_id=task_id, user_id=user_id).update(
                **{name: F(name) + change[name] for name in FIELDS}
            )
            if not updated and any(value < 0 for value in change.values()):
                # Time taken away from a row that was never kept (written before the totals existed):
                # count the task afresh rather than store a negative.
                rebuild([task_id])
                rebuilt.add(task_id)  # its other rows are counted afresh too
            elif not updated:
                TaskTotal.objects.create(task_id=task_id, user_id=user_id, **change)
        self.by_key.clear()


def move(before=None, after=None):
    """Move the totals for one entry changing from `before` (a `snapshot`) to `after` (either may be None)."""
    deltas = Deltas()
    if before is not None:
        deltas.add(before[0], before[1], -1)
    if after is not None:
        deltas.entry(after)
    deltas.write()


def snapshot(entry):
    """((task id, user id), contribution) of an entry as it stands, to pass to `move` after a change."""
    return (entry.task_id, entry.user_id), contribution(entry)


def fresh(task_ids=None):
    """The totals recomputed from the entries, per (task id, user id) (no row for no stopped time)."""
    entries = TimeEntry.objects.stopped()
    if task_ids is not None:
        entries = entries.filter(task_id__in=task_ids)
    rows = (
        entries.order_by()
        .values("task_id", "user_id")
        .annotate(
            n=Count("pk"),
            tracked=Sum("duration_seconds"),
            rounded=Sum("rounded_seconds"),
            billable_rounded=Sum("rounded_seconds", filter=Q(billable=True), default=0),
            money=Sum("amount", default=Decimal("0")),
            open_seconds=Sum("rounded_seconds", filter=UNBILLED_BILLABLE, default=0),
            open_money=Sum("amount", filter=UNBILLED_BILLABLE, default=Decimal("0")),
        )
    )
    return {
        (row["task_id"], row["user_id"]): {
            "entries": row["n"],
            "tracked_seconds": row["tracked"],
            "rounded_seconds": row["rounded"],
            "billable_seconds": row["billable_rounded"],
            "amount": Decimal(row["money"]),
            "unbilled_seconds": row["open_seconds"],
            "unbilled_amount": Decimal(row["open_money"]),
        }
        for row in rows
    }


def kept(task_ids=None):
    totals = TaskTotal.objects.all()
    if task_ids is not None:
        totals = totals.filter(task_id__in=task_ids)
    rows = totals.values("task_id", "user_id", *FIELDS)
    return {(row["task_id"], row["user_id"]): {name: row[name] for name in FIELDS} for row in rows}


def compare(task_ids=None):
    """[((task id, user id), field, kept, fresh)] for every figure that differs; empty when all agree."""
    want, have = fresh(task_ids), kept(task_ids)
    differences = []
    for key in sorted(set(want) | set(have)):
        wanted, held = want.get(key, ZERO), have.get(key, ZERO)
        differences += [
            (key, name, held[name], wanted[name]) for name in FIELDS if held[name] != wanted[name]
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
    return len(want)
