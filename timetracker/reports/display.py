"""What the page, the share page, the PDF and the e-mail show of a report: table rows with their drill-down
links and bars, and the chart's geometry."""

from datetime import timedelta

from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import QueryDict
from django.urls import reverse

from timetracker.clients.models import Site
from timetracker.lib.dates import localdate
from timetracker.reports import charts, engine
from timetracker.tasks.models import Task

LINES_PER_PAGE = 100
# Report dimensions the Logs page can filter on, by the same name.
LOGS_FILTERS = ("client", "project", "site", "bucket", "user")


def _unit_end(dimension, day):
    if dimension == "day":
        return day
    if dimension == "week":
        return day + timedelta(days=6)
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def inexact_sites(report):
    """Sites a drill-down cannot show exactly: the report files a task's time under its first site (so totals
    stay the sum of the rows), while the Logs page's site filter finds the task under each of its sites. A site
    that some task of this report has besides its first would show more time in Logs than on its row."""
    if "site" not in report.dimensions:
        return set()
    links = Task.sites.through.objects
    first = Site.objects.filter(tasks=OuterRef("task_id")).order_by("pk").values("pk")[:1]
    tasks = report.entries.order_by().values("task")
    return set(
        links.filter(task__in=tasks).exclude(site=Subquery(first)).values_list("site", flat=True).distinct()
    )


def logs_url(report, path, inexact=frozenset()):
    """The Logs page filtered to a row, or None when Logs cannot show exactly that time."""
    filters = report.spec.filters
    if path.get("site") in inexact:
        return None
    if "task" in filters or "invoiced" in filters or any(len(values) > 1 for values in filters.values()):
        return None
    query = QueryDict(mutable=True)
    for name, values in filters.items():
        query[name] = values[0]
    first, last = report.period.first, report.period.last
    for dimension, key in path.items():
        if dimension in LOGS_FILTERS and key is not None:
            query[dimension] = key
        elif dimension == "billable":
            query["billable"] = "true" if key else "false"
        elif dimension in engine.DATES:
            first = max(first, key) if first else key
            end = _unit_end(dimension, key)
            last = min(last, end) if last else end
        else:  # a task, or "no project": Logs has no such filter
            return None
    if first:
        query["date_from"] = first.isoformat()
    if last:
        query["date_to"] = last.isoformat()
    return f"{reverse('tasks:log_list')}?{query.urlencode()}"


def report_table(report, *, drill=True, page=None):
    """The rows as the table shows them: subtotal rows with their children, bars and drill-down links.

    `page` (of `line_pages`) narrows the table to its lines: a group split across pages shows its subtotal
    on each, marked as continued, with only that page's sub-rows. Exports, e-mails and share pages take all."""
    widths = charts.shares(report.rows)
    inexact = inexact_sites(report) if drill else set()
    if page is None:
        shown = [(row, row.children) for row in report.rows]
    else:
        shown = []
        for row, child in page.object_list:
            if not shown or shown[-1][0] is not row:
                shown.append((row, []))
            if child is not None:
                shown[-1][1].append(child)
    return [
        {
            "row": row,
            "share": widths[id(row)],
            "logs": logs_url(report, row.path, inexact) if drill else None,
            "continued": bool(children) and children[0] is not row.children[0],
            "children": [
                {"row": child, "logs": logs_url(report, child.path, inexact) if drill else None}
                for child in children
            ],
        }
        for row, children in shown
    ]


def line_pages(report, number, per_page=LINES_PER_PAGE):
    """A page of the table's lines (each sub-row, or each row without sub-rows): thousands of groups must not
    render at once. The rows are in memory already (one aggregate, for the totals), so paging costs no query."""
    return Paginator(list(engine.leaves(report)), per_page).get_page(number)


def chart_context(report):
    unit, steps = timeline(report)
    return {"unit": unit, "bars": charts.stacked(unit, steps), "width": charts.WIDTH, "height": charts.HEIGHT}


def email_bars(report):
    """The top-level rows as widths in percent, for the e-mail's table bars (mail clients drop SVG)."""
    widths = charts.shares(report.rows)
    return [{"row": row, "width": max(1, round(widths[id(row)]))} for row in report.rows]


def timeline(report):
    """Billable and non-billable rounded time per day, week or month across the period, for the chart: one
    more aggregate, over the same source as the report (the kept day totals when they serve)."""
    first = report.period.first
    last = report.period.last or localdate(tz=report.tz)
    if first is None:
        return None, []
    days = (last - first).days + 1
    unit = "day" if days <= 62 else "week" if days <= 7 * 30 else "month"
    rows, sums, kept = engine.source(report)
    series = (
        rows.annotate(t=engine.expression(unit, report.tz, report.week_start, kept))
        .values("t")
        .annotate(rounded=sums["rounded_s"], billable=sums["billable_s"])
        .order_by()
    )
    found = {}
    for row in series:
        billable = row["billable"] or 0
        found[engine.as_date(row["t"])] = (billable, (row["rounded"] or 0) - billable)
    steps = []
    cursor = _start_of(unit, first, report.week_start)
    while cursor <= last and len(steps) < 400:
        billable, other = found.get(cursor, (0, 0))
        steps.append((cursor, billable, other))
        cursor = _next(unit, cursor)
    return unit, steps


def _start_of(unit, day, week_start):
    if unit == "week":
        return day - timedelta(days=(day.weekday() - week_start) % 7)
    if unit == "month":
        return day.replace(day=1)
    return day


def _next(unit, day):
    if unit == "day":
        return day + timedelta(days=1)
    if unit == "week":
        return day + timedelta(days=7)
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
