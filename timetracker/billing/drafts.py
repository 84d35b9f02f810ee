"""What an invoice would say before anything is written: the client's unbilled entries grouped into lines
in the database (one row per line, never every entry in memory), and a fingerprint of the selection that a
confirmation must still match. billing/invoicing.py turns a draft into an invoice.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, DecimalField, Max, Min, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from timetracker.accounts.models import User
from timetracker.billing.choices import Grouping, RoundingScope
from timetracker.billing.models import Settings
from timetracker.clients.models import Project
from timetracker.lib import dates
from timetracker.lib.money import format_money
from timetracker.tasks.models import Task, TimeEntry

CENT = Decimal("0.01")


class InvoicingError(Exception):
    """Something an invoice cannot do; the message says why in words a bookkeeper understands."""


@dataclass
class DraftLine:
    description: str
    seconds: int
    unit_price: Decimal
    amount: Decimal
    entry_count: int = 0
    # Which of the draft's entries the line bills: its group's key and rate, applied to the draft's entries.
    selection: Q = field(default_factory=Q)
    task_id: int | None = None
    project_id: int | None = None
    user_id: int | None = None


@dataclass
class Draft:
    """What an invoice would say, before anything is written."""

    client: object
    grouping: str
    rounding_scope: str
    lines: list
    subtotal: Decimal
    tax_rate: Decimal
    tax_amount: Decimal
    total: Decimal
    unrated_entries: int
    entries: object = None  # the queryset the lines were grouped from
    fingerprint: str = ""

    @property
    def entry_ids(self):
        """Every id (a query; pages carry the fingerprint instead)."""
        return sorted(self.entries.values_list("pk", flat=True))

    @property
    def entry_count(self):
        return sum(line.entry_count for line in self.lines)

    @property
    def seconds(self):
        return sum(line.seconds for line in self.lines)


def billable_entries(*, client, start=None, end=None, project=None):
    """The client's stopped, billable, not yet invoiced entries that started in [start, end] (local dates)."""
    entries = TimeEntry.objects.filter(task__client=client).unbilled_billable()
    if start:
        entries = entries.filter(started_at__gte=dates.local_midnight(start))
    if end:
        entries = entries.filter(started_at__lt=dates.local_midnight(end + timedelta(days=1)))
    if project:
        entries = entries.filter(task__project=project)
    return entries.order_by("started_at", "pk")


def preview(
    *, client, start=None, end=None, project=None, grouping=Grouping.TASK, rounding_scope=RoundingScope.ENTRY
):
    entries = billable_entries(client=client, start=start, end=end, project=project)
    return build_draft(entries, client=client, grouping=grouping, rounding_scope=rounding_scope)


def fingerprint(rows):
    """What a preview showed, in a few characters: how many entries, the newest id, the sum of their ids,
    their rounded time and money (a re-rate between preview and confirmation changes what the invoice would
    say). A confirmation whose selection no longer matches is refused, without carrying every id in the
    page. Read off the draft's grouped rows: no second pass over the entries."""
    if not rows:
        return ""
    cents = int(sum((row["money"] or 0 for row in rows), Decimal("0")) * 100)
    figures = (
        sum(row["n"] for row in rows),
        max(row["last_pk"] for row in rows),
        sum(row["id_sum"] for row in rows),
        sum(row["rounded"] for row in rows),
        cents,
    )
    return "-".join(str(value) for value in figures)


# What a line groups by, per grouping; a line also holds one rate only.
GROUP_KEYS = {
    Grouping.ENTRY: ("pk",),
    Grouping.TASK: ("task_id",),
    Grouping.PROJECT: ("task__project_id",),
    Grouping.USER: ("user_id",),
}
# What the description and the line's links read; each follows from the group's key.
GROUP_DETAILS = {
    Grouping.ENTRY: ("task_id", "task__project_id", "user_id", "task__title", "description", "started_at"),
    Grouping.TASK: ("task__project_id", "task__title", "task__project__name"),
    Grouping.PROJECT: ("task__project__name",),
    Grouping.USER: (),
}


def build_draft(entries, *, client, grouping, rounding_scope):
    """Group entries into lines. A line holds one rate only, so quantity x unit price is always its amount."""
    if grouping not in Grouping.values:
        raise InvoicingError(
            f'"{grouping}" is not a way to group lines; use one of {", ".join(Grouping.values)}.'
        )
    if rounding_scope not in RoundingScope.values:
        raise InvoicingError(f'"{rounding_scope}" is not a rounding choice; use "entry" or "line".')
    settings = Settings.load().for_client(client)
    policy = settings.rounding_policy()
    rate = Coalesce(
        "hourly_rate", Value(Decimal("0")), output_field=DecimalField(max_digits=10, decimal_places=2)
    )
    # Grouped in the database: one row per line, never every entry in memory. Grouped by the line's key
    # alone; the names a line shows follow from its key and are read afterwards for the few lines (sorting
    # 270k entries by task title and project name as well costs a second).
    details = GROUP_DETAILS[grouping] if grouping == Grouping.ENTRY else ()
    rows = list(
        entries.order_by()
        .annotate(line_rate=rate)
        .values(*GROUP_KEYS[grouping], *details, "line_rate")
        .annotate(
            n=Count("pk"),
            rounded=Sum("rounded_seconds"),
            tracked=Sum("duration_seconds"),
            unrated=Count("pk", filter=Q(hourly_rate__isnull=True)),
            first=Min("started_at"),
            first_pk=Min("pk"),
            last_pk=Max("pk"),
            id_sum=Sum("pk"),
            money=Sum("amount"),
        )
        .order_by("first", "first_pk")
    )
    _add_details(rows, grouping)
    key_of = lambda row: tuple(row[name] for name in GROUP_KEYS[grouping])  # noqa: E731
    rates_per_group = {}
    for row in rows:
        rates_per_group.setdefault(key_of(row), set()).add(row["line_rate"])
    people = _people(rows) if grouping == Grouping.USER else {}
    money = settings.money_format()
    lines = []
    for row in rows:
        line_rate = row["line_rate"]
        seconds = policy.apply(row["tracked"]) if rounding_scope == RoundingScope.LINE else row["rounded"]
        by_rate = Q(hourly_rate=line_rate) if line_rate else Q(hourly_rate__isnull=True) | Q(hourly_rate=0)
        lines.append(
            DraftLine(
                # Two lines of one task at different rates must still be told apart.
                description=_describe(row, grouping, people)
                + (
                    f" at {format_money(line_rate, money)}/h" if len(rates_per_group[key_of(row)]) > 1 else ""
                ),
                seconds=seconds,
                unit_price=line_rate,
                amount=(Decimal(seconds) * line_rate / 3600).quantize(CENT, rounding=ROUND_HALF_UP),
                entry_count=row["n"],
                selection=Q(**dict(zip(GROUP_KEYS[grouping], key_of(row), strict=True))) & by_rate,
                task_id=row.get("task_id") if grouping in (Grouping.ENTRY, Grouping.TASK) else None,
                project_id=row.get("task__project_id") if grouping != Grouping.USER else None,
                user_id=row.get("user_id") if grouping in (Grouping.ENTRY, Grouping.USER) else None,
            )
        )
    subtotal = sum((line.amount for line in lines), Decimal("0"))
    tax_amount = (subtotal * settings.tax_rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    return Draft(
        client=client,
        grouping=grouping,
        rounding_scope=rounding_scope,
        lines=lines,
        subtotal=subtotal,
        tax_rate=settings.tax_rate,
        tax_amount=tax_amount,
        total=subtotal + tax_amount,
        unrated_entries=sum(row["unrated"] for row in rows),
        entries=entries,
        fingerprint=fingerprint(rows),
    )


def _add_details(rows, grouping):
    """The task's title and project, or the project's name, of each grouped row (GROUP_DETAILS)."""
    if grouping == Grouping.TASK:
        tasks = Task.objects.filter(pk__in={row["task_id"] for row in rows}).values(
            "pk", "project_id", "title", "project__name"
        )
        named = {task["pk"]: task for task in tasks}
        for row in rows:
            task = named[row["task_id"]]
            row["task__project_id"], row["task__title"] = task["project_id"], task["title"]
            row["task__project__name"] = task["project__name"]
    elif grouping == Grouping.PROJECT:
        names = dict(
            Project.objects.filter(pk__in={row["task__project_id"] for row in rows}).values_list("pk", "name")
        )
        for row in rows:
            row["task__project__name"] = names.get(row["task__project_id"])


def _describe(row, grouping, people):
    if grouping == Grouping.ENTRY:
        day = timezone.localtime(row["started_at"]).strftime("%d %b %Y")
        return f"{day} · {row['task__title']}" + (f": {row['description']}" if row["description"] else "")
    if grouping == Grouping.TASK:
        project = row["task__project__name"]
        return f"{project}: {row['task__title']}" if project else row["task__title"]
    if grouping == Grouping.PROJECT:
        return row["task__project__name"] or "Other work"
    return str(people[row["user_id"]])


def _people(rows):
    return User.objects.in_bulk({row["user_id"] for row in rows})
