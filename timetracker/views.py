from datetime import timedelta
from decimal import Decimal

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.shortcuts import render
from django.utils import timezone

from timetracker.billing.models import Settings
from timetracker.buckets.models import Bucket, BucketAlert
from timetracker.buckets.usage import usage_many
from timetracker.clients.models import Client
from timetracker.lib.charts import bars
from timetracker.lib.dates import day_bounds, is_agency_zone, localdate, week_first_day
from timetracker.lib.durations import format_duration
from timetracker.tasks.models import DayTotal, Task, TaskTotal, TimeEntry

CHART_DAYS = 30


def dashboard(request):
    user = request.user
    entries = TimeEntry.objects.for_user(user)
    part = request.GET.get("part") if request.htmx else None
    if part == "banner":  # the running timer, after a timer-changed event (the header's context has it)
        return render(request, "dashboard/dashboard.html#running-banner")
    if part == "recent":
        ctx = {"recent_entries": _recent(entries)}
        return render(request, "dashboard/dashboard.html#recent-time", ctx)
    settings = Settings.load()
    today = localdate()
    week_first = week_first_day(today, int(settings.week_start))
    figures = PeriodFigures(user, today)
    ctx = {
        "client_count": Client.objects.for_user(user).active().count(),
        "task_count": Task.objects.for_user(user).count(),
        # Kept totals (stopped time) plus the few running timers: no count over every entry.
        "entry_count": TaskTotal.objects.for_user(user).aggregate(n=Coalesce(Sum("entries"), 0))["n"]
        + entries.running_of(None).count(),
        "today": figures.totals(today, mine=True),
        "this_week": figures.totals(week_first, mine=True),
        "recent_entries": _recent(entries),
        "chart": _hours_per_day(figures, today),
        "show_amounts": settings.can_see_rates(user),
    }
    if user.sees_everyone:
        ctx["team_today"] = figures.totals(today)
        ctx["team_week"] = figures.totals(week_first)
    if user.has_role:
        ctx["buckets_at_risk"] = _buckets_at_risk()
        ctx["recent_alerts"] = BucketAlert.objects.select_related("bucket").order_by("-created_at")[:5]
    if ctx["show_amounts"]:
        ctx["unbilled"] = _unbilled_per_client(TaskTotal.objects.for_user(user), settings)
    return render(request, "dashboard/dashboard.html", ctx)


def _recent(entries):
    return entries.select_related("task__client", "user").order_by("-started_at")[:8]


def _buckets_at_risk(limit=6):
    """Buckets past their first alert threshold (or 80 % without thresholds), fullest first."""
    buckets = list(Bucket.objects.active())
    usages = usage_many(buckets)
    at_risk = []
    for bucket in buckets:
        usage = usages[bucket.pk]
        first = min(bucket.thresholds or [80])
        if usage.is_over or usage.reached(first):
            at_risk.append((bucket, usage))
    at_risk.sort(key=lambda pair: pair[1].percent_used, reverse=True)
    return at_risk[:limit]


def _unbilled_per_client(totals, settings, limit=8):
    """The clients with the most unbilled money, from the kept totals (TaskTotal.unbilled_*)."""
    rows = list(
        totals.values("task__client", "task__client__name")
        .annotate(amount=Coalesce(Sum("unbilled_amount"), Decimal("0")), seconds=Sum("unbilled_seconds"))
        .filter(Q(seconds__gt=0) | Q(amount__gt=0))
        .order_by("-amount")[:limit]
    )
    formats = settings.for_clients({row["task__client"] for row in rows})
    for row in rows:
        row["money_format"] = formats[row["task__client"]].money_format()
    return rows


class PeriodFigures:
    """The dashboard's figures from a day up to today, for the viewer (`mine`) or everyone they may see.

    From the kept day totals (a few rows per person and day) when the viewer's days are the agency's, on
    whose calendar those are filed; otherwise from the entries of the period, in the viewer's own days."""

    def __init__(self, user, today):
        self.user, self.today = user, today
        self.kept = is_agency_zone()

    def _rows(self, first, mine):
        if self.kept:
            rows = DayTotal.objects.for_user(self.user).filter(day__gte=first, day__lte=self.today)
        else:
            # Both ends from dates: where a DST jump skips midnight the day starts at 01:00, and one day on
            # from that is 01:00 tomorrow, not tomorrow's midnight.
            rows = TimeEntry.objects.for_user(self.user).in_period(
                day_bounds(first)[0], day_bounds(self.today)[1]
            )
        return rows.filter(user=self.user) if mine else rows

    def totals(self, first, *, mine=False):
        return self._rows(first, mine).totals()

    def tracked_per_day(self, first):
        rows = self._rows(first, mine=False)
        if self.kept:
            per_day = rows.values("day").annotate(seconds=Sum("tracked_seconds"))
        else:
            per_day = (
                rows.stopped()
                .annotate(day=TruncDate("started_at", tzinfo=timezone.get_current_timezone()))
                .values("day")
                .annotate(seconds=Sum("duration_seconds"))
            )
        return dict(per_day.order_by().values_list("day", "seconds"))


def _hours_per_day(figures, today):
    first = today - timedelta(days=CHART_DAYS - 1)
    per_day = figures.tracked_per_day(first)
    days = [first + timedelta(days=n) for n in range(CHART_DAYS)]
    laid_out = bars([(day, per_day.get(day, 0)) for day in days], width=1200, height=140, gap=6)
    total = sum(per_day.values())
    return {
        "bars": [
            {"bar": bar, "text": f"{bar.label:%a %d %b}: {format_duration(int(bar.value))}"}
            for bar in laid_out
        ],
        "total": total,
        "first": first,
        "last": today,
    }
