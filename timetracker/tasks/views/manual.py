from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from timetracker.accounts import once
from timetracker.billing.models import Settings
from timetracker.lib import dates
from timetracker.lib.durations import parse_duration
from timetracker.tasks import entries, timer, timesheet
from timetracker.tasks.choices import EntrySource
from timetracker.tasks.forms import ManualEntryForm
from timetracker.tasks.models import Task
from timetracker.tasks.views.common import LOGS_CHANGED, get_task, render_dialog


def entry_add(request):
    """Add past work to a task: a date and a duration, or start and end times. A double submit adds it once
    and answers the repeat as it answered the first post (accounts.once)."""
    initial = {"task": request.GET.get("task"), "date": timezone.localdate(), "billable": True}
    form = ManualEntryForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid() and once.well_formed(request, form):
        try:
            with once.first_time(request.user, once.posted(request)) as first:
                entry = _add_entry(request.user, form.cleaned_data) if first else None
        except timer.TimerError as error:
            form.add_error("task", str(error))
        else:
            task = entry.task if entry else form.cleaned_data["task"]
            if entry:
                messages.success(request, f"Added {entry.duration_seconds // 60} minutes to {task.title}.")
            else:
                messages.info(request, f"Already recorded: this time was added to {task.title} once.")
            if not request.htmx:
                return redirect("tasks:task_detail", task.pk)
            return render_dialog(request, "tasks/task_saved.html", {"task": task}, events=[LOGS_CHANGED])
    ctx = {"form": form, "once_token": once.token_for(request)}
    return render_dialog(request, "tasks/entry_add.html", ctx)


def _add_entry(user, data):
    return entries.record(
        task=data["task"],
        user=user,
        by=user,
        started_at=data["started_at"],
        ended_at=data["ended_at"],
        description=data["description"],
        billable=data["billable"],
        source=EntrySource.MANUAL,
    )


def timesheet_week(request):
    week_start = int(Settings.load().week_start)
    day = dates.day_or_none(request.GET.get("week", "")) or timezone.localdate()
    return _render_grid(request, timesheet.week_of(day, week_start))


@require_POST
def timesheet_cell(request):
    """Typing a total such as 1:30 into a cell creates, adjusts or removes that day's manual entry."""
    task = get_task(request, request.POST.get("task"))
    error = None
    try:
        day = dates.day_or_none(request.POST.get("day", ""))
        if day is None:
            raise ValueError(f"Choose a day between {dates.FIRST_YEAR} and {dates.LAST_YEAR}.")
        text = request.POST.get("value", "").strip()
        timesheet.set_day_total(
            user=request.user, task=task, day=day, seconds=parse_duration(text) if text else 0
        )
    except (ValueError, timer.TimerError) as problem:
        error = f"{task.title}: {problem}"
        day = timezone.localdate()
    week_start = int(Settings.load().week_start)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(f"{reverse('tasks:timesheet')}?week={timesheet.week_of(day, week_start)}")
    return _render_grid(request, timesheet.week_of(day, week_start), error=error, partial=True)


def _render_grid(request, first_day, *, error=None, partial=False):
    extra = [
        int(pk)
        for pk in request.GET.getlist("add") + request.POST.getlist("add")
        if pk.isascii() and pk.isdecimal()
    ]
    days, rows, day_totals = timesheet.grid(user=request.user, first_day=first_day, extra_tasks=extra)
    shown = {row.task.pk for row in rows}
    ctx = {
        "days": days,
        "rows": rows,
        "day_totals": day_totals,
        "week_total": sum(day_totals),
        "first_day": first_day,
        "prev_week": first_day.fromordinal(first_day.toordinal() - 7),
        "next_week": first_day.fromordinal(first_day.toordinal() + 7),
        "addable": Task.objects.for_user(request.user).select_related("client").exclude(pk__in=shown)[:200],
        "error": error,
        "today": timezone.localdate(),
    }
    template = "tasks/timesheet.html#timesheet-grid" if partial or request.htmx else "tasks/timesheet.html"
    return render(request, template, ctx)
