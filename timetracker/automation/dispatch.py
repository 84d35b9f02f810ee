"""What an event sets off: a firing per matching trigger and a delivery per webhook endpoint listening to it.

`record` (events.py) queues the hand-over once the cause's transaction commits; the worker writes the firings
and deliveries (each unique per event, so a second hand-over adds nothing) and queues their work. An event a
lost worker never handed over is picked up by the tick (`pending`), so none is dropped.
"""

from datetime import timedelta

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from timetracker.automation import webhooks
from timetracker.automation.models import Event, Trigger, TriggerFiring, WebhookEndpoint

# An event not handed over this long after it happened lost its worker (a deploy, a crash): the tick retries.
HAND_OVER_WITHIN = timedelta(minutes=2)


def fan_out(event):
    """Called by `record` inside the cause's transaction: nothing happens unless that transaction commits."""
    transaction.on_commit(lambda: dispatch_event.enqueue(event.pk), robust=True)


@task
def dispatch_event(event_id):
    return len(dispatch(event_id))


def dispatch(event_id):
    """Write the event's firings and deliveries (once) and queue them; returns the firings queued."""
    with transaction.atomic():
        event = Event.objects.select_for_update().filter(pk=event_id, dispatched_at__isnull=True).first()
        if event is None:
            return []  # handed over already
        candidates = Trigger.objects.filter(enabled=True, kind=Trigger.Kind.EVENT, event_type=event.type)
        TriggerFiring.objects.bulk_create(
            [TriggerFiring(trigger=trigger, event=event) for trigger in candidates if trigger.matches(event)],
            ignore_conflicts=True,
        )
        for endpoint in WebhookEndpoint.objects.listening_to(event.type):
            webhooks.queue(endpoint, event=event)
        event.dispatched_at = timezone.now()
        event.save(update_fields=["dispatched_at"])
        firings = list(
            TriggerFiring.objects.filter(event=event, status=TriggerFiring.Status.QUEUED).values_list(
                "pk", flat=True
            )
        )
        queue_firings(firings)
    return firings


def queue_firings(firing_ids, *, now=None):
    """Queue the firings for the worker once the transaction commits, noting when (the tick queues one again
    only when no worker took it for a while)."""
    from timetracker.automation.actions import run_firing  # the actions import billing, reports and mail

    if firing_ids:
        TriggerFiring.objects.filter(pk__in=firing_ids).update(handed_over_at=now or timezone.now())
    for pk in firing_ids:
        transaction.on_commit(lambda pk=pk: run_firing.enqueue(pk), robust=True)


def pending(now=None):
    """The tick: hand over the events a lost worker left; returns how many."""
    now = now or timezone.now()
    stale = Event.objects.filter(dispatched_at__isnull=True, occurred_at__lt=now - HAND_OVER_WITHIN)
    ids = list(stale.order_by("pk").values_list("pk", flat=True)[:500])
    for pk in ids:
        dispatch(pk)
    return len(ids)
