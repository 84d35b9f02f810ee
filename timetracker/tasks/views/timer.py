from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from timetracker.tasks import timer
from timetracker.tasks.forms import TaskStartForm
from timetracker.tasks.models import Task
from timetracker.tasks.views.common import LOGS_CHANGED, TIMER_CHANGED, get_own_running_entry, render_dialog


def timer_new(request):
    """New Task: choose client, sites, bucket, project, title and timer type, then Start."""
    form = TaskStartForm(
        request.POST or None, user=request.user, initial={"client": request.GET.get("client")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                task = form.save()
                entry = timer.start(user=request.user, task=task, timer_mode=form.cleaned_data["timer_mode"])
        except timer.TimerError as error:
            form.add_error(None, str(error))
        else:
            if entry.replaced:  # the timer this start stopped or discarded: never silently
                messages.info(request, str(entry.replaced))
            if not request.htmx:
                return redirect("tasks:timer_panel")
            return _panel(request, entry, events=[TIMER_CHANGED, LOGS_CHANGED], replaced=entry.replaced)
    return render_dialog(request, "tasks/timer_new.html", {"form": form, "new_task": True})


def timer_fields(request):
    """htmx: the New Task (or Edit) fields that depend on the client, re-rendered for the chosen client."""
    data = request.GET.copy()
    if request.htmx.trigger_name in ("client", "project"):
        # A newly chosen client or project brings its "billable by default"; the box stays the user's to change.
        form = TaskStartForm(data, user=request.user)
        project = form.fields["project"].queryset.filter(pk=_id(data.get("project"))).first()
        data["billable"] = "on" if Task.billable_default(project) else ""
    form = TaskStartForm(data, user=request.user)
    ctx = {"form": form, "new_task": data.get("modal") == "new-task"}
    return render(request, "tasks/timer_new.html#client-fields", ctx)


def _id(text):
    return int(text) if text and text.isascii() and text.isdecimal() else None


def timer_panel(request):
    """The running timer with Pause / Resume, Stop and Submit, Discard."""
    entry = timer.running_entry(request.user)
    return _panel(request, entry)


def timer_header(request):
    """htmx: the header stopwatch, reloaded whenever a timer changes."""
    return render(request, "tasks/_header_timer.html", {"running_entry": timer.running_entry(request.user)})


@require_POST
def timer_pause(request, pk):
    return _act(request, timer.pause, get_own_running_entry(request, pk))


@require_POST
def timer_resume(request, pk):
    return _act(request, timer.resume, get_own_running_entry(request, pk))


@require_POST
def timer_stop(request, pk):
    """Stop and Submit."""
    entry = get_own_running_entry(request, pk)
    try:
        timer.stop(entry=entry)
    except timer.TooShort as error:
        return _panel(request, entry, error=str(error), too_short=True)
    except timer.TimerError as error:
        # Stopped meanwhile, in another tab: show what is running now instead.
        return _panel(request, timer.running_entry(request.user), error=str(error), events=[TIMER_CHANGED])
    if not request.htmx:
        messages.success(request, f"Submitted {entry.task.title}.")
        return redirect("tasks:task_detail", entry.task_id)
    return render_dialog(
        request, "tasks/timer_submitted.html", {"entry": entry}, events=[TIMER_CHANGED, LOGS_CHANGED]
    )


@require_POST
def timer_discard(request, pk):
    entry = get_own_running_entry(request, pk)
    title = entry.task.title
    try:
        timer.discard(entry=entry)
    except timer.TimerError as error:
        return _panel(request, timer.running_entry(request.user), error=str(error), events=[TIMER_CHANGED])
    messages.info(request, f"Discarded the timer on {title}.")
    if not request.htmx:
        return redirect("tasks:log_list")
    return _panel(request, None, events=[TIMER_CHANGED, LOGS_CHANGED])


def _act(request, action, entry):
    try:
        action(entry=entry)
    except timer.TimerError as error:
        return _panel(request, timer.running_entry(request.user), error=str(error), events=[TIMER_CHANGED])
    if not request.htmx:
        return redirect("tasks:timer_panel")
    return _panel(request, entry, events=[TIMER_CHANGED, LOGS_CHANGED])


def _panel(request, entry, *, events=(), **extra):
    ctx = {"entry": entry, "clock_seconds": timer.seconds_shown(entry) if entry else 0, **extra}
    return render_dialog(request, "tasks/timer_panel.html", ctx, events=events, status=200)
