from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from timetracker.accounts.decorators import require_manager
from timetracker.integrations import secrets, sync, tasks
from timetracker.integrations.forms import ConnectionForm
from timetracker.integrations.http import SyncError
from timetracker.integrations.models import Connection, SyncRun
from timetracker.integrations.providers.base import Window

RUNS_PER_PAGE = 20
MANAGERS_ONLY = "Connections write everyone's time: only Managers and Admins may manage them."


def _connection(request, pk):
    return get_object_or_404(Connection.objects.for_user(request.user), pk=pk)


def connection_list(request):
    require_manager(request.user, MANAGERS_ONLY)
    connections = Connection.objects.for_user(request.user).select_related("unknown_user")
    return render(request, "integrations/connection_list.html", {"connections": connections})


def connection_add(request):
    require_manager(request.user, MANAGERS_ONLY)
    form = ConnectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.instance.created_by = request.user
        connection = form.save()
        messages.success(request, f"{connection.name} is saved. Test it, then sync now or wait for its turn.")
        return redirect("integrations:detail", connection.pk)
    return render(request, "integrations/connection_form.html", {"form": form})


def connection_detail(request, pk):
    """The connection (its token only as a hint), its settings, and its run history with conflicts."""
    require_manager(request.user, MANAGERS_ONLY)
    connection = _connection(request, pk)
    form = ConnectionForm(request.POST or None, instance=connection)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"{connection.name} is saved.")
        return redirect("integrations:detail", connection.pk)
    runs = connection.runs.select_related("requested_by")
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    ctx = {"connection": connection, "form": form, "page": page, "runs": page.object_list}
    if request.htmx and request.method == "GET":
        return render(request, "integrations/connection_detail.html#sync-history", ctx)
    return render(request, "integrations/connection_detail.html", ctx)


@require_POST
def connection_sync(request, pk):
    require_manager(request.user, MANAGERS_ONLY)
    connection = _connection(request, pk)
    try:
        sync_run = tasks.sync_now(connection, by=request.user)
    except sync.AlreadyRunning as busy:
        messages.error(request, str(busy))
        return redirect("integrations:detail", connection.pk)
    sync_run.refresh_from_db()
    if sync_run.status in SyncRun.ACTIVE:
        messages.success(request, f"Sync #{sync_run.pk} is queued; its counts appear below when it is done.")
    elif sync_run.status == SyncRun.Status.DONE:
        counts = ", ".join(
            f"{sync_run.count(name)} {name}" for name in ("new", "updated", "deleted", "conflicts")
        )
        messages.success(request, f"Synced: {counts}.")
    else:
        messages.error(
            request, f"Sync #{sync_run.pk} {sync_run.get_status_display().lower()}: {sync_run.message}"
        )
    return redirect("integrations:detail", connection.pk)


@require_POST
def connection_test(request, pk):
    """Read today's entries without writing anything: the credentials and ids work, or why not."""
    require_manager(request.user, MANAGERS_ONLY)
    connection = _connection(request, pk)
    try:
        # One try, no waiting: a person is looking at the page.
        rows = sync.fetch(connection, Window.ending_today(1, connection.time_zone), attempts=1)
    except (SyncError, secrets.Unreadable) as error:
        messages.error(request, f"The test failed: {error}")
    else:
        messages.success(
            request, f"The connection works: {len(rows)} entr{'y' if len(rows) == 1 else 'ies'} today."
        )
    return redirect("integrations:detail", connection.pk)
