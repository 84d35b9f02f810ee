"""Figures for the clients and sites tables and the Time Tracker widget on their overview pages.

Everything is computed with annotations and subqueries so a table costs the same few queries for ten rows
or ten thousand.
"""

from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from timetracker.billing.models import Settings
from timetracker.buckets.models import Bucket
from timetracker.buckets.usage import usage_many
from timetracker.lib.dates import local_midnight, month_bounds
from timetracker.tasks.choices import TaskStatus
from timetracker.tasks.models import Task, TaskTotal, TimeEntry

IN_PROGRESS = [TaskStatus.WORKING, TaskStatus.PAUSED]


def month_start(today=None):
    return month_bounds(today or timezone.localdate())[0]


def week_start(today=None, first_weekday=0):
    today = today or timezone.localdate()
    return local_midnight(today - timedelta(days=(today.weekday() - first_weekday) % 7))


def _sum(entries, field, output, *, group):
    """A correlated SUM over `entries` (filtered on `group` = the outer row), 0 when there are none."""
    total = entries.order_by().values(group).annotate(total=Sum(field)).values("total")
    zero = Value(Decimal("0"), output_field=output) if isinstance(output, DecimalField) else Value(0)
    return Coalesce(Subquery(total, output_field=output), zero)


def _count(tasks, *, group, **filters):
    counted = (
        tasks.filter(**filters).order_by().values(group).annotate(n=Count("pk", distinct=True)).values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_figures(queryset, *, user, link):
    """Annotate clients or sites with their Tasks column, hours this month and unbilled amount.

    `link` is how a task reaches the row: "client" for clients, "sites" for sites. Every figure counts only
    what `user` may see: the tasks they may open, the time they may see (Staff: their own)."""
    tasks = Task.objects.for_user(user).filter(**{link: OuterRef("pk")})
    entries = TimeEntry.objects.for_user(user).filter(**{f"task__{link}": OuterRef("pk")})
    money = DecimalField(max_digits=14, decimal_places=2)
    return queryset.annotate(
        tasks_in_progress=_count(tasks, group=link, status__in=IN_PROGRESS),
        tasks_completed=_count(tasks, group=link, status=TaskStatus.COMPLETED),
        seconds_this_month=_sum(
            entries.stopped().filter(started_at__gte=month_start()),
            "duration_seconds",
            IntegerField(),
            group=f"task__{link}",
        ),
        # Kept totals, not a scan of every unbilled entry: a few rows per task.
        unbilled_amount=_sum(
            TaskTotal.objects.for_user(user).filter(**{f"task__{link}": OuterRef("pk")}),
            "unbilled_amount",
            money,
            group=f"task__{link}",
        ),
    )


def widget(*, user, tasks, buckets):
    """The Time Tracker widget: running and recent tasks, hours this week and month, bucket balances,
    unbilled amount. `tasks` is the client's or the site's tasks that `user` may open (Task.objects.for_user):
    the widget names them, so a task the user cannot open must not be among them."""
    settings = Settings.load()
    entries = TimeEntry.objects.for_user(user).filter(task__in=tasks.values("pk"))
    now_week = week_start(first_weekday=int(settings.week_start))
    # Bounded by the month (or the week, when it started in the month before): never all of the time.
    figures = (
        entries.stopped()
        .filter(started_at__gte=min(now_week, month_start()))
        .aggregate(
            week=Coalesce(Sum("duration_seconds", filter=Q(started_at__gte=now_week)), 0),
            month=Coalesce(Sum("duration_seconds", filter=Q(started_at__gte=month_start())), 0),
        )
    )
    figures["unbilled"] = (
        TaskTotal.objects.for_user(user)
        .filter(task__in=tasks.values("pk"))
        .aggregate(total=Coalesce(Sum("unbilled_amount"), Decimal("0")))["total"]
    )
    recent = (
        tasks.select_related("project", "assignee")
        # Exists, not Count over a join: for_user's own join on entries would narrow a Count to the user's time.
        .annotate(running=Exists(TimeEntry.objects.running().filter(task=OuterRef("pk"))))
        .order_by("-running", "-updated_at")[:8]
    )
    bucket_list = list(buckets)
    usages = usage_many(bucket_list)
    return {
        "recent_tasks": recent,
        "seconds_this_week": figures["week"],
        "seconds_this_month": figures["month"],
        "unbilled_amount": figures["unbilled"],
        "bucket_usages": [(bucket, usages[bucket.pk]) for bucket in bucket_list],
        "show_amounts": settings.can_see_rates(user),
    }


def client_buckets(client):
    return Bucket.objects.active().for_client(client).order_by("title")
