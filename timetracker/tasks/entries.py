"""The one write path for time: every TimeEntry row is created, changed and deleted here.

The timer, manual time, the weekly grid, the REST API, the Django admin, invoicing, re-rating and the demo
seed (and imports and sync after them) call these functions, so each rule exists once:

- Locks in one order: the users, then the tasks, then the entries, each by ascending id (tasks/locks.py);
  invoicing and task deletion take the same order.
- Starts and ends are floored to whole minutes, and less than one minute of work is refused.
- A used-up bucket with a hard stop takes no new time.
- The client's rounding policy gives the rounded time; the rate is snapshotted by precedence when work is
  stopped or recorded, and kept on later edits (a rate change applies to new entries only).
- A new entry is billable when its task is (a task takes its project's "billable by default").
- The task's status follows its entries, its kept totals move with them (tasks/totals.py), bucket alerts are
  recorded, and every change leaves a history row.

Models refuse writes made anywhere else (`models.write_path`).
"""

from datetime import UTC

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from timetracker.automation import hooks as automation_hooks
from timetracker.billing.models import Settings
from timetracker.billing.rates import resolve_rate
from timetracker.buckets import usage
from timetracker.lib import dates
from timetracker.lib.durations import MAX_SECONDS
from timetracker.tasks import totals
from timetracker.tasks.choices import EntrySource, RateSource, TaskStatus, TimerMode
from timetracker.tasks.errors import BucketUsedUp, EntryError, Gone, Locked, Overlaps, TooShort
from timetracker.tasks.locks import lock, lock_entries
from timetracker.tasks.models import Task, TimeEntry, write_path

ONE_MINUTE = 60
# What change() may set; everything else on an entry belongs to the write path or to invoicing.
CHANGEABLE = {
    "task",
    "user",
    "started_at",
    "ended_at",
    "paused_at",
    "paused_seconds",
    "billable",
    "description",
    "hourly_rate",
}


# --- the rules ------------------------------------------------------------------------------------------


def floor_minute(moment):
    """The whole minute a moment falls in, in UTC (so zones with odd offsets floor the same way)."""
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def check_span(started_at, ended_at, paused_seconds=0, *, field="ended_at"):
    """Refuse a span outside the supported dates, with less than a minute of work once the start and end
    are floored, or with an implausible length."""
    for name, moment in (("started_at", started_at), ("ended_at", ended_at)):
        try:
            dates.check_supported(moment, "time")
        except ValueError as error:
            raise EntryError(str(error), name if field == "ended_at" else field) from None
    worked = dates.elapsed_seconds(floor_minute(started_at), floor_minute(ended_at)) - paused_seconds
    if worked < ONE_MINUTE:
        if paused_seconds:
            raise TooShort(
                f"With {paused_seconds // 60} paused minutes, the end must leave at least one minute of work.",
                field,
            )
        raise TooShort(
            "At least one minute of work is needed: the end must be at least one minute after the start.",
            field,
        )
    if worked > MAX_SECONDS:
        raise EntryError(f"More than {MAX_SECONDS // 3600:,} hours is not a plausible entry.", field)
    return worked


def refuse_used_up_bucket(task, *, at=None):
    """A bucket with a hard stop takes no new time once the period `at` falls in is used up."""
    bucket = task.bucket
    if bucket is None or not bucket.hard_stop:
        return
    if usage.usage(bucket, day=usage.period_day(at or timezone.now())).remaining_seconds <= 0:
        raise BucketUsedUp(
            f'The bucket "{bucket}" is used up and set to stop new time. Ask a manager to top it up.', "task"
        )


def refuse_overlap(entry):
    """With "Allow overlapping entries" off, a person's time may not overlap their other entries (a running
    timer counts up to now). Entries that only touch, one ending the minute the next starts, do not overlap.
    Called under the user's lock, so two writes for one person cannot both slip past it. Bulk loads (imports,
    syncs) bring another tracker's time as it was kept there and are not checked; a change they make to an
    entry is, and a refused one is reported as a conflict."""
    if Settings.load().allow_overlapping_entries:
        return
    end = entry.ended_at or timezone.now()
    others = TimeEntry.objects.filter(user_id=entry.user_id, started_at__lt=end).exclude(pk=entry.pk)
    clash = (
        others.filter(Q(ended_at__gt=entry.started_at) | Q(ended_at__isnull=True))
        .select_related("task")
        .order_by("started_at")
        .first()
    )
    if clash is None:
        return
    tz = dates.zone(entry.user.time_zone)
    began = timezone.localtime(clash.started_at, tz)
    until = f"{timezone.localtime(clash.ended_at, tz):%H:%M}" if clash.ended_at else "now (running)"
    raise Overlaps(
        f'It overlaps "{clash.task.title}" from {began:%d %b %Y %H:%M} to {until}, and overlapping entries '
        "are turned off in Settings.",
        "started_at",
    )


def refresh_status(task):
    """Working and Paused follow the running entries on the task (anyone's); otherwise it is done or new."""
    running = list(task.entries.running().values_list("paused_at", flat=True))
    if any(paused_at is None for paused_at in running):
        status = TaskStatus.WORKING
    elif running:
        status = TaskStatus.PAUSED
    elif task.entries.exists():
        status = TaskStatus.COMPLETED
    else:
        status = TaskStatus.NOT_STARTED
    if task.status != status:
        task.status = status
        task.save(update_fields=["status", "updated_at"])


def _settle(entry, *, snapshot_rate, settings=None, rates=None):
    """Floor, check and compute a stopped entry: duration, rounding, the rate snapshot and the amount."""
    entry.started_at = floor_minute(entry.started_at)
    entry.ended_at = floor_minute(entry.ended_at)
    check_span(entry.started_at, entry.ended_at, entry.paused_seconds)
    settings = settings or Settings.load().for_client(entry.task.client)
    if snapshot_rate:
        key = (entry.task_id, entry.user_id)
        found = rates.get(key) if rates is not None else None
        if found is None:
            found = resolve_rate(task=entry.task, user=entry.user, settings=settings)
            if rates is not None:
                rates[key] = found
        entry.hourly_rate, entry.rate_source = found
    entry.compute(policy=settings.rounding_policy())


def _after_write(entry, *tasks):
    for task in {t.pk: t for t in (entry.task, *tasks) if t is not None}.values():
        refresh_status(task)
    if entry.ended_at and entry.task.bucket_id:
        usage.record_alerts(entry.task.bucket, day=usage.period_day(entry.started_at))
    if entry.ended_at and entry.task.project_id:
        automation_hooks.project_budget(entry.task.project)


def _history(entry, by, reason):
    # django-simple-history reads these when it writes the history row.
    if by is not None:
        entry._history_user = by
    if reason:
        entry._change_reason = reason


def _task(task):
    pk = getattr(task, "pk", task)
    found = Task.objects.select_related("client", "project", "bucket").filter(pk=pk) if pk else []
    if not found:
        raise Gone("This task no longer exists.", "task")
    return found[0]


# --- record, change, remove ------------------------------------------------------------------------------


def record(
    *,
    task,
    user,
    started_at,
    ended_at=None,
    by=None,
    source=EntrySource.MANUAL,
    billable=None,
    description="",
    paused_seconds=0,
    hourly_rate=None,
    timer_mode=TimerMode.UP,
    external_id="",
):
    """Record work on a task: stopped when `ended_at` is given, else a running timer (the timer's start).

    `hourly_rate` overrides the rate precedence for this entry; `billable` defaults to the task's."""
    with transaction.atomic(), write_path():
        lock(users=[user, by], tasks=[task])
        task = _task(task)
        entry = TimeEntry(
            task=task,
            user=user,
            recorded_by=by or user,
            started_at=started_at,
            ended_at=ended_at,
            paused_seconds=paused_seconds,
            billable=task.billable if billable is None else billable,
            description=description,
            source=source,
            timer_mode=timer_mode,
            external_id=external_id,
        )
        if hourly_rate is not None:
            entry.hourly_rate, entry.rate_source = hourly_rate, RateSource.ENTRY
        if ended_at is not None:
            _settle(entry, snapshot_rate=hourly_rate is None)
        refuse_used_up_bucket(task, at=entry.started_at)
        refuse_overlap(entry)
        _history(entry, by, "")
        entry.save()
        totals.move(after=entry)
        _after_write(entry)
    return entry


def change(entry, *, by=None, reason="", edit=None, running_only=False, **fields):
    """Change an entry: the given fields, then `edit(entry)` for changes that depend on its current state
    (the timer's pause and stop). The entry is reloaded under its locks first, so `entry` ends up as saved.

    `hourly_rate`: a Decimal overrides the rate, None goes back to the precedence; left out, the snapshot is
    kept unless the task changes. Stopping a running entry (giving it an end) snapshots the rate."""
    unknown = set(fields) - CHANGEABLE
    if unknown:
        raise TypeError(f"change() cannot set {', '.join(sorted(unknown))}")
    try:
        with transaction.atomic(), write_path():
            _lock_current(
                entry,
                by=by,
                running_only=running_only,
                users=[fields.get("user")],
                tasks=[fields.get("task")],
            )
            if entry.is_invoiced:
                raise Locked("This entry is invoiced, so it can no longer be changed.")
            _apply(entry, fields, edit, by=by, reason=reason)
    except EntryError:
        if TimeEntry.objects.filter(pk=entry.pk).exists():
            entry.refresh_from_db()  # nothing was saved: hand back the entry as it still is
        raise
    return entry


_GONE = "This entry no longer exists."


def _lock_current(entry, *, by, running_only, users=(), tasks=()):
    """Lock the entry's user and task (and any others a change moves it to), then the entry, in the one order,
    and load it into `entry` as it is now. One that is gone, moved meanwhile or (when only a running timer will
    do) stopped is refused."""
    gone = "This timer is already stopped or discarded." if running_only else _GONE
    before = TimeEntry.objects.filter(pk=entry.pk).values("user_id", "task_id", "ended_at").first()
    if before is None or (running_only and before["ended_at"] is not None):
        raise Gone(gone)
    lock(users=[before["user_id"], by, *users], tasks=[before["task_id"], *tasks], entries=[entry.pk])
    if not TimeEntry.objects.filter(pk=entry.pk).exists():
        raise Gone(gone)
    entry.refresh_from_db()
    if running_only and not entry.is_running:
        raise Gone(gone)
    if (entry.user_id, entry.task_id) != (before["user_id"], before["task_id"]):
        raise Gone("This entry changed meanwhile; reload it and try again.")


def _apply(entry, fields, edit, *, by, reason):
    was_running, old_task, old_duration = entry.is_running, entry.task, entry.duration_seconds
    old_span = (entry.started_at, entry.ended_at, entry.user_id)
    before = totals.snapshot(entry)
    rate = fields.pop("hourly_rate", ...)
    if "task" in fields:
        fields["task"] = _task(fields["task"])
    for name, value in fields.items():
        setattr(entry, name, value)
    if edit is not None:
        edit(entry)
    task_changed = entry.task_id != old_task.pk
    if rate is not ... and rate is not None:
        entry.hourly_rate, entry.rate_source = rate, RateSource.ENTRY
    if entry.is_running:
        if not was_running:
            raise EntryError(
                "A stopped entry cannot be made to run again; start a timer instead.", "ended_at"
            )
        if task_changed:
            refuse_used_up_bucket(entry.task)
    else:
        # The rate is snapshotted when work stops and kept after, unless told otherwise or the task changes.
        if rate is ...:
            snapshot = was_running or (task_changed and entry.rate_source != RateSource.ENTRY)
        else:
            snapshot = rate is None
        _settle(entry, snapshot_rate=snapshot)
        # Stopping records time already worked, so only new or moved time meets the hard stop.
        if task_changed or (not was_running and entry.duration_seconds > old_duration):
            refuse_used_up_bucket(entry.task, at=entry.started_at)
    if (entry.started_at, entry.ended_at, entry.user_id) != old_span:  # a timer's stop too
        refuse_overlap(entry)
    _history(entry, by, reason)
    entry.save()
    totals.move(before, entry)
    _after_write(entry, old_task)


def remove(entry, *, by=None, running_only=False):
    """Delete an entry (a stopped one, or a running timer discarded); invoiced time cannot be deleted."""
    with transaction.atomic(), write_path():
        fresh = TimeEntry(pk=entry.pk)  # the caller's copy stays as it was handed in
        _lock_current(fresh, by=by, running_only=running_only)
        if fresh.is_invoiced:
            raise Locked("This entry is invoiced, so it cannot be deleted.")
        _history(fresh, by, "")
        before = totals.snapshot(fresh)
        fresh.delete()
        totals.move(before)
        refresh_status(fresh.task)


def task_removal_refusal(task, *, by, rows=None):
    """Why `by` may not delete the task with its time (an EntryError to raise or show), or None. The delete
    dialog asks before offering the button; remove_task asks again under its locks."""
    rows = rows if rows is not None else list(TimeEntry.objects.filter(task=task).order_by())
    if any(row.is_invoiced for row in rows):
        return Locked(f'"{task}" has invoiced time, which cannot be deleted.')
    if not by.sees_everyone and any(row.user_id != by.pk for row in rows):
        return EntryError(f'"{task}" has time tracked by others; ask a manager to delete it.')
    return None


def remove_task(task, *, by):
    """Delete a task with its time, unless time on it is invoiced or (for Staff) someone else's."""
    if task.pk is None:
        raise Gone("This task no longer exists.")
    with transaction.atomic(), write_path():
        owners = set(TimeEntry.objects.filter(task=task).values_list("user_id", flat=True))
        lock(users=owners | {by}, tasks=[task])
        if not Task.objects.filter(pk=task.pk).exists():
            raise Gone("This task no longer exists.")
        rows = list(TimeEntry.objects.filter(task=task).select_for_update().order_by("pk"))
        refusal = task_removal_refusal(task, by=by, rows=rows)
        if refusal:
            raise refusal
        for row in rows:
            # One by one, so each history row says who deleted it and why.
            _history(row, by, "Deleted with its task")
            row.delete()
        task.delete()


# --- invoicing's and re-rating's part of an entry ---------------------------------------------------------


def set_billing(entries, *, by=None, **fields):
    """Which of our invoice lines billed these entries (`invoice_line`), or the reference of an invoice
    made elsewhere (`billed_elsewhere`). The caller holds the locks (`lock_entries`) and has checked them."""
    from simple_history.utils import bulk_update_with_history

    if set(fields) - {"invoice_line", "billed_elsewhere"} or not fields:
        raise TypeError("set_billing() sets invoice_line and/or billed_elsewhere")
    deltas = totals.Deltas()
    for entry in entries:
        deltas.entry(entry, -1)
        for name, value in fields.items():
            setattr(entry, name, value)
        deltas.entry(entry)
    with write_path():
        bulk_update_with_history(entries, TimeEntry, list(fields), default_user=by)
    deltas.write()


def attach(queryset, *, by=None, chunk=2000, **fields):
    """`set_billing` for every entry of a queryset, a chunk at a time: each entry gets its history row, and
    memory holds one chunk, not a client's whole history. The caller holds the locks."""
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    for first in range(0, len(ids), chunk):
        set_billing(list(TimeEntry.objects.filter(pk__in=ids[first : first + chunk])), by=by, **fields)
    return len(ids)


def delete_line(line, *, by=None):
    """Take an invoice line's entries off it (unbilled again, with history) and delete the line. Deleting the
    line alone would have Django clear their `invoice_line` in bulk, unseen; the caller holds the invoice."""
    ids = lock_entries(TimeEntry.objects.filter(invoice_line=line), by=by)
    set_billing(list(TimeEntry.objects.filter(pk__in=ids)), invoice_line=None, by=by)
    with write_path():
        line.delete()


def rerate(entry, *, rate, source, reason, by=None):
    """A new rate for an unbilled entry (the caller holds the locks): same rounded time, new amount."""
    before = totals.snapshot(entry)
    entry.hourly_rate, entry.rate_source = rate, source
    entry.price()
    _history(entry, by, reason)
    with write_path():
        entry.save(update_fields=["hourly_rate", "rate_source", "amount", "updated_at"])
    totals.move(before, entry)
    return entry


# --- history in bulk: tasks/bulk_entries.py ---------------------------------------------------------------

_BULK = {"Work", "BULK_COLUMNS", "record_many", "remove_many"}


def __getattr__(name):
    """`entries.record_many`, `entries.Work`...: the bulk half lives in bulk_entries (imported on first use, as
    it builds on this module)."""
    if name in _BULK:
        from timetracker.tasks import bulk_entries

        return getattr(bulk_entries, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
