"""Small helpers shared by the task views."""

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django_htmx.http import trigger_client_event

from timetracker.tasks.models import Task, TimeEntry

# Events the page listens for: the header clock reloads on the first, the Logs table on the second.
TIMER_CHANGED = "timer-changed"
LOGS_CHANGED = "logs-changed"


def get_task(request, pk):
    """The task if the user may see it, else 404 (never "forbidden": that would confirm it exists)."""
    if not (str(pk).isascii() and str(pk).isdecimal()):
        raise Http404("No such task.")
    return get_object_or_404(Task.objects.for_user(request.user).select_related("client", "bucket"), pk=pk)


def get_own_running_entry(request, pk):
    """Timer controls act on the user's own running entry only."""
    return get_object_or_404(
        TimeEntry.objects.running_of(request.user).select_related("task__client", "task__bucket"),
        pk=pk,
    )


def render_dialog(request, template, ctx, *, events=(), status=200):
    """A modal: just the <dialog> for htmx (swapped into #modal), the same dialog on a full page otherwise."""
    name = f"{template}#dialog" if request.htmx else template
    response = render(request, name, ctx, status=status)
    for event in events:
        trigger_client_event(response, event)
    return response
