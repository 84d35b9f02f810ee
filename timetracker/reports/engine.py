"""The grouped-totals engine: one report spec, one database aggregate, rows with subtotals and totals.

The Reports page, its exports, share pages, e-mails and GET /api/v1/reports/summary all call `run`. Totals are
added up from the rows shown, never queried separately, so they always equal the sum of the rows.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, DateField, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Cast, TruncDate, TruncMonth, TruncWeek
from django.http import QueryDict
from django.utils import timezone

from timetracker.billing.models import Settings
from timetracker.clients.models import Site
from timetracker.lib.dates import is_agency_zone, zone
from timetracker.reports import ranges
from timetracker.reports.filters import NAMES as FILTER_NAMES
from timetracker.reports.filters import ReportFilter
from timetracker.tasks.models import CENT, DayTotal, TimeEntry

DIMENSIONS = {
    "client": "Client",
    "project": "Project",
    "task": "Task",
    "site": "Site",
    "bucket": "Bucket",
    "user": "Person",
    "day": "Day",
    "week": "Week",
    "month": "Month",
    "billable": "Billable",
}
DATES = ("day", "week", "month")
# The label of an id dimension: fields read in the same aggregate (grouping by them too costs less than a
# query per dimension), how they make the label, and the label of "none".
_NAMED = {
    "client": ({"name": "task__client__name"}, lambda p: p["name"], "No client"),
    "project": ({"name": "task__project__name"}, lambda p: p["name"], "No project"),
    "task": ({"name": "task__title"}, lambda p: p["name"], "No task"),
    "site": ({"name": "site_name"}, lambda p: p["name"], "No site"),
    "bucket": ({"name": "task__bucket__title"}, lambda p: p["name"], "No bucket"),
    # As User.__str__: the full name, else the username.
    "user": (
        {"first": "user__first_name", "last": "user__last_name", "username": "user__username"},
        lambda p: f"{p['first']} {p['last']}".strip() or p["username"],
        "Nobody",
    ),
}


class InvalidSpec(ValueError):
    """A spec that cannot run; `errors` maps a field name to its messages."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__("; ".join(f"{name}: {' '.join(map(str, msgs))}" for name, msgs in errors.items()))


@dataclass
class ReportSpec:
    """What a report shows; saved as JSON (`to_json`), carried in page URLs (`to_query`)."""

    group: str = "client"
    sub_group: str = ""
    range: str = ranges.DEFAULT
    # Filter name -> the values as given (ids as text); validated against the viewer by ReportFilter.
    filters: dict[str, list[str]] = field(default_factory=dict)

    def validate(self):
        errors = {}
        if self.group not in DIMENSIONS:
            errors["group"] = [f'"{self.group}" is not one of {", ".join(DIMENSIONS)}.']
        if self.sub_group and self.sub_group not in DIMENSIONS:
            errors["sub_group"] = [f'"{self.sub_group}" is not one of {", ".join(DIMENSIONS)}.']
        elif self.sub_group and self.sub_group == self.group:
            errors["sub_group"] = ["The sub-group must differ from the group."]
        unknown = set(self.filters) - set(FILTER_NAMES)
        if unknown:
            errors["filters"] = [f'Unknown filter "{sorted(unknown)[0]}".']
        if errors:
            raise InvalidSpec(errors)

    @property
    def dimensions(self):
        return [self.group, self.sub_group] if self.sub_group else [self.group]

    def to_json(self):
        return {
            "v": 1,
            "group": self.group,
            "sub_group": self.sub_group,
            "range": self.range,
            "filters": self.filters,
        }

    @classmethod
    def from_json(cls, data):
        filters = {
            str(k): [str(v) for v in (vs if isinstance(vs, list) else [vs])]
            for k, vs in data.get("filters", {}).items()
        }
        return cls(
            group=data.get("group", "client"),
            sub_group=data.get("sub_group", "") or "",
            range=data.get("range", ranges.DEFAULT),
            filters={k: v for k, v in filters.items() if any(v)},
        )

    def to_query(self):
        """The page's query string for this spec (a custom range as from/to dates)."""
        query = QueryDict(mutable=True)
        query["group"] = self.group
        if self.sub_group:
            query["sub_group"] = self.sub_group
        if self.range.startswith("custom:"):
            first, _, last = self.range.removeprefix("custom:").partition("..")
            query.update({"range": "custom", "from": first, "to": last})
        else:
            query["range"] = self.range
        for name, values in self.filters.items():
            query.setlist(name, values)
        return query

    @classmethod
    def from_query(cls, query):
        """The spec in a page URL; only the shape is read here, the values are checked by `run`."""
        range_ = query.get("range") or ranges.DEFAULT
        if range_ == "custom":
            range_ = f"custom:{query.get('from', '')}..{query.get('to', '')}"
        filters = {name: [v for v in query.getlist(name) if v != ""] for name in FILTER_NAMES}
        return cls(
            group=query.get("group") or "client",
            sub_group=query.get("sub_group") or "",
            range=range_,
            filters={name: values for name, values in filters.items() if values},
        )


@dataclass
class Figures:
    entries: int = 0
    duration: int = 0
    rounded: int = 0
    billable: int = 0
    amount: Decimal | None = Decimal("0")

    def add(self, other):
        self.entries += other.entries
        self.duration += other.duration
        self.rounded += other.rounded
        self.billable += other.billable
        if self.amount is not None:
            self.amount = None if other.amount is None else self.amount + other.amount

    @property
    def non_billable(self):
        return self.rounded - self.billable


@dataclass
class Row:
    dimension: str
    key: object
    label: str
    figures: Figures
    children: list["Row"] = field(default_factory=list)
    # {dimension: key} from the top level down to this row: what a drill-down narrows to.
    path: dict = field(default_factory=dict)


@dataclass
class Report:
    spec: ReportSpec
    period: ranges.Period
    tz: object
    week_start: int
    rows: list[Row]
    totals: Figures
    show_amounts: bool
    currency_code: str
    money_format: object
    entries: object  # the filtered QuerySet, for timelines and detailed exports
    filterset: ReportFilter
    viewer: object = None
    kept: bool = False  # whether the aggregates read the kept day totals (see `source`)

    @property
    def dimensions(self):
        return self.spec.dimensions


def viewer_zone(user):
    try:
        return zone(user.time_zone)
    except ValueError:
        return zone(timezone.get_default_timezone_name())


def _week(day, week_start, direct):
    if week_start == 0:
        return direct
    # Weeks that start on another weekday: shift the local date back, take the ISO week, shift forward.
    # All in date arithmetic on the local day, so a DST switch cannot move an entry across midnight.
    shift = Value(timedelta(days=week_start))
    shifted = Cast(ExpressionWrapper(day - shift, output_field=DateField()), DateField())
    return Cast(
        ExpressionWrapper(TruncWeek(shifted, output_field=DateField()) + shift, output_field=DateField()),
        DateField(),
    )


def _dates(dimension, tz, week_start, kept):
    """A day, week or month key: of the kept rows' agency `day`, or of each entry's start in `tz`."""
    if kept:
        day = F("day")
        direct = {
            "week": TruncWeek("day", output_field=DateField()),
            "month": TruncMonth("day", output_field=DateField()),
        }
    else:
        day = TruncDate("started_at", tzinfo=tz)
        direct = {
            "week": TruncWeek("started_at", tzinfo=tz, output_field=DateField()),
            "month": TruncMonth("started_at", tzinfo=tz, output_field=DateField()),
        }
    if dimension == "day":
        return day
    if dimension == "week":
        return _week(day, week_start, direct["week"])
    return direct["month"]


def expression(dimension, tz, week_start, kept=False):
    """The group key of `dimension` on entries, or on the kept day totals when `kept`."""
    if dimension in DATES:
        return _dates(dimension, tz, week_start, kept)
    if dimension == "site":
        # Grouped under the task's first site: with several sites an entry would otherwise count twice.
        return Subquery(Site.objects.filter(tasks=OuterRef("task_id")).order_by("pk").values("pk")[:1])
    return {
        "client": F("task__client_id"),
        "project": F("task__project_id"),
        "task": F("task_id"),
        "bucket": F("task__bucket_id"),
        "user": F("user_id"),
        "billable": F("billable"),
    }[dimension]


def as_date(value):
    # SQLite hands back some truncated dates as datetimes; every key of a date dimension is a date.
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def label(dimension, key, parts=None):
    """The text of a row: `parts` are the label fields read with an id dimension."""
    if dimension in _NAMED:
        return _NAMED[dimension][1](parts) if key is not None else _NAMED[dimension][2]
    if dimension == "day":
        return f"{key:%a %d %b %Y}"
    if dimension == "week":
        return f"Week of {key:%d %b %Y}"
    if dimension == "month":
        return f"{key:%B %Y}"
    return "Billable" if key else "Non-billable"


def _label_fields(dimension, i):
    if dimension not in _NAMED:
        return {}
    fields = {}
    for part, source in _NAMED[dimension][0].items():
        if source == "site_name":
            first = Site.objects.filter(tasks=OuterRef("task_id")).order_by("pk")
            fields[f"l{i}_{part}"] = Subquery(first.values("name")[:1])
        else:
            fields[f"l{i}_{part}"] = F(source)
    return fields


def _order(row):
    if row.dimension == "billable":
        return (not row.key,)
    if row.dimension in DATES:
        return (row.key,)
    return (row.key is None, row.label.lower(), row.key or 0)


def _empty(show_amounts):
    return Figures(amount=Decimal("0") if show_amounts else None)


def filtered_entries(spec, viewer, period):
    """The viewer's stopped entries in the period that pass the spec's filters, and the FilterSet."""
    entries = TimeEntry.objects.for_user(viewer).stopped()
    if period.start:
        entries = entries.filter(started_at__gte=period.start)
    if period.end:
        entries = entries.filter(started_at__lt=period.end)
    data = QueryDict(mutable=True)
    for name, values in spec.filters.items():
        data.setlist(name, values)
    filterset = ReportFilter(data, queryset=entries, user=viewer)
    if not filterset.is_valid():
        raise InvalidSpec({name: list(msgs) for name, msgs in filterset.errors.items()})
    return filterset.qs, filterset


# The sums of each source, under one set of names.
ENTRY_SUMS = {
    "n": Count("pk"),
    "tracked": Sum("duration_seconds"),
    "rounded_s": Sum("rounded_seconds"),
    "billable_s": Sum("rounded_seconds", filter=Q(billable=True)),
    "amount_sum": Sum("amount"),
}
KEPT_SUMS = {
    "n": Sum("entries"),
    "tracked": Sum("tracked_seconds"),
    "rounded_s": Sum("rounded_seconds"),
    "billable_s": Sum("billable_seconds"),
    "amount_sum": Sum("amount"),
}
# Filters on a task's or a person's fields: the kept day totals carry them. Text, billable and invoiced look
# inside entries, and so does grouping by billable.
KEPT_FILTERS = {"client", "project", "task", "site", "bucket", "user"}


def reads_kept_totals(spec, tz):
    """Whether the kept day totals (tasks.DayTotal) give the same figures as the entries: they are filed by
    the agency's days, so only for a viewer whose days those are."""
    return is_agency_zone(tz) and "billable" not in spec.dimensions and set(spec.filters) <= KEPT_FILTERS


def source(report):
    """(rows, sums, kept): what the report's aggregates read, the kept day totals when they can serve."""
    if not report.kept:
        return report.entries, ENTRY_SUMS, False
    rows = DayTotal.objects.for_user(report.viewer).exclude(entries=0)
    if report.period.first:
        rows = rows.filter(day__gte=report.period.first)
    if report.period.last:
        rows = rows.filter(day__lte=report.period.last)
    # The same filters, already checked against the viewer, applied to the kept rows' task and person.
    return report.filterset.filter_queryset(rows), KEPT_SUMS, True


def run(spec, viewer, *, tz=None, show_amounts=None, today=None, agency=None, kept=None):
    """Run `spec` as `viewer` sees time: their scope, their zone (unless `tz`), their right to see money.
    `agency` is the Settings row when the caller has loaded it already; `kept=False` reads the entries even
    where the kept totals could serve (parity tests, benchmarks)."""
    spec.validate()
    settings = agency or Settings.load()
    tz = zone(tz) if tz else viewer_zone(viewer)
    week_start = int(settings.week_start)
    try:
        period = ranges.resolve(spec.range, tz=tz, week_start=week_start, today=today)
    except ValueError as error:
        raise InvalidSpec({"range": [str(error)]}) from None
    entries, filterset = filtered_entries(spec, viewer, period)
    if show_amounts is None:
        show_amounts = settings.can_see_rates(viewer)

    report = Report(
        spec=spec,
        period=period,
        tz=tz,
        week_start=week_start,
        rows=[],
        totals=_empty(show_amounts),
        show_amounts=show_amounts,
        currency_code=settings.currency_code,
        money_format=settings.money_format(),
        entries=entries,
        filterset=filterset,
        viewer=viewer,
        kept=reads_kept_totals(spec, tz) if kept is None else kept and reads_kept_totals(spec, tz),
    )
    data, sums, from_kept = source(report)
    keys = {f"g{i}": expression(d, tz, week_start, from_kept) for i, d in enumerate(spec.dimensions)}
    for i, dimension in enumerate(spec.dimensions):
        keys.update(_label_fields(dimension, i))
    aggregated = list(data.annotate(**keys).values(*keys).annotate(**sums).order_by())
    totals = report.totals
    tree = {}
    for row in aggregated:
        figures = Figures(
            entries=row["n"],
            duration=row["tracked"] or 0,
            rounded=row["rounded_s"] or 0,
            billable=row["billable_s"] or 0,
            # Every amount is whole cents; SQLite adds decimals as floats, so the sum comes back as cents again.
            amount=Decimal(row["amount_sum"] or 0).quantize(CENT) if show_amounts else None,
        )
        level, path = tree, {}
        for i, dimension in enumerate(spec.dimensions):
            key = row[f"g{i}"]
            key = as_date(key) if dimension in DATES else key
            path = {**path, dimension: key}
            if key not in level:
                parts = {n.split("_", 1)[1]: v for n, v in row.items() if n.startswith(f"l{i}_")}
                text = label(dimension, key, parts)
                level[key] = (Row(dimension, key, text, _empty(show_amounts), path=path), {})
            level[key][0].figures.add(figures)
            level = level[key][1]
        totals.add(figures)

    def rows(level):
        out = []
        for row, children in level.values():
            row.children = rows(children)
            out.append(row)
        return sorted(out, key=_order)

    report.rows = rows(tree)
    return report


def leaves(report):
    """(row, sub-row or None) for every row at the deepest level, in order."""
    for row in report.rows:
        if row.children:
            for child in row.children:
                yield row, child
        else:
            yield row, None
