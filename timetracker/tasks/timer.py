"""The running timer: start, pause, resume, stop and submit, discard.

Pages and the API call these functions; the rules live here once. Every change happens in one transaction,
and the database's "one running entry per user" index has the last word over any race the checks lose.
"""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from timetracker.accounts.models import User
from timetracker.billing.models import Settings
from timetracker.billing.rates import resolve_rate
from timetracker.buckets import usage
from timetracker.tasks.choices import EntrySource, TaskStatus, TimerMode
from timetracker.tasks.models import TimeEntry


class TimerError(Exception):
    """A timer action that cannot be done; the message says why, in words a user understands."""


class TimerConflict(TimerError):
    """Another timer got there first (the API answers 409)."""


class TooShort(TimerError):
    """Stopping now would record less than a minute."""


def floor_minute(moment):
    return moment.replace(second=0, microsecond=0)


def running_entry(user):
    return (
        TimeEntry.objects.running().filter(user=user).select_related("task__client", "task__bucket").first()
    )


def start(*, user, task, timer_mode=TimerMode.UP, description="", now=None):
    """Start a timer on a task; a timer already running for the user is stopped (and submitted) first."""
    now = now or timezone.now()
    if timer_mode == TimerMode.DOWN and not task.bucket_id:
        raise TimerError("A count-down timer needs a bucket to count down from; choose one or count up.")
    if task.bucket_id and task.bucket.hard_stop and usage.usage(task.bucket).remaining_seconds <= 0:
        raise TimerError(
            f'The bucket "{task.bucket}" is used up and set to stop new time. Ask a manager to top it up.'
        )
    try:
        with transaction.atomic():
            # The second of two simultaneous starts waits here, then sees the first one's entry and
            # stops it instead of failing on the unique index.
            lock_user(user.pk)
            current = TimeEntry.objects.running().filter(user=user).select_for_update().first()
            if current:
                _finish(current, now=now, discard_if_short=True)
            entry = TimeEntry.objects.create(
                task=task,
                user=user,
                recorded_by=user,
                started_at=now,
                billable=task.billable,
                description=description,
                source=EntrySource.TIMER,
                timer_mode=timer_mode,
            )
            refresh_status(task)
    except IntegrityError as error:
        raise TimerConflict(
            "Another timer was started for you at the same moment; that one is running now."
        ) from error
    return entry


def refuse_if_bucket_stopped(task):
    """A used-up bucket with a hard stop takes no new time: not from the timer, manual entry or the grid."""
    if task.bucket_id and task.bucket.hard_stop and usage.usage(task.bucket).remaining_seconds <= 0:
        raise TimerError(
            f'The bucket "{task.bucket}" is used up and set to stop new time. Ask a manager to top it up.'
        )


def lock_user(user_id):
    """Serialise one user's time changes (timer actions, grid cells) behind a row lock on the user."""
    User.objects.select_for_update().filter(pk=user_id).first()


def pause(*, entry, now=None):
    with transaction.atomic():
        _lock(entry)
        if not entry.is_paused:
            entry.paused_at = now or timezone.now()
            entry.save(update_fields=["paused_at", "updated_at"])
            refresh_status(entry.task)
    return entry


def resume(*, entry, now=None):
    with transaction.atomic():
        _lock(entry)
        if entry.is_paused:
            now = now or timezone.now()
            entry.paused_seconds += max(0, int((now - entry.paused_at).total_seconds()))
            entry.paused_at = None
            entry.save(update_fields=["paused_at", "paused_seconds", "updated_at"])
            refresh_status(entry.task)
    return entry


def stop(*, entry, now=None):
    """Stop and Submit: floor to whole minutes, refuse under a minute, round, snapshot the rate, complete the task."""
    try:
        with transaction.atomic():
            _lock(entry)
            _finish(entry, now=now or timezone.now(), discard_if_short=False)
    except TooShort:
        entry.refresh_from_db()  # nothing was saved; give the caller back the timer as it still runs
        raise
    return entry


def discard(*, entry):
    """Throw a running timer away (for example one started by mistake)."""
    with transaction.atomic():
        _lock(entry)
        entry.delete()
        refresh_status(entry.task)


def continue_task(*, user, task, now=None):
    """Continue: resume this task's paused timer, keep a running one, or start a new entry."""
    current = running_entry(user)
    if current and current.task_id == task.pk:
        return resume(entry=current, now=now)
    mode = TimerMode.DOWN if task.bucket_id and _last_mode(user, task) == TimerMode.DOWN else TimerMode.UP
    return start(user=user, task=task, timer_mode=mode, now=now)


def seconds_shown(entry, now=None):
    """What the header clock shows: elapsed time, or for count-down the bucket's remaining time minus it."""
    elapsed = entry.elapsed_seconds(now)
    if entry.timer_mode == TimerMode.DOWN and entry.task.bucket_id:
        return usage.usage(entry.task.bucket).remaining_seconds - elapsed
    return elapsed


def apply_rules(entry, *, keep_rate=False):
    """Floor the times to minutes and derive duration and rounding with today's policy.

    New work snapshots the rate by precedence; edits of existing entries keep the rate they were saved
    with (keep_rate), because a rate change applies to new entries only."""
    entry.started_at = floor_minute(entry.started_at)
    entry.ended_at = floor_minute(entry.ended_at)
    settings = Settings.load().for_client(entry.task.client)
    if not keep_rate:
        entry.hourly_rate, entry.rate_source = resolve_rate(
            task=entry.task, user=entry.user, settings=settings
        )
    entry.compute(policy=settings.rounding_policy())
    return entry


def _finish(entry, *, now, discard_if_short):
    if entry.is_paused:
        # The pause lasts until the stop: a paused timer stopped an hour later adds no time.
        entry.paused_seconds += max(0, int((now - entry.paused_at).total_seconds()))
        entry.paused_at = None
    entry.ended_at = now
    if floor_minute(now) - floor_minute(entry.started_at) - timedelta(
        seconds=entry.paused_seconds
    ) < timedelta(minutes=1):
        if discard_if_short:
            # An automatic stop (a new timer replacing it) drops a sub-minute slip instead of refusing.
            entry.delete()
            refresh_status(entry.task)
            return None
        raise TooShort(
            "Less than a minute has been tracked, which is too short to submit. Discard it or keep it running."
        )
    apply_rules(entry)
    entry.save()
    refresh_status(entry.task)
    if entry.task.bucket_id:
        usage.record_alerts(entry.task.bucket)
    return entry


def _lock(entry):
    """Take the user's timer lock and reload the entry as it is now: a pause racing a stop in another tab
    must act on the stopped entry, not on the stale copy it was handed."""
    lock_user(entry.user_id)
    fresh = TimeEntry.objects.select_for_update().filter(pk=entry.pk, ended_at__isnull=True).first()
    if fresh is None:
        raise TimerError("This timer is already stopped or discarded.")
    entry.started_at, entry.paused_at, entry.paused_seconds = (
        fresh.started_at,
        fresh.paused_at,
        fresh.paused_seconds,
    )
    entry.ended_at = None
    return entry


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


def _last_mode(user, task):
    return (
        TimeEntry.objects.filter(user=user, task=task)
        .order_by("-started_at")
        .values_list("timer_mode", flat=True)
        .first()
    )
