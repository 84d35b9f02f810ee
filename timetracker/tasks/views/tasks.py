from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from timetracker.billing.models import Settings
from timetracker.lib.money import format_money
from timetracker.tasks import entries as write
from timetracker.tasks import timer
from timetracker.tasks.forms import EntryTimesFormSet, TaskEditForm
from timetracker.tasks.models import FavouriteTask, Note, TimeEntry
from timetracker.tasks.views.common import LOGS_CHANGED, TIMER_CHANGED, get_task, render_dialog


def task_detail(request, pk):
    task = get_task(request, pk)
    entries = (
        TimeEntry.objects.for_user(request.user)
        .filter(task=task)
        .select_related("user", "invoice_line__invoice")
        .order_by("-started_at")
    )
    settings = Settings.load()
    money = settings.for_client(task.client).money_format()
    totals = entries.totals()
    ctx = {
        "task": task,
        "entries": entries,
        "totals": totals,
        "amount_text": format_money(totals["amount"], money),
        "money": money,
        "show_amounts": settings.can_see_rates(request.user),
        "notes": task.notes.select_related("author"),
        "history": task.history.select_related("history_user").order_by("-history_date")[:15],
        "rounding": settings.for_client(task.client).rounding_policy().describe(),
        "favourite": bool(FavouriteTask.ids_of(request.user, [task])),
    }
    return render(request, "tasks/task_detail.html", ctx)


@require_POST
def task_favourite(request, pk):
    """Star or unstar a task: favourites head the New Task modal's list. htmx reloads the Logs table."""
    task = get_task(request, pk)
    starred = FavouriteTask.toggle(request.user, task)
    if request.htmx:
        response = HttpResponse(status=204)
        trigger_client_event(response, LOGS_CHANGED)
        return response
    messages.success(request, f"{task.title} is {'now' if starred else 'no longer'} one of your favourites.")
    return redirect("tasks:task_detail", pk=task.pk)


def task_edit(request, pk):
    """Edit: everything chosen at start, the task and payment status, and the times of unlocked entries."""
    task = get_task(request, pk)
    editable = (
        TimeEntry.objects.for_user(request.user).filter(task=task).stopped().unbilled().order_by("started_at")
    )
    form = TaskEditForm(request.POST or None, instance=task, user=request.user)
    entries = EntryTimesFormSet(request.POST or None, queryset=editable, prefix="entries")
    if request.method == "POST" and form.is_valid() and entries.is_valid():
        try:
            with transaction.atomic():
                # The one lock order: the people whose time is edited, then the task, before the task is saved.
                write.lock(users=[request.user, *editable.values_list("user", flat=True)], tasks=[task])
                form.save()
                for entry_form in entries.forms:
                    if entry_form.has_changed():
                        # Floored and rounded like a stopped timer; the rate stays as snapshotted.
                        write.change(entry_form.instance, by=request.user, **entry_form.changes())
        except write.EntryError as error:
            form.add_error(None, str(error))
            ctx = {"task": task, "form": form, "entries": entries, "locked": _locked_entries(task)}
            return render_dialog(request, "tasks/task_edit.html", ctx)
        messages.success(request, f'Saved "{task.title}".')
        if not request.htmx:
            return redirect("tasks:task_detail", task.pk)
        return render_dialog(
            request, "tasks/task_saved.html", {"task": task}, events=[LOGS_CHANGED, TIMER_CHANGED]
        )
    ctx = {"task": task, "form": form, "entries": entries, "locked": _locked_entries(task)}
    return render_dialog(request, "tasks/task_edit.html", ctx)


def _locked_entries(task):
    return task.entries.invoiced().select_related("user", "invoice_line__invoice")


def task_delete(request, pk):
    task = get_task(request, pk)
    error = None
    if request.method == "POST":
        title = task.title
        try:
            write.remove_task(task, by=request.user)
        except write.EntryError as problem:
            error = str(problem)
        else:
            messages.success(request, f'Deleted "{title}" and its time.')
            if request.htmx:
                return HttpResponseClientRedirect(reverse("tasks:log_list"))
            return redirect("tasks:log_list")
    refusal = None if error else write.task_removal_refusal(task, by=request.user)
    ctx = {
        "task": task,
        "error": error or (str(refusal) if refusal else None),
        "entry_count": task.entries.count(),
    }
    ctx["refused"] = bool(ctx["error"])
    return render_dialog(
        request, "tasks/task_delete.html", ctx, status=409 if error and not request.htmx else 200
    )


@require_POST
def task_continue(request, pk):
    """Continue: resume or start the timer on this task and show it in the modal."""
    task = get_task(request, pk)
    try:
        entry = timer.continue_task(user=request.user, task=task)
    except timer.TimerError as error:
        entry = timer.running_entry(request.user)
        ctx = {
            "entry": entry,
            "error": str(error),
            "clock_seconds": timer.seconds_shown(entry) if entry else 0,
        }
        return render_dialog(request, "tasks/timer_panel.html", ctx)
    replaced = getattr(entry, "replaced", None)  # the timer this start stopped or discarded
    if replaced:
        messages.info(request, str(replaced))
    if not request.htmx:
        return redirect("tasks:timer_panel")
    ctx = {"entry": entry, "clock_seconds": timer.seconds_shown(entry), "replaced": replaced}
    return render_dialog(request, "tasks/timer_panel.html", ctx, events=[TIMER_CHANGED, LOGS_CHANGED])


@require_POST
def note_add(request, pk):
    task = get_task(request, pk)
    body = request.POST.get("body", "").strip()
    if body:
        Note.objects.create(task=task, author=request.user, body=body)
    else:
        messages.error(request, "A note needs some text.")
    return redirect("tasks:task_detail", task.pk)
