from datetime import timedelta

from django.shortcuts import render
from django.utils import timezone

from timetracker.clients.models import Client
from timetracker.tasks.models import Task, TimeEntry


def dashboard(request):
    user = request.user
    entries = TimeEntry.objects.for_user(user)
    today = timezone.localdate()
    day_start = timezone.make_aware(timezone.datetime.combine(today, timezone.datetime.min.time()))
    week_start = day_start - timedelta(days=today.weekday())
    ctx = {
        "client_count": Client.objects.for_user(user).active().count(),
        "task_count": Task.objects.for_user(user).count(),
        "entry_count": entries.count(),
        "today": entries.in_period(day_start, day_start + timedelta(days=1)).totals(),
        "this_week": entries.in_period(week_start, week_start + timedelta(days=7)).totals(),
        "running": entries.running().filter(user=user).select_related("task__client").first(),
        "recent_entries": entries.select_related("task__client", "user").order_by("-started_at")[:8],
    }
    return render(request, "dashboard/dashboard.html", ctx)
