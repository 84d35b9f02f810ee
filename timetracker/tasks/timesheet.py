"""The weekly grid: rows are tasks, columns are days, and typing a total into a cell makes it so."""

from dataclasses import dataclass
from datetime import date, time, timedelta

from django.db import transaction
from django.db.models import Max, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from timetracker.lib import dates
from timetracker.lib.durations import format_duration
from timetracker.tasks import entries as write
from timetracker.tasks.choices import EntrySource
from timetracker.tasks.models import Task, TimeEntry


@dataclass
class Row:
    task: Task
    cells: list  # (day, seconds) per day of the week
    total: int


def week_of(day, week_start):
    return dates.week_first_day(day, week_start)


def grid(*, user, first_day, extra_tasks=()):
    """Rows for every task the user tracked time on that week (plus any added), with day and week totals."""
    days = [first_day + timedelta(days=n) for n in range(7)]
    start, end = dates.week_bounds(first_day, first_day.weekday())
    sums = (
        TimeEntry.objects.filter(user=user)
        .stopped()
        .in_period(start, end)
        .annotate(day=TruncDate("started_at", tzinfo=timezone.get_current_timezone()))
        .values("task", "day")
        .annotate(seconds=Sum("duration_seconds"))
        .order_by()
    )
    by_task = {}
    for row in sums:
        by_task.setdefault(row["task"], {})[row["day"]] = row["seconds"]
    task_ids = list(by_task) + [t for t in extra_tasks if t not in by_task]
    tasks = Task.objects.for_user(user).select_related("client").in_bulk(task_ids)
    rows = []
    for task_id in task_ids:
        if task_id in tasks:
            per_day = by_task.get(task_id, {})
            cells = [(day, per_day.get(day, 0)) for day in days]
            rows.append(Row(task=tasks[task_id], cells=cells, total=sum(s for _, s in cells)))
    rows.sort(key=lambda r: (r.task.client.name, r.task.title))
    day_totals = [sum(r.cells[i][1] for r in rows) for i in range(7)]
    return days, rows, day_totals


def _free_start(user, day, start, end, wanted):
    """Where a new grid entry goes: after the person's last entry that day on any task (from 09:00), so the day's
    entries follow each other rather than overlap, unless that leaves no room before midnight."""
    nine = dates.local_moment(day, time(9))
    latest = (
        TimeEntry.objects.filter(user=user).stopped().in_period(start, end).aggregate(last=Max("ended_at"))
    )
    after = max(nine, latest["last"] or nine)
    return after if dates.add_elapsed(after, wanted) <= end else nine


def set_day_total(*, user, task, day: date, seconds: int):
    """Make the user's time on the task that day add up to `seconds`, through one adjustable manual entry."""
    if seconds < 0:
        raise ValueError("Time cannot be negative.")
    start, end = dates.day_bounds(day)
    day_length = dates.elapsed_seconds(start, end)
    if seconds > day_length:
        raise ValueError(
            f"{day:%a %d %b} holds {format_duration(day_length)}; {format_duration(seconds)} does not fit in it."
        )
    with transaction.atomic():
        # The one lock order (user, task, then entries): two quick edits of the same cell must not both
        # create the day's manual entry.
        write.lock(users=[user], tasks=[task])
        day_entries = list(
            TimeEntry.objects.select_for_update().filter(user=user, task=task).stopped().in_period(start, end)
        )
        adjustable = next(
            (e for e in day_entries if e.source == EntrySource.MANUAL and not e.is_invoiced), None
        )
        fixed = sum(e.duration_seconds for e in day_entries if e is not adjustable)
        if seconds < fixed:
            raise ValueError(
                f"{format_duration(fixed)} on {day:%a %d %b} comes from timer or invoiced entries; "
                "edit those on the task to go lower."
            )
        wanted = seconds - fixed
        if wanted == 0:
            if adjustable:
                write.remove(adjustable, by=user)
            return None
        if adjustable:
            return write.change(
                adjustable, by=user, ended_at=dates.add_elapsed(adjustable.started_at, wanted)
            )
        started_at = _free_start(user, day, start, end, wanted)
        return write.record(
            task=task,
            user=user,
            by=user,
            started_at=started_at,
            ended_at=dates.add_elapsed(started_at, wanted),
            source=EntrySource.MANUAL,
        )
