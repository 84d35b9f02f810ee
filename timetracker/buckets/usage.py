"""How much of a bucket's hours each period has used, with rollover and threshold alerts."""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Case, IntegerField, Q, Sum, Value, When
from django.utils import dateformat, timezone

from timetracker.accounts.models import Role
from timetracker.automation import hooks as automation_hooks
from timetracker.buckets.models import Bucket, BucketAlert, Recurrence
from timetracker.lib.dates import agency_day, agency_zone, local_midnight
from timetracker.lib.durations import format_duration
from timetracker.tasks.models import DayTotal, TimeEntry

MONTHS = {Recurrence.MONTHLY: 1, Recurrence.QUARTERLY: 3, Recurrence.YEARLY: 12}
# Shown when there are no hours at all but time was used: any finite figure beats "infinity %".
PERCENT_CAP = 999


def _agency_zone() -> ZoneInfo:
    # Periods are the agency's, not the viewer's: everyone must see the same month.
    return agency_zone()


def _midnight(day: date) -> datetime:
    return local_midnight(day, _agency_zone())


def _add_months(start: date, months: int) -> date:
    """`start` plus whole months, the day clamped to the month's length (Jan 31 + 1 = Feb 28/29)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


@dataclass(frozen=True)
class Period:
    start: date
    end: date | None  # exclusive; None for a bucket that never renews

    @property
    def label(self) -> str:
        if self.end is None:
            return f"Since {dateformat.format(self.start, 'j M Y')}"
        if self.end - self.start == timedelta(days=7):
            return f"Week of {dateformat.format(self.start, 'j M Y')}"
        months = _months_between(self.start, self.end) if self.start.day == self.end.day == 1 else 0
        if months == 1:
            return dateformat.format(self.start, "F Y")
        if months == 3 and self.start.month % 3 == 1:
            return f"Q{self.start.month // 3 + 1} {self.start.year}"
        if months == 12 and self.start.month == 1:
            return str(self.start.year)
        # Periods counted from a mid-month start date match no calendar name: show the days.
        last = self.end - timedelta(days=1)
        return f"{dateformat.format(self.start, 'j M Y')} \N{EN DASH} {dateformat.format(last, 'j M Y')}"

    def bounds(self) -> tuple[datetime, datetime | None]:
        """Aware local midnights in the agency's time zone; built from dates so DST never shifts them."""
        return _midnight(self.start), None if self.end is None else _midnight(self.end)


def _period_start(bucket: Bucket, index: int) -> date:
    # Always counted from start_date, never from the previous period, so clamping never drifts.
    if bucket.recurrence == Recurrence.WEEKLY:
        return bucket.start_date + timedelta(weeks=index)
    return _add_months(bucket.start_date, index * MONTHS[bucket.recurrence])


def _index_at(bucket: Bucket, day: date) -> int:
    if day <= bucket.start_date:
        return 0
    if bucket.recurrence == Recurrence.WEEKLY:
        return (day - bucket.start_date).days // 7
    index = _months_between(bucket.start_date, day) // MONTHS[bucket.recurrence]
    # A clamped or later start day can put `day` just before the period the month count suggests.
    return index - 1 if _period_start(bucket, index) > day else index


def _period(bucket: Bucket, index: int) -> Period:
    return Period(_period_start(bucket, index), _period_start(bucket, index + 1))


def period_at(bucket: Bucket, day: date) -> Period:
    if bucket.recurrence == Recurrence.NONE:
        return Period(bucket.start_date, None)
    return _period(bucket, _index_at(bucket, day))


def periods(bucket: Bucket, *, until: date) -> list[Period]:
    """Every period from start_date up to the one containing `until`, oldest first."""
    if bucket.recurrence == Recurrence.NONE:
        return [period_at(bucket, until)]
    return [_period(bucket, index) for index in range(_index_at(bucket, until) + 1)]


def _entries(bucket: Bucket, among=None):
    # Bucket.counts as a filter: a running entry has no final duration yet; it counts once stopped.
    entries = (TimeEntry.objects.all() if among is None else among).filter(task__bucket=bucket).stopped()
    return entries.billable() if bucket.billable_only else entries


def counted_entries(bucket: Bucket, period: Period, *, among=None):
    """The entries behind a period's figure; `among` narrows them (e.g. to the ones a user may see)."""
    return _entries(bucket, among).filter(_in_bounds(*period.bounds()))


def _in_bounds(start: datetime, end: datetime | None) -> Q:
    return Q(started_at__gte=start) if end is None else Q(started_at__gte=start, started_at__lt=end)


# What a period has used comes from the kept day totals (tasks.DayTotal, filed on the agency's days as the
# periods are), not from the entries: a few rows per person and day instead of every entry.
def _in_days(start: date, end: date | None) -> Q:
    return Q(day__gte=start) if end is None else Q(day__gte=start, day__lt=end)


def _counted(bucket: Bucket) -> str:
    return "billable_seconds" if bucket.billable_only else "rounded_seconds"


def used_seconds(bucket: Bucket, period: Period) -> int:
    days = DayTotal.objects.filter(task__bucket=bucket).filter(_in_days(period.start, period.end))
    return days.aggregate(used=Sum(_counted(bucket), default=0))["used"]


def _used_per_period(bucket: Bucket, spans: list[Period]) -> list[int]:
    """Used seconds of each period in one query, however many periods there are."""
    starts = [period.start for period in spans]
    # Tested newest first, so each day falls into the latest period that starts on or before it.
    which = Case(*(When(day__gte=start, then=Value(i)) for i, start in reversed(list(enumerate(starts)))))
    rows = (
        DayTotal.objects.filter(task__bucket=bucket)
        .filter(_in_days(starts[0], spans[-1].end))
        .annotate(period=which)
        .values("period")
        .annotate(used=Sum(_counted(bucket)))
        .order_by()  # the default ordering would otherwise split the groups
    )
    used = dict.fromkeys(range(len(spans)), 0) | {row["period"]: row["used"] for row in rows}
    return [used[i] for i in range(len(spans))]


@dataclass(frozen=True)
class Usage:
    period: Period
    allowance_seconds: int
    rolled_over_seconds: int
    used_seconds: int

    @property
    def available_seconds(self) -> int:
        return self.allowance_seconds + self.rolled_over_seconds

    @property
    def remaining_seconds(self) -> int:
        return self.available_seconds - self.used_seconds

    @property
    def percent_used(self) -> int:
        if not self.available_seconds:
            return PERCENT_CAP if self.used_seconds else 0
        return self.used_seconds * 100 // self.available_seconds

    @property
    def is_over(self) -> bool:
        return self.remaining_seconds < 0

    def reached(self, threshold: int) -> bool:
        """Exact integer comparison: 79.999% must not count as 80%."""
        if not self.available_seconds:
            return self.used_seconds > 0
        return self.used_seconds * 100 >= threshold * self.available_seconds


def _today() -> date:
    return timezone.localdate(timezone=_agency_zone())


def period_day(moment: datetime) -> date:
    """The agency's date of a moment: the day that places a time entry in a bucket period."""
    return agency_day(moment)


def _history(bucket: Bucket, until: date) -> list[Usage]:
    """Usage of every period up to `until`, oldest first, carrying unused time forward when rolling over."""
    spans = periods(bucket, until=until)
    return _carry(bucket, spans, _used_per_period(bucket, spans))


def _carry(bucket: Bucket, spans: list[Period], used_per_period: list[int]) -> list[Usage]:
    allowance = bucket.hours_seconds
    history, carried = [], 0
    for period, used in zip(spans, used_per_period, strict=True):
        history.append(Usage(period, allowance, carried, used))
        # Overrun is not borrowed from the next period: the carry never goes below zero.
        carried = max(0, allowance + carried - used) if bucket.rollover else 0
    return history


def usage(bucket: Bucket, *, day: date | None = None) -> Usage:
    day = day or _today()
    if bucket.rollover and bucket.recurrence != Recurrence.NONE:
        return _history(bucket, day)[-1]
    period = period_at(bucket, day)
    return Usage(period, bucket.hours_seconds, 0, used_seconds(bucket, period))


def _spans(bucket: Bucket, day: date) -> list[Period]:
    # Only a rollover bucket needs its earlier periods: they decide what it carries into this one.
    if bucket.rollover and bucket.recurrence != Recurrence.NONE:
        return periods(bucket, until=day)
    return [period_at(bucket, day)]


def _shown_days(span_lists) -> tuple[date, date | None]:
    """From the earliest shown period's first day to the latest one's end; open-ended if any never ends."""
    ends = [spans[-1].end for spans in span_lists]
    start = min(spans[0].start for spans in span_lists)
    return start, None if None in ends else max(ends)


def usage_many(buckets, *, day: date | None = None) -> dict[int, Usage]:
    """{bucket id: current Usage} for many buckets in one query, equal to usage() of each one."""
    day = day or _today()
    buckets = list(buckets)
    spans = {bucket.pk: _spans(bucket, day) for bucket in buckets}
    # One CASE arm per (bucket, period): a day row's arm number is the group it is summed in.
    arms, key = [], 0
    for bucket in buckets:
        for period in spans[bucket.pk]:
            arms.append(
                When(Q(task__bucket_id=bucket.pk) & _in_days(period.start, period.end), then=Value(key))
            )
            key += 1
    used = {}
    if arms:
        rows = (
            DayTotal.objects.filter(task__bucket_id__in=[bucket.pk for bucket in buckets])
            # The CASE arms alone would read every day ever kept for the buckets' tasks; the outer range
            # skips the years no shown period covers.
            .filter(_in_days(*_shown_days(spans.values())))
            .annotate(span=Case(*arms, output_field=IntegerField()))
            .filter(span__isnull=False)
            .values("span")
            .annotate(rounded=Sum("rounded_seconds"), billable=Sum("billable_seconds"))
            .order_by()  # the default ordering would otherwise split the groups
        )
        used = {row["span"]: row for row in rows}
    result, key = {}, 0
    for bucket in buckets:
        count = len(spans[bucket.pk])
        field = "billable" if bucket.billable_only else "rounded"
        per_period = [used[i][field] if i in used else 0 for i in range(key, key + count)]
        result[bucket.pk] = _carry(bucket, spans[bucket.pk], per_period)[-1]
        key += count
    return result


def usage_history(bucket: Bucket, *, until: date | None = None) -> list[Usage]:
    """Every period up to `until`, newest first."""
    return _history(bucket, until or _today())[::-1]


def _alert_recipients():
    managers = Q(groups__name__in=[Role.MANAGER, Role.ADMIN]) | Q(is_superuser=True)
    return get_user_model().objects.filter(managers, is_active=True).exclude(email="").distinct()


def _notify(bucket: Bucket, current: Usage, thresholds: list[int], emails: list[str]) -> None:
    crossed = ", ".join(f"{threshold}%" for threshold in thresholds)
    body = (
        f"{bucket.title} reached {crossed} of its hours.\n\n"
        f"Period: {current.period.label}\n"
        f"Used: {format_duration(current.used_seconds)} of {format_duration(current.available_seconds)}\n"
        f"Remaining: {format_duration(current.remaining_seconds)}\n"
    )
    send_mail(f"{bucket.title} reached {thresholds[-1]}% of its hours", body, None, emails)


def record_alerts(bucket: Bucket, *, day: date | None = None, recheck: bool = True) -> list[BucketAlert]:
    """Record each threshold the current period has reached, once, and e-mail the managers about new ones.

    Two writes on different tasks of the bucket hold no common lock, and each transaction sees only its own
    time: the bucket is looked at again once the write commits (the unique alert keeps one of each)."""
    if recheck and transaction.get_connection().in_atomic_block:
        transaction.on_commit(partial(_recheck_alerts, bucket.pk, day), robust=True)
    current = usage(bucket, day=day)
    thresholds = sorted({t for t in bucket.thresholds or [] if isinstance(t, int) and t > 0})
    created = []
    for threshold in filter(current.reached, thresholds):
        # get_or_create retries the get when a concurrent request wins the unique constraint.
        alert, new = BucketAlert.objects.get_or_create(
            bucket=bucket,
            threshold=threshold,
            period_start=current.period.start,
            defaults={"used_seconds": current.used_seconds},
        )
        if new:
            created.append(alert)
    automation_hooks.bucket_usage(bucket, current, created)
    if not created:
        return []
    recipients = list(_alert_recipients())
    for alert in created:
        alert.notified.add(*recipients)
    if emails := [user.email for user in recipients]:
        # After commit: a rolled-back alert must not have been announced, or it is announced twice.
        transaction.on_commit(partial(_notify, bucket, current, [a.threshold for a in created], emails))
    return created


def _recheck_alerts(bucket_id: int, day: date | None) -> None:
    with transaction.atomic():
        bucket = Bucket.objects.filter(pk=bucket_id).first()
        if bucket is not None:
            record_alerts(bucket, day=day, recheck=False)
