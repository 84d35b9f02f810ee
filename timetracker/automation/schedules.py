"""Automation's share of the minute's tick (`manage.py run_schedules`): invoices that fell due (invoice.overdue),
scheduled triggers that are due, bucket periods that have begun (bucket.renewed), webhook retries that are due, and work a lost worker left behind.

A scheduled firing is unique per (trigger, due moment): a double tick, or two tickers, fire it once. A trigger
whose tick was missed (the server was down) fires once, for the moment it was due, not once per moment missed.
"""

from datetime import datetime, timedelta

from cronsim import CronSim, CronSimError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from timetracker.automation import dispatch, hooks, webhooks
from timetracker.automation.models import Event, EventType, Trigger, TriggerFiring
from timetracker.billing import invoicing
from timetracker.lib.dates import zone

# A period that began longer ago than this is not announced as renewed (no storm of old news on first run).
RENEWAL_NEWS_DAYS = 7
# A firing queued this long ago that no worker has taken lost its hand-over: the tick queues it again.
FIRING_LOST_AFTER = timedelta(minutes=5)
LOST_FIRINGS_PER_TICK = 500


def check_cron(line):
    """A clear message for a cron line cronsim cannot read (the form shows it)."""
    try:
        CronSim(line, datetime.now(zone("UTC")))
    except CronSimError as error:
        raise ValueError(f'"{line}" is not a cron line (minute hour day month weekday): {error}') from None


def next_run(trigger, after):
    """The first moment after `after` the trigger's cron line matches, read in its own time zone."""
    return next(CronSim(trigger.cron, after.astimezone(zone(trigger.time_zone))))


def fire_due(now=None):
    """Fire every scheduled trigger that is due; returns how many firings were queued."""
    now = now or timezone.now()
    queued = []
    with transaction.atomic():
        for trigger in Trigger.objects.schedules_due(now).select_for_update(skip_locked=True):
            firing, created = TriggerFiring.objects.get_or_create(trigger=trigger, due_at=trigger.next_run_at)
            if created:
                queued.append(firing.pk)
            trigger.next_run_at = next_run(trigger, now)
            trigger.save(update_fields=["next_run_at"])
        # Lost: queued, and not handed over since FIRING_LOST_AFTER (a bounded batch, the oldest first).
        cutoff = now - FIRING_LOST_AFTER
        lost = (
            TriggerFiring.objects.filter(status=TriggerFiring.Status.QUEUED)
            .filter(Q(handed_over_at__lt=cutoff) | Q(handed_over_at__isnull=True, created_at__lt=cutoff))
            .exclude(pk__in=queued)
            .order_by("pk")
            .values_list("pk", flat=True)[:LOST_FIRINGS_PER_TICK]
        )
        queued += list(lost)
        dispatch.queue_firings(queued, now=now)
    return len(queued)


def announce_renewals(today=None):
    """bucket.renewed for each recurring bucket whose current period began lately (once per period)."""
    from timetracker.buckets import usage
    from timetracker.buckets.models import Bucket, Recurrence

    today = today or usage.period_day(timezone.now())
    current = {}
    for bucket in Bucket.objects.active().exclude(recurrence=Recurrence.NONE).filter(start_date__lt=today):
        period = usage.period_at(bucket, today)
        if period.start > bucket.start_date and (today - period.start).days <= RENEWAL_NEWS_DAYS:
            current[f"{EventType.BUCKET_RENEWED}:{bucket.pk}:{period.start}"] = (bucket, period)
    seen = set(Event.objects.filter(dedupe_key__in=current).values_list("dedupe_key", flat=True))
    announced = 0
    for key, (bucket, period) in current.items():
        if key not in seen:
            with transaction.atomic():
                hooks.bucket_renewed(bucket, period)
            announced += 1
    return announced


def tick(now=None):
    """Everything automation does on the minute; returns {what: how many} for the command's line."""
    now = now or timezone.now()
    return {
        "overdue invoice(s)": invoicing.refresh_overdue(),
        "trigger firing(s)": fire_due(now),
        "bucket renewal(s)": announce_renewals(),
        "webhook deliver(ies)": webhooks.queue_due(now),
        "event hand-over(s)": dispatch.pending(now),
    }
