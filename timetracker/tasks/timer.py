"""The running timer: start, pause, resume, stop and submit, discard.

Pages and the API call these functions; they write through the one write path (tasks/entries.py), which
holds the rules for time. Every action is one transaction, and the database's "one running entry per user"
index has the last word over any race the checks lose.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from timetracker.buckets import usage
from timetracker.lib.durations import format_duration
from timetracker.tasks import entries
from timetracker.tasks.choices import EntrySource, TimerMode
from timetracker.tasks.models import TimeEntry

# The timer's errors are the write path's: a view that catches TimerError catches every refusal.
TimerError = entries.EntryError


class TimerConflict(TimerError):
    """Another timer got there first (the API answers 409)."""


class TooShort(entries.TooShort):
    """Stopping now would record less than a minute."""


@dataclass(frozen=True)
class Replaced:
    """What starting a timer did to the one that was running: stopped with its time, or (under a minute)
    discarded. Pages and the API tell the user, so a switch never loses a timer silently."""

    task_id: int
    title: str
    seconds: int
    discarded: bool

    def __str__(self):
        if self.discarded:
            return f"{self.title} ran under a minute, so it was discarded."
        return f"Stopped {self.title} after {format_duration(self.seconds)}."


def running_entry(user):
    # At most one row (a unique index says so), found through that index: without order_by(), as the
    # default newest-first order lets the database walk every entry by start time looking for it.
    running = TimeEntry.objects.running_of(user).select_related("task__client", "task__bucket")
    return next(iter(running[:1]), None)


def start(*, user, task, timer_mode=TimerMode.UP, description="", now=None):
    """Start a timer on a task; a timer already running for the user is stopped (and submitted) first, or
    discarded when under a minute: the new entry's `replaced` says which (None when nothing was running)."""
    now = now or timezone.now()
    if timer_mode == TimerMode.DOWN and not task.bucket_id:
        raise TimerError("A count-down timer needs a bucket to count down from; choose one or count up.")
    try:
        with transaction.atomic():
            # The user first: the second of two simultaneous starts waits here, then sees the first one's
            # entry and stops it instead of failing on the unique index. Both tasks before any entry.
            entries.lock(users=[user])
            current_task = (
                TimeEntry.objects.running_of(user).order_by().values_list("task", flat=True).first()
            )
            entries.lock(tasks=[task, current_task])
            current = TimeEntry.objects.running_of(user).select_related("task").order_by().first()
            replaced = None
            if current:
                stopped = _finish(current, now=now, discard_if_short=True, by=user)
                replaced = Replaced(
                    task_id=current.task_id,
                    title=current.task.title,
                    seconds=stopped.duration_seconds if stopped else current.elapsed_seconds(now),
                    discarded=stopped is None,
                )
            entry = entries.record(
                task=task,
                user=user,
                by=user,
                started_at=now,
                description=description,
                source=EntrySource.TIMER,
                timer_mode=timer_mode,
            )
            entry.replaced = replaced
    except IntegrityError as error:
        raise TimerConflict(
            "Another timer was started for you at the same moment; that one is running now."
        ) from error
    return entry


def pause(*, entry, now=None, by=None):
    def paused(fresh):
        if not fresh.is_paused:
            fresh.paused_at = now or timezone.now()

    return entries.change(entry, by=by or entry.user, edit=paused, running_only=True)


def resume(*, entry, now=None, by=None):
    def resumed(fresh):
        if fresh.is_paused:
            moment = now or timezone.now()
            fresh.paused_seconds += max(0, int((moment - fresh.paused_at).total_seconds()))
            fresh.paused_at = None

    return entries.change(entry, by=by or entry.user, edit=resumed, running_only=True)


def stop(*, entry, now=None, by=None):
    """Stop and Submit: floor to whole minutes, refuse under a minute, round, snapshot the rate, complete the task."""
    return _finish(entry, now=now or timezone.now(), discard_if_short=False, by=by or entry.user)


def discard(*, entry):
    """Throw a running timer away (for example one started by mistake)."""
    entries.remove(entry, by=entry.user, running_only=True)


def continue_task(*, user, task, now=None):
    """Continue: resume this task's paused timer, keep a running one, or start a new entry."""
    current = running_entry(user)
    if current and current.task_id == task.pk:
        return resume(entry=current, now=now)
    return start(user=user, task=task, timer_mode=mode_for(user, task), now=now)


def mode_for(user, task):
    """How a timer started again on a task counts: down when the person last counted down its bucket."""
    return TimerMode.DOWN if task.bucket_id and _last_mode(user, task) == TimerMode.DOWN else TimerMode.UP


def seconds_shown(entry, now=None):
    """What the header clock shows: elapsed time, or for count-down the bucket's remaining time minus it."""
    elapsed = entry.elapsed_seconds(now)
    if entry.timer_mode == TimerMode.DOWN and entry.task.bucket_id:
        return usage.usage(entry.task.bucket).remaining_seconds - elapsed
    return elapsed


def _finish(entry, *, now, discard_if_short, by):
    def stopped(fresh):
        if fresh.is_paused:
            # The pause lasts until the stop: a paused timer stopped an hour later adds no time.
            fresh.paused_seconds += max(0, int((now - fresh.paused_at).total_seconds()))
            fresh.paused_at = None
        fresh.ended_at = now

    try:
        return entries.change(entry, by=by, edit=stopped, running_only=True)
    except entries.TooShort:
        if discard_if_short:
            # An automatic stop (a new timer replacing it) drops a sub-minute slip instead of refusing.
            entries.remove(entry, by=by, running_only=True)
            return None
        raise TooShort(
            "Less than a minute has been tracked, which is too short to submit. Discard it or keep it running."
        ) from None


def _last_mode(user, task):
    return (
        TimeEntry.objects.filter(user=user, task=task)
        .order_by("-started_at")
        .values_list("timer_mode", flat=True)
        .first()
    )
