from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from timetracker.tasks import entries as write
from timetracker.tasks import timer
from timetracker.tasks.forms import ContinueTaskForm, EntryReviewForm, TaskStartForm
from timetracker.tasks.models import Note, Task, TimeEntry
from timetracker.tasks.views.common import LOGS_CHANGED, TIMER_CHANGED, get_own_running_entry, render_dialog


def timer_new(request):
    """New Task: start on a task that exists (recent ones first), or create one (client, sites, bucket,
    project, title, timer type) and Start. The two forms post to here; `start` says which."""
    continuing = request.method == "POST" and request.POST.get("start") == "existing"
    creating = request.method == "POST" and not continuing
    form = TaskStartForm(
        request.POST if creating else None, user=request.user, initial={"client": request.GET.get("client")}
    )
    existing = ContinueTaskForm(request.POST if continuing else None, user=request.user)
    started = None
    if continuing and existing.is_valid():
        task = existing.cleaned_data["task"]
        try:
            started = timer.start(
                user=request.user,
                task=task,
                timer_mode=timer.mode_for(request.user, task),
                description=existing.cleaned_data["note"],
            )
        except timer.TimerError as error:
            existing.add_error(None, str(error))
    elif creating and form.is_valid():
        try:
            with transaction.atomic():
                task = form.save()
                started = timer.start(
                    user=request.user, task=task, timer_mode=form.cleaned_data["timer_mode"]
                )
        except timer.TimerError as error:
            form.add_error(None, str(error))
    if started is not None:
        if started.replaced:  # the timer this start stopped or discarded: never silently
            messages.info(request, str(started.replaced))
        if not request.htmx:
            return redirect("tasks:timer_panel")
        return _panel(request, started, events=[TIMER_CHANGED, LOGS_CHANGED], replaced=started.replaced)
    ctx = {"form": form, "existing": existing, "new_task": True}
    return render_dialog(request, "tasks/timer_new.html", ctx)


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
    refused = _stop(request, entry)
    if refused:
        return refused
    if not request.htmx:
        messages.success(request, f"Submitted {entry.task.title}.")
        return redirect("tasks:task_detail", entry.task_id)
    return render_dialog(
        request, "tasks/timer_submitted.html", {"entry": entry}, events=[TIMER_CHANGED, LOGS_CHANGED]
    )


@require_POST
def timer_stop_review(request, pk):
    """Stop, then review (Agency OS): the recorded entry in a form to adjust before Save Entry."""
    entry = get_own_running_entry(request, pk)
    refused = _stop(request, entry)
    if refused:
        return refused
    form = EntryReviewForm(instance=entry)
    return render_dialog(
        request,
        "tasks/entry_review.html",
        {"entry": entry, "form": form},
        events=[TIMER_CHANGED, LOGS_CHANGED],
    )


def entry_review(request, pk):
    """Save Entry: the stopped entry's start, end, description and billable through the write path, and a note."""
    entry = get_object_or_404(
        TimeEntry.objects.filter(user=request.user).stopped().select_related("task__client"), pk=pk
    )
    form = EntryReviewForm(request.POST or None, instance=entry)
    if request.method == "POST" and form.is_valid():
        changes = form.changes()
        try:
            with transaction.atomic():
                if changes:
                    write.change(entry, by=request.user, reason="Reviewed after stopping", **changes)
                if form.cleaned_data["note"]:
                    Note.objects.create(entry=entry, author=request.user, body=form.cleaned_data["note"])
        except write.EntryError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Saved the entry on {entry.task.title}.")
            if not request.htmx:
                return redirect("tasks:task_detail", entry.task_id)
            return render_dialog(
                request, "tasks/timer_submitted.html", {"entry": entry}, events=[TIMER_CHANGED, LOGS_CHANGED]
            )
    return render_dialog(request, "tasks/entry_review.html", {"entry": entry, "form": form})


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


def _stop(request, entry):
    """Stop the timer; None when it stopped, else the panel saying why (under a minute, or stopped meanwhile in
    another tab: then what is running now)."""
    try:
        timer.stop(entry=entry)
    except timer.TooShort as error:
        return _panel(request, entry, error=str(error), too_short=True)
    except timer.TimerError as error:
        return _panel(request, timer.running_entry(request.user), error=str(error), events=[TIMER_CHANGED])
    return None


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
