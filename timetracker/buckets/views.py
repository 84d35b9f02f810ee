from datetime import date, timedelta
from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render

from timetracker.accounts.decorators import manager_required
from timetracker.billing.models import Settings
from timetracker.buckets import usage as bucket_usage
from timetracker.buckets.filters import BucketFilter
from timetracker.buckets.forms import BucketForm
from timetracker.buckets.models import Bucket
from timetracker.tasks.models import TimeEntry

ENTRIES_PER_PAGE = 50
# A weekly bucket gathers a long history; the newest periods are the ones people look at.
RECENT_PERIODS = 12


def get_bucket(request, pk):
    return get_object_or_404(Bucket.objects.for_user(request.user), pk=pk)


def bucket_list(request):
    """Every bucket with its current balance; htmx gets only the table."""
    visible = Bucket.objects.for_user(request.user)
    filterset = BucketFilter(request.GET, queryset=visible, request=request)
    buckets = list(
        (filterset.qs if filterset.is_valid() else visible.none()).prefetch_related("clients").distinct()
    )
    balances = bucket_usage.usage_many(buckets)
    settings = Settings.load()
    rows = [
        {
            "bucket": bucket,
            "usage": balances[bucket.pk],
            "value": bucket.hours * bucket.hourly_price if bucket.hourly_price is not None else None,
        }
        for bucket in buckets
    ]
    ctx = {
        "filter": filterset,
        "rows": rows,
        "money": settings.money_format(),
        "show_amounts": settings.can_see_rates(request.user),
    }
    template = "buckets/bucket_list.html#bucket-table" if request.htmx else "buckets/bucket_list.html"
    return render(request, template, ctx)


def bucket_detail(request, pk):
    """The current balance, the alerts, usage per period and the entries behind one period's figure."""
    bucket = get_bucket(request, pk)
    history = bucket_usage.usage_history(bucket)
    current = history[0]
    selected, missing = _selected_period(request, history)
    entries = (
        bucket_usage.counted_entries(bucket, selected.period, among=TimeEntry.objects.for_user(request.user))
        .select_related("task__client", "user")
        .order_by("-started_at", "-pk")
    )
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    show_all = request.GET.get("history") == "all"
    alerts = [(alert, bucket_usage.period_at(bucket, alert.period_start)) for alert in bucket.alerts.all()]
    settings = Settings.load()
    price = bucket.hourly_price
    ctx = {
        "bucket": bucket,
        "clients": bucket.clients.all(),
        "current": current,
        "last_day": current.period.end - timedelta(days=1) if current.period.end else None,
        "value": bucket.hours * price if price is not None else None,
        "used_value": Decimal(current.used_seconds) / 3600 * price if price is not None else None,
        "history": history if show_all else history[:RECENT_PERIODS],
        "hidden_periods": 0 if show_all else max(0, len(history) - RECENT_PERIODS),
        "selected": selected,
        "missing_period": missing,
        "page": page,
        "alerts": alerts,
        "money": settings.money_format(),
        "show_amounts": settings.can_see_rates(request.user),
        "only_own_entries": not request.user.sees_everyone,
    }
    template = "buckets/bucket_detail.html#period-entries" if request.htmx else "buckets/bucket_detail.html"
    return render(request, template, ctx)


def _selected_period(request, history):
    """The period whose start is ?period=YYYY-MM-DD, else the current one (and whether that was a miss)."""
    asked = request.GET.get("period", "")
    if not asked:
        return history[0], False
    try:
        start = date.fromisoformat(asked)
    except ValueError:
        return history[0], True
    found = next((row for row in history if row.period.start == start), None)
    return (found, False) if found else (history[0], True)


@manager_required("Only Managers and Admins can change buckets.")
def bucket_create(request):
    form = BucketForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            bucket = form.save()
        messages.success(request, f'Created bucket "{bucket.title}".')
        return redirect("buckets:detail", bucket.pk)
    return render(request, "buckets/bucket_form.html", {"form": form, "bucket": None})


@manager_required("Only Managers and Admins can change buckets.")
def bucket_edit(request, pk):
    bucket = get_bucket(request, pk)
    form = BucketForm(request.POST or None, instance=bucket)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            bucket = form.save()
        messages.success(request, f'Saved "{bucket.title}".')
        return redirect("buckets:detail", bucket.pk)
    return render(request, "buckets/bucket_form.html", {"form": form, "bucket": bucket})


@manager_required("Only Managers and Admins can change buckets.")
def bucket_delete(request, pk):
    """Delete a bucket no task uses; archive one that tasks use (Bucket.remove, as the API does)."""
    bucket = get_bucket(request, pk)
    task_count = bucket.tasks.count()
    if request.method == "POST":
        title = bucket.title
        outcome = bucket.remove()
        if outcome == "deleted":
            messages.success(request, f'Deleted "{title}".')
            return redirect("buckets:list")
        used_by = _tasks(bucket.tasks.count())  # counted again: a task may have chosen it meanwhile
        if outcome == "archived":
            messages.success(
                request,
                f'"{title}" is used by {used_by}, so it was archived instead of deleted: '
                "its tasks, history and balances stay, and new tasks can no longer choose it.",
            )
        else:
            messages.info(request, f'"{title}" is used by {used_by} and stays archived.')
        return redirect("buckets:list")
    return render(request, "buckets/bucket_delete.html", {"bucket": bucket, "task_count": task_count})


def _tasks(count):
    return "1 task" if count == 1 else f"{count} tasks"
