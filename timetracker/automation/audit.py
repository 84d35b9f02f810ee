"""The audit trail: each time entry linked to the bucket (contract) it counts against, the invoice line and
invoice that billed it and the payments on that invoice, with every recorded change (django-simple-history's
HistoricalTimeEntry and HistoricalTask rows): field, old -> new, who and when.

Read a month at a time and a page at a time. `trail(page)` answers for a page of entries in a fixed number of
queries (payments, history rows and the objects their values name are each read once for the whole page),
so the client, bucket and invoice pages and the CSV export cost the same at ten entries as at a million.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.utils import timezone

from timetracker.billing.models import InvoiceLine, Payment
from timetracker.buckets.models import Bucket
from timetracker.clients.models import Client, Project
from timetracker.lib.dates import FIRST_YEAR, LAST_YEAR, agency_day, agency_zone, month_bounds
from timetracker.lib.durations import format_duration
from timetracker.lib.money import format_money
from timetracker.tasks.models import Task, TimeEntry

# The entry fields whose changes the trail shows, with their labels; bookkeeping (updated_at, paused_at,
# timer_mode) is left out: it changes on every save and says nothing an auditor asks about.
ENTRY_FIELDS = {
    "task": "Task",
    "user": "Person",
    "started_at": "Start",
    "ended_at": "End",
    "paused_seconds": "Paused",
    "duration_seconds": "Tracked",
    "rounded_seconds": "Rounded",
    "billable": "Billable",
    "hourly_rate": "Rate",
    "rate_source": "Rate from",
    "amount": "Amount",
    "description": "Description",
    "invoice_line": "Invoice line",
    "billed_elsewhere": "Billed elsewhere",
}
# A task's changes that move its entries between contracts and invoices (status flips with every timer).
TASK_FIELDS = {
    "title": "Title",
    "client": "Client",
    "project": "Project",
    "bucket": "Bucket",
    "billable": "Billable",
    "payment_status": "Payment status",
}
SECONDS_FIELDS = {"paused_seconds", "duration_seconds", "rounded_seconds"}
KINDS = {"+": "Recorded", "~": "Changed", "-": "Deleted"}


# Periods -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    """A calendar month of the agency: the trail's period. [start, end) are aware local midnights."""

    first: date

    @property
    def label(self):
        return f"{self.first:%B %Y}"

    @property
    def short(self):
        return f"{self.first:%b %Y}"

    @property
    def key(self):
        return f"{self.first:%Y-%m}"

    @property
    def last(self):
        return (self.first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)

    def bounds(self):
        return month_bounds(self.first, agency_zone())

    @property
    def previous(self):
        before = self.first - timedelta(days=1)
        return Month(before.replace(day=1)) if before.year >= FIRST_YEAR else None

    @property
    def next(self):
        after = (self.first.replace(day=28) + timedelta(days=4)).replace(day=1)
        return Month(after) if after.year <= LAST_YEAR else None


def month_of(text, *, today=None):
    """(Month, error): the month `YYYY-MM` names, else this month and a message saying what was wrong."""
    this_month = Month((today or agency_day(timezone.now())).replace(day=1))
    if not text:
        return this_month, ""
    try:
        first = datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        return this_month, f"“{text}” is not a month; write it as YYYY-MM (e.g. 2026-11). Showing this month."
    if not FIRST_YEAR <= first.year <= LAST_YEAR:
        return this_month, f"Choose a month between {FIRST_YEAR} and {LAST_YEAR}. Showing this month."
    return Month(first), ""


# Which entries ---------------------------------------------------------------------------------------------


def _page_order(entries):
    # Related rows the trail shows for every entry, joined once; time order, the id breaking ties.
    return entries.select_related("task__bucket", "task__client", "user", "invoice_line__invoice").order_by(
        "started_at", "pk"
    )


def client_entries(client, month):
    return _page_order(TimeEntry.objects.filter(task__client=client).in_period(*month.bounds()))


def bucket_entries(bucket, month):
    """Every entry of the bucket's tasks in the month; `TrailRow.counted` says whether it counts."""
    return _page_order(TimeEntry.objects.filter(task__bucket=bucket).in_period(*month.bounds()))


def line_entries(line):
    """The entries on an invoice line now, and those its history says were on it (released when the invoice
    was canceled): the indexed invoice_line_id of the history table finds them."""
    # A UNION of two index scans: `invoice_line = x OR id IN (...)` made PostgreSQL read every entry (10 s
    # for an invoice's CSV at a million entries).
    on_it = TimeEntry.objects.filter(invoice_line=line).values("pk")
    once_on_it = TimeEntry.history.filter(invoice_line_id=line.pk).values("id")
    return _page_order(TimeEntry.objects.filter(pk__in=on_it.union(once_on_it)))


def line_counts(invoice):
    """(line, entries on it now, entries ever on it) for each of the invoice's lines, in two grouped queries."""
    lines = list(invoice.lines.annotate(now=Count("entries")))
    ever = dict(
        TimeEntry.history.filter(invoice_line_id__in=[line.pk for line in lines])
        .values("invoice_line_id")
        .annotate(n=Count("id", distinct=True))
        .order_by()
        .values_list("invoice_line_id", "n")
    )
    return [(line, line.now, max(line.now, ever.get(line.pk, 0))) for line in lines]


# The trail of a page ---------------------------------------------------------------------------------------


@dataclass
class Change:
    when: datetime
    who: object  # a User or None (the system: imports, the worker)
    kind: str  # Recorded, Changed, Deleted
    reason: str
    fields: list = field(default_factory=list)  # of (label, old text, new text)


@dataclass
class TrailRow:
    entry: TimeEntry
    bucket: Bucket | None
    counted: bool  # whether the entry counts against `bucket` (stopped, and billable if it must be)
    line: InvoiceLine | None
    invoice: object
    line_position: int | None
    payments: list
    changes: list


@dataclass
class Trail:
    rows: list
    task_changes: list  # of (task, [Change]) for the tasks on the page that have changes


def trail(entries, *, money_format, task_changes_in=None):
    """The TrailRows of a page of entries (an evaluated list, as `_page_order` selects them), and when
    `task_changes_in` is a (start, end) the changes made to their tasks in that time."""
    entries = list(entries)
    invoice_ids = {e.invoice_line.invoice_id for e in entries if e.invoice_line_id}
    payments = {}
    if invoice_ids:
        for payment in (
            Payment.objects.filter(invoice_id__in=invoice_ids)
            .select_related("recorded_by")
            .order_by("paid_on", "pk")
        ):
            payments.setdefault(payment.invoice_id, []).append(payment)
    history = _history(TimeEntry, [e.pk for e in entries])
    names = _Names(money_format)
    names.collect(history, ENTRY_FIELDS)
    task_history = {}
    if task_changes_in:
        task_history = _task_history(sorted({e.task_id for e in entries}), *task_changes_in)
        names.collect(task_history, TASK_FIELDS)
    # The lines the entries are on now are numbered in the same query as the lines their history names.
    names.wanted.setdefault("invoice_line", set()).update(
        e.invoice_line_id for e in entries if e.invoice_line_id
    )
    names.load()
    positions = names.line_numbers
    rows = []
    for entry in entries:
        line = entry.invoice_line
        bucket = entry.task.bucket
        rows.append(
            TrailRow(
                entry=entry,
                bucket=bucket,
                counted=bucket is not None and bucket.counts(entry),
                line=line,
                invoice=line.invoice if line else None,
                line_position=positions.get(line.pk) if line else None,
                payments=payments.get(line.invoice_id, []) if line else [],
                changes=names.changes(history.get(entry.pk, []), ENTRY_FIELDS),
            )
        )
    tasks = {e.task_id: e.task for e in entries}
    task_changes = [
        (tasks[pk], changes)
        for pk in sorted(task_history)
        if (changes := [c for c in names.changes(task_history[pk], TASK_FIELDS) if c.fields])
    ]
    return Trail(rows=rows, task_changes=task_changes)


def _numbered_lines(ids):
    """The invoice lines `ids` with their invoice and `number`, the line's place on its invoice as the invoice
    shows it (1, 2, ...: by position, then id), in one query."""
    before = (
        InvoiceLine.objects.filter(invoice=OuterRef("invoice"))
        .filter(
            Q(position__lt=OuterRef("position")) | Q(position=OuterRef("position"), pk__lte=OuterRef("pk"))
        )
        .order_by()
        .values("invoice")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return InvoiceLine.objects.filter(pk__in=ids).select_related("invoice").annotate(number=Subquery(before))


def _task_history(ids, start, end):
    """{task id: its history records in [start, end), after the last one before `start` to diff against}.

    A task's history grows with every timer started or paused on it (its status follows), so it is read for
    the period, not whole: the rows in it, then for the tasks that have some, the newest row before it. Two
    plain queries on the history's indexed id: an OR of the two made SQLite scan the whole table."""
    history = Task.history.model.objects.select_related("history_user")
    in_period = list(history.filter(id__in=ids, history_date__gte=start, history_date__lt=end))
    if not in_period:
        return {}
    before = (
        Task.history.model.objects.filter(id__in={r.id for r in in_period}, history_date__lt=start)
        .values("id")
        .annotate(last=Max("history_id"))
        .values("last")
    )
    records = sorted(
        [*history.filter(history_id__in=before), *in_period],
        key=lambda r: (r.id, r.history_date, r.history_id),
    )
    grouped = {}
    for record in records:
        grouped.setdefault(record.id, []).append(record)
    return grouped


def _history(model, ids):
    """{object id: its history records, oldest first}, one query for all of them."""
    if not ids:
        return {}
    records = (
        model.history.filter(id__in=ids)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    grouped = {}
    for record in records:
        grouped.setdefault(record.id, []).append(record)
    return grouped


class _Names:
    """Turns recorded values into text; the objects foreign keys name are read once for the whole page."""

    def __init__(self, money_format):
        self.money_format = money_format
        self.wanted = {}
        self.loaded = {}
        self.line_numbers = {}
        # The foreign keys a trail shows, with the text each names (an invoice line's is built in `load`).
        self.loaders = {
            "task": (Task, lambda t: t.title),
            "user": (get_user_model(), str),
            "client": (Client, lambda c: c.name),
            "project": (Project, lambda p: p.name),
            "bucket": (Bucket, lambda b: b.title),
            "invoice_line": (InvoiceLine, None),
        }

    def collect(self, history, fields):
        """Note the objects named by the foreign keys that changed (only those are shown)."""
        keys = [f"{name}_id" for name in fields if name in self.loaders]
        for records in history.values():
            for previous, record in pairwise(records):
                for key in keys:
                    if getattr(record, key) != getattr(previous, key):
                        values = {getattr(record, key), getattr(previous, key)} - {None}
                        self.wanted.setdefault(key.removesuffix("_id"), set()).update(values)

    def load(self):
        for name, ids in self.wanted.items():
            model, text = self.loaders[name]
            if not ids:
                continue
            if name == "invoice_line":
                lines = list(_numbered_lines(ids))
                self.line_numbers = {line.pk: line.number for line in lines}
                self.loaded[name] = {
                    line.pk: f"Invoice {line.invoice.number}, line {line.number}" for line in lines
                }
            else:
                self.loaded[name] = {obj.pk: text(obj) for obj in model.objects.filter(pk__in=ids)}

    def text(self, record, name, model_field):
        if name in self.loaders:
            value = getattr(record, f"{name}_id")
            if value is None:
                return "—"
            return self.loaded.get(name, {}).get(value, f"#{value} (deleted)")
        value = getattr(record, name)
        if value is None or value == "":
            return "—"
        if name in SECONDS_FIELDS:
            return format_duration(int(value))
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if isinstance(value, datetime):
            return timezone.localtime(value, agency_zone()).strftime("%d %b %Y %H:%M")
        if isinstance(value, Decimal) and name != "hourly_rate":
            return format_money(value, self.money_format)
        if model_field.choices:
            return str(dict(model_field.choices).get(value, value))
        return str(value)

    def changes(self, records, fields):
        out, previous = [], None
        for record in records:
            model = record.instance_type
            differences = []
            if previous is not None:
                for name, label in fields.items():
                    model_field = model._meta.get_field(name)
                    attname = model_field.attname
                    if getattr(record, attname) != getattr(previous, attname):
                        differences.append(
                            (
                                label,
                                self.text(previous, name, model_field),
                                self.text(record, name, model_field),
                            )
                        )
            kind = KINDS.get(record.history_type, record.history_type)
            if record.history_type != "~" or differences:
                out.append(
                    Change(
                        when=record.history_date,
                        who=record.history_user,
                        kind=kind,
                        reason=record.history_change_reason or "",
                        fields=differences,
                    )
                )
            previous = record
        return out
