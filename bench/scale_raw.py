"""The yardstick for bench/scale.py: each page's headline figures asked straight from the data, in as few
grouped queries as the data allows, written without the app's QuerySet helpers so that it stays the same
measure when the app changes. Runs inside Django (scale.py's child process)."""

from datetime import datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

PER_PAGE = 25  # the API's default page size


def bounds(user):
    zone = ZoneInfo(user.time_zone)
    today = datetime.now(zone).date()

    def midnight(day):
        return datetime.combine(day, clock(), tzinfo=zone)

    return {
        "zone": zone,
        "day": midnight(today),
        "week": midnight(today - timedelta(days=today.weekday())),
        "month": midnight(today.replace(day=1)),
        "chart": midnight(today - timedelta(days=29)),
    }


def _unbilled_q():
    from django.db.models import Q

    return Q(ended_at__isnull=False, billable=True, invoice_line__isnull=True, billed_elsewhere="")


def _entries(user):
    from timetracker.tasks.models import TimeEntry

    return TimeEntry.objects.all() if user.is_manager else TimeEntry.objects.filter(user=user)


def _tasks(user):
    from django.db.models import Exists, OuterRef, Q

    from timetracker.tasks.models import Task, TimeEntry

    if user.is_manager:
        return Task.objects.all()
    own_time = Exists(TimeEntry.objects.filter(task=OuterRef("pk"), user=user))
    return Task.objects.filter(Q(assignee=user) | Q(created_by=user) | own_time)


def _bucket_usage(buckets):
    """Used seconds of each bucket's current period, one query (the page also carries rollover over)."""
    from django.db.models import Q, Sum

    from timetracker.tasks.models import TimeEntry

    sums = {}
    for pk, (start, end, billable_only) in buckets.items():
        when = Q(task__bucket_id=pk, started_at__gte=start)
        when &= Q(started_at__lt=end) if end else Q()
        when &= Q(billable=True) if billable_only else Q()
        sums[f"b{pk}"] = Sum("rounded_seconds", filter=when)
    stopped = TimeEntry.objects.filter(ended_at__isnull=False, task__bucket_id__in=list(buckets))
    return stopped.aggregate(**sums) if sums else {}


def raw_dashboard(ctx):
    from django.db.models import Count, Q, Sum
    from django.db.models.functions import TruncDate

    from timetracker.clients.models import Client

    user, b, entries = ctx["user"], ctx["bounds"], _entries(ctx["user"])
    figures = entries.aggregate(
        entries=Count("pk"),
        today=Sum("duration_seconds", filter=Q(user=user, started_at__gte=b["day"])),
        week=Sum("duration_seconds", filter=Q(user=user, started_at__gte=b["week"])),
        team_today=Sum("duration_seconds", filter=Q(started_at__gte=b["day"])),
        team_week=Sum("duration_seconds", filter=Q(started_at__gte=b["week"])),
    )
    per_day = list(
        entries.filter(ended_at__isnull=False, started_at__gte=b["chart"])
        .annotate(day=TruncDate("started_at", tzinfo=b["zone"]))
        .values("day")
        .annotate(seconds=Sum("duration_seconds"))
        .values_list("day", "seconds")
    )
    recent = list(
        entries.order_by("-started_at").values_list("pk", "task__client__name", "user__username")[:8]
    )
    unbilled = []
    if user.is_manager:  # Staff see amounts only when the settings allow it (not in the demo)
        unbilled = list(
            entries.filter(_unbilled_q()).values("task__client").annotate(a=Sum("amount")).order_by("-a")[:8]
        )
    buckets = _bucket_usage(ctx["buckets"])  # the buckets near their limit
    clients = Client.objects.filter(archived_at__isnull=True).count()
    return figures, per_day, recent, unbilled, buckets, clients, _tasks(user).count()


def raw_logs(order):
    def figures(ctx):
        from django.db.models import Count, Min, Q, Sum

        entries = _entries(ctx["user"])
        totals = entries.aggregate(
            duration=Sum("duration_seconds"),
            rounded=Sum("rounded_seconds"),
            billable=Sum("rounded_seconds", filter=Q(billable=True)),
            amount=Sum("amount"),
        )
        tasks = entries.order_by().values("task").distinct().count()
        rows = list(
            entries.order_by()
            .values("task")
            .annotate(
                tracked=Sum("duration_seconds"),
                rounded=Sum("rounded_seconds"),
                amount_total=Sum("amount"),
                started=Min("started_at"),
                n=Count("pk"),
            )
            .order_by(order, "-task")[:PER_PAGE]
        )
        return totals, tasks, rows

    return figures


def raw_table(link):
    """Clients or sites: tasks in progress and completed, time this month, unbilled amount per row."""

    def figures(ctx):
        from django.db.models import Count, Q, Sum

        from timetracker.clients.models import Client, Site

        user, month = ctx["user"], ctx["bounds"]["month"]
        this_month = Q(ended_at__isnull=False, started_at__gte=month)
        time = list(
            _entries(user)
            .order_by()
            .values(f"task__{link}")
            .annotate(
                month=Sum("duration_seconds", filter=this_month), unbilled=Sum("amount", filter=_unbilled_q())
            )
        )
        tasks = list(_tasks(user).order_by().values(link, "status").annotate(n=Count("pk")))
        rows = (
            (Client if link == "client" else Site).objects.filter(archived_at__isnull=True).order_by("name")
        )
        return time, tasks, list(rows.values_list("pk", "name")[:50])

    return figures


def raw_client_overview(ctx):
    from django.db.models import Q, Sum

    user, b = ctx["user"], ctx["bounds"]
    entries = _entries(user).filter(task__client_id=ctx["client"], ended_at__isnull=False)
    figures = entries.aggregate(
        week=Sum("duration_seconds", filter=Q(started_at__gte=b["week"])),
        month=Sum("duration_seconds", filter=Q(started_at__gte=b["month"])),
        unbilled=Sum("amount", filter=_unbilled_q()),
    )
    recent = list(_tasks(user).filter(client_id=ctx["client"]).order_by("-updated_at").values_list("pk")[:8])
    return figures, recent, _bucket_usage(ctx["client_buckets"])


def raw_buckets(ctx):
    from timetracker.buckets.models import Bucket

    rows = list(Bucket.objects.filter(archived_at__isnull=True).values_list("pk", "title", "hours"))
    return rows, _bucket_usage(ctx["buckets"])


def raw_unbilled(ctx):
    from django.db.models import Count, Max, Min, Q, Sum

    from timetracker.tasks.models import TimeEntry

    return list(
        TimeEntry.objects.filter(_unbilled_q())
        .values("task__client", "task__client__name")
        .annotate(
            n=Count("pk"),
            seconds=Sum("rounded_seconds"),
            amount=Sum("amount"),
            unrated=Count("pk", filter=Q(hourly_rate__isnull=True)),
            first=Min("started_at"),
            last=Max("started_at"),
        )
        .order_by("task__client__name")
    )


def raw_api_last_page(ctx):
    stopped = _entries(ctx["user"]).filter(ended_at__isnull=False)
    count = stopped.count()
    offset = (ctx["last_page"] - 1) * PER_PAGE
    fields = ("pk", "task_id", "task__title", "started_at", "ended_at", "rounded_seconds", "amount")
    return count, list(
        stopped.order_by("-started_at", "-pk").values_list(*fields)[offset : offset + PER_PAGE]
    )


def row_before_last_page(ctx):
    """(started_at, id) of the row just before the last page: a cursor made from it lists that page."""
    stopped = _entries(ctx["user"]).filter(ended_at__isnull=False).order_by("-started_at", "-pk")
    offset = (ctx["last_page"] - 1) * PER_PAGE
    return stopped.values_list("started_at", "pk")[max(0, offset - 1)]


def raw_api_cursor(ctx):
    """The keyset query: the rows after the cursor's (started_at, id), on the (started_at, id) index."""
    from django.db.models import Q

    value, pk = ctx["cursor_row"]
    stopped = _entries(ctx["user"]).filter(ended_at__isnull=False)
    after = Q(started_at__lte=value) & (Q(started_at__lt=value) | Q(started_at=value, pk__lt=pk))
    fields = ("pk", "task_id", "task__title", "started_at", "ended_at", "rounded_seconds", "amount")
    return list(stopped.filter(after).order_by("-started_at", "-pk").values_list(*fields)[:PER_PAGE])


def raw_invoice_preview(ctx):
    """The draft's lines: per task and rate, the rounded seconds (grouping by task, rounding per entry)."""
    from django.db.models import Count, Min, Sum

    from timetracker.tasks.models import TimeEntry

    return list(
        TimeEntry.objects.filter(_unbilled_q(), task__client_id=ctx["client"])
        .values("task", "hourly_rate")
        .annotate(seconds=Sum("rounded_seconds"), n=Count("pk"), first=Min("started_at"))
    )


def unbilled_count(client_id):
    from timetracker.tasks.models import TimeEntry

    return TimeEntry.objects.filter(_unbilled_q(), task__client_id=client_id).count()
