from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import F, Q
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from timetracker.billing.choices import PaymentStatus
from timetracker.billing.models import Settings
from timetracker.lib.money import format_money
from timetracker.tasks import entries as write
from timetracker.tasks.filters import LogFilter, TaskLogFilter
from timetracker.tasks.models import FavouriteTask, Task, TaskTotal, TimeEntry

PER_PAGE = 25
# Column -> what it sorts by in the grouped-by-task query.
SORTS = {
    "client": "task__client__name",
    "task": "task__title",
    "started": "started",
    "duration": "tracked",
    "rounded": "rounded",
    "amount": "amount_total",
    "status": "task__status",
    "payment": "task__payment_status",
}
DEFAULT_SORT = "-started"


def log_list(request):
    """Every task with its tracked time, filtered, sorted and paginated; htmx gets only the table."""
    user = request.user
    visible = TimeEntry.objects.for_user(user)
    filterset = LogFilter(request.GET, queryset=visible, request=request)
    entries = filterset.qs if filterset.is_valid() else visible.none()
    person = filterset.form.cleaned_data.get("user") if filterset.is_valid() else None
    sort = request.GET.get("sort", DEFAULT_SORT)
    if sort.lstrip("-") not in SORTS:
        sort = DEFAULT_SORT
    descending, column = sort.startswith("-"), SORTS[sort.lstrip("-")]
    if filterset.is_valid() and not filterset.reads_entries():
        # Every task the filters allow, each with its kept totals (a few rows per task), so a task with no time
        # yet, or whose only entry was discarded, is still listed; the footer adds up the same kept rows.
        entries = LogFilter(request.GET, queryset=TaskTotal.objects.for_user(user), request=request).qs
        listed = TaskLogFilter(request.GET, queryset=Task.objects.for_user(user), request=request).qs
        whose = person or (None if user.sees_everyone else user)
        rows = listed.per_task_kept(whose=Q(totals__user=whose) if whose else None)
        column = F("since" if column == "started" else column.removeprefix("task__"))
        order = column.desc(nulls_last=True) if descending else column.asc(nulls_last=True)
    else:
        rows = entries.per_task()
        order = ("-" if descending else "") + column
    page = Paginator(rows.order_by(order, "-task"), PER_PAGE).get_page(request.GET.get("page"))

    settings = Settings.load()
    tasks = (
        Task.objects.select_related("client", "project", "assignee")
        .prefetch_related("sites")
        .in_bulk([row["task"] for row in page])
    )
    formats = settings.for_clients({task.client_id for task in tasks.values()})
    favourites = FavouriteTask.ids_of(user, list(tasks))
    trackers, running = _who_and_running(request.user, entries, list(tasks), person=person)
    rows = []
    for row in page:
        task = tasks[row["task"]]
        amount = row["amount_total"]
        money = formats[task.client_id].money_format()
        # No amount (non-billable or unrated time) reads as a dash, not as zero money.
        rows.append(
            {
                **row,
                "task": task,
                "amount_text": format_money(amount, money) if amount else "",
                "tracked_by": trackers.get(task.pk, []),
                "running": running.get(task.pk, []),
                "favourite": task.pk in favourites,
            }
        )
    totals = entries.totals()
    ctx = {
        "filter": filterset,
        "page": page,
        "rows": rows,
        "sort": sort,
        "totals": totals,
        "show_amounts": settings.can_see_rates(request.user),
        "totals_amount_text": _total_text(totals["amount"], entries, settings),
        "payment_statuses": PaymentStatus.choices,
    }
    template = "tasks/log_list.html#log-table" if request.htmx else "tasks/log_list.html"
    return render(request, template, ctx)


def _who_and_running(viewer, rows, task_ids, *, person=None):
    """For the page's tasks: who tracked the time shown (within the filters, from entries or kept totals
    alike), and the running timers the viewer may see, whose clocks the Duration column shows live. Three
    queries for the page, bounded by its tasks. Filtered to one person, only their timers show."""
    pairs = rows.filter(task__in=task_ids).order_by().values_list("task", "user").distinct()
    running = {}
    timers = TimeEntry.objects.for_user(viewer).running().filter(task__in=task_ids).select_related("task")
    for entry in timers.filter(user=person) if person else timers:
        running.setdefault(entry.task_id, []).append(entry)
    people = get_user_model().objects.in_bulk(
        {user for _, user in pairs} | {entry.user_id for timers in running.values() for entry in timers}
    )
    trackers = {}
    for task_id, user_id in pairs:
        trackers.setdefault(task_id, []).append(people[user_id])
    for task_id, timers in running.items():
        for entry in timers:
            entry.user = people[entry.user_id]
            if entry.user not in trackers.setdefault(task_id, []):
                trackers[task_id].append(entry.user)
    return {task: sorted(users, key=str) for task, users in trackers.items()}, running


def _total_text(amount, rows, settings):
    # Tasks of clients with different currencies cannot be added up into one honest figure; look at every
    # client in the filtered set (entries or their kept totals), not only those on this page.
    client_ids = set(rows.order_by().values_list("task__client", flat=True).distinct())
    money_formats = {merged.money_format() for merged in settings.for_clients(client_ids).values()}
    if len(money_formats) > 1:
        return "mixed currencies"
    return format_money(amount, money_formats.pop() if money_formats else settings.money_format())


@require_POST
def log_bulk(request):
    """Bulk actions on the checked tasks: all of them or none, in one transaction."""
    action = request.POST.get("action", "")
    ids = [pk for pk in request.POST.getlist("tasks") if pk.isascii() and pk.isdecimal()]
    tasks = Task.objects.for_user(request.user).filter(pk__in=ids)
    back = request.POST.get("next") or "tasks:log_list"
    if not ids or not tasks.exists():
        messages.error(request, "Tick at least one task first.")
    else:
        try:
            task_ids = list(tasks.values_list("pk", flat=True))
            owners = TimeEntry.objects.filter(task__in=task_ids).values_list("user", flat=True).distinct()
            with transaction.atomic():
                # The one lock order: everyone who tracked time on the tasks, then the tasks (by id:
                # PostgreSQL refuses FOR UPDATE on the DISTINCT that scoping may add).
                write.lock(users=list(owners), tasks=task_ids)
                done = _bulk(request, action, list(Task.objects.filter(pk__in=task_ids).order_by("pk")))
        except (ValueError, write.EntryError) as error:
            messages.error(request, str(error))
        else:
            messages.success(request, done)
    if request.htmx:
        return HttpResponseClientRefresh()
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "tasks:log_list"
    return redirect(back)


def _bulk(request, action, tasks):
    user = request.user
    if action.startswith("payment:"):
        status = action.removeprefix("payment:")
        if status not in PaymentStatus.values:
            raise ValueError(f'"{status}" is not a payment status.')
        _refuse_locked(tasks, user, "payment_status")
        for task in tasks:
            task.payment_status = status
            task.save(update_fields=["payment_status", "updated_at"])
        return f"Set {len(tasks)} task(s) to {PaymentStatus(status).label}."
    if action in ("billable", "non_billable"):
        billable = action == "billable"
        _refuse_locked(tasks, user, "billable")
        entries = _own_unlocked_entries(user, tasks)
        for entry in entries:
            write.change(entry, by=user, billable=billable)
        for task in tasks:
            task.billable = billable
            task.save(update_fields=["billable", "updated_at"])
        label = "billable" if billable else "non-billable"
        return f"Marked {len(tasks)} task(s) and {len(entries)} unbilled entr{'y' if len(entries) == 1 else 'ies'} {label}."
    if action == "delete":
        for task in tasks:
            write.remove_task(task, by=user)
        return f"Deleted {len(tasks)} task(s) and their time."
    raise ValueError("Choose what to do with the ticked tasks.")


def _refuse_locked(tasks, user, field):
    refused = [task for task in tasks if field in task.locked_fields(user)[0]]
    if refused:
        names = ", ".join(f'"{task}"' for task in refused)
        raise ValueError(
            f"Nothing changed: {names} cannot be changed that way ({refused[0].locked_fields(user)[1]})"
        )


def _own_unlocked_entries(user, tasks):
    entries = (
        TimeEntry.objects.filter(task__in=tasks).stopped().unbilled().select_related("task__client", "user")
    )
    if not user.sees_everyone:
        entries = entries.filter(user=user)
    return list(entries)
