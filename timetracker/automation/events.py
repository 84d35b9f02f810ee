"""Events: recorded once, in the same transaction as what caused them, then handed to triggers and webhooks.

Callers (billing, buckets, sync, imports, reports) call `record(...)` inside their own transaction. The unique
`dedupe_key` makes a retried action record nothing new; the firings and deliveries an event causes are rows
written in that same transaction, and their work is queued for the worker only once it commits, so a rolled
back cause fires nothing.
"""

from django.db import IntegrityError, transaction

from timetracker.automation.models import Event, EventType

__all__ = ["EventType", "record"]


def record(
    type,
    *,
    key,
    payload=None,
    client=None,
    project=None,
    bucket=None,
    invoice=None,
    actor=None,
):
    """Record one event of `type` (an EventType value, e.g. EventType.REPORT_REQUESTED) unless `key` was seen.

    key:     what makes this event the same one when its cause is retried, e.g. f"invoice:{pk}:sent" or
             f"report:{share_link.pk}". It is prefixed with the type, so keys need only be unique per type.
    payload: a JSON-serialisable dict; it is what webhooks send as "data" and what notifications show.
    client, project, bucket, invoice: the objects the event is about (any may be None); triggers limited
             to a client, project or bucket match on these.
    actor:   the user who caused it, if any.

    Returns the new Event, or None when an event with this key already exists. Call it inside the transaction
    of the cause (it opens its own savepoint, so a duplicate does not break the caller's transaction).
    """
    from timetracker.automation import dispatch  # late: dispatch imports the actions, which import billing

    event_type = EventType(type)
    payload = dict(payload or {})
    for name, obj in (("client", client), ("project", project), ("bucket", bucket), ("invoice", invoice)):
        if obj is not None:
            payload.setdefault(f"{name}_id", obj.pk)
    try:
        with transaction.atomic():
            event = Event.objects.create(
                type=event_type,
                dedupe_key=f"{event_type}:{key}"[:200],
                payload=payload,
                client=client,
                project=project,
                bucket=bucket,
                invoice=invoice,
                actor=actor,
            )
    except IntegrityError:
        if Event.objects.filter(dedupe_key=f"{event_type}:{key}"[:200]).exists():
            return None
        raise
    dispatch.fan_out(event)
    return event
