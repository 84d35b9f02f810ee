"""Outgoing webhooks as the Standard Webhooks spec defines them (the `standardwebhooks` package signs).

- Each message is JSON `{"type", "timestamp", "data"}` with the headers `webhook-id` (the delivery's message id,
  the same on every retry, so a receiver can drop repeats), `webhook-timestamp` and `webhook-signature`
  (`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">` under the endpoint's `whsec_` secret).
- A delivery is POSTed by the worker to the configured URL only: redirects are not followed (a 3xx fails).
- A failure is retried with growing pauses (BACKOFF; the tick queues a retry when it is due), then given up.
- A worker claims an attempt with a lease (LEASE, longer than the POST may take): a second hand-over of the same
  delivery sends nothing while the first POST is in flight. A hand-over or a worker that is lost is no loss: the
  tick hands the delivery over again once SAFETY_NET (or the lease) has passed.
- An endpoint that fails DISABLE_AFTER attempts in a row (which the pauses spread over hours) is disabled,
  and whoever set it up is told; its pending deliveries wait until it is enabled again.
"""

import base64
import json
import secrets
import time
from datetime import UTC, datetime, timedelta

import httpx
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import EmptyWebhookSecretError

from timetracker.automation.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from timetracker.integrations import secrets as sealed

# Pauses before the 2nd, 3rd, ... attempt (the spec's suggestion, stretched to a minute's tick): about 18 hours.
BACKOFF = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
]
DISABLE_AFTER = 5
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# A delivery queued but not attempted this long after (its worker was lost) is queued again by the tick.
SAFETY_NET = timedelta(minutes=2)
# How long a claimed attempt is its worker's alone: far longer than a POST may take (TIMEOUT's 5 s to connect and
# 10 s between reads), so a second worker never sends while the first POST is in flight.
LEASE = timedelta(minutes=5)
TEST_EVENT = "webhook.test"


def new_secret():
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def body(delivery):
    message = {
        "type": delivery.event_type,
        "timestamp": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(message, separators=(",", ":"), sort_keys=True, default=str)


def signed_headers(endpoint, delivery, content, *, now=None):
    # The library reads the datetime as UTC whatever its zone says: hand it UTC.
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return {
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(endpoint.secret()).sign(delivery.message_id, now, content),
        "content-type": "application/json",
        "user-agent": f"{settings.SITE_NAME} webhooks",
    }


def queue(endpoint, *, event=None, event_type=None, payload=None, message_id=None, enqueue=True):
    """The delivery of `event` (or of a message without one) to `endpoint`, written once and queued after
    commit. An event goes to an endpoint once, however it got there (its subscription or a trigger)."""
    now = timezone.now()
    fields = {"next_attempt_at": now + SAFETY_NET}
    if event is not None:
        delivery, created = WebhookDelivery.objects.get_or_create(
            endpoint=endpoint,
            event=event,
            defaults={
                **fields,
                "event_type": event.type,
                "payload": event.payload,
                "message_id": message_id or f"msg_{secrets.token_hex(12)}",
            },
        )
    else:
        delivery, created = WebhookDelivery.objects.get_or_create(
            message_id=message_id or f"msg_{secrets.token_hex(12)}",
            defaults={**fields, "endpoint": endpoint, "event_type": event_type, "payload": payload or {}},
        )
    if created and enqueue:
        transaction.on_commit(lambda: deliver.enqueue(delivery.pk, 0), robust=True)
    return delivery


def send_test(endpoint, *, by):
    """A test event sent now, while the person who asked looks at the page (a failure is retried as usual)."""
    delivery = queue(
        endpoint,
        event_type=TEST_EVENT,
        payload={
            "message": f"A test event from {settings.SITE_NAME}",
            "endpoint": endpoint.name,
            "by": str(by),
        },
        enqueue=False,
    )
    attempt(delivery.pk)
    delivery.refresh_from_db()
    return delivery


@task
def deliver(delivery_id, attempts_made=None):
    return attempt(delivery_id, attempts_made)


def attempt(delivery_id, attempts_made=None):
    """One POST of a pending delivery; returns its status.

    `attempts_made` is how many attempts there were when the delivery was handed over: a hand-over that an
    attempt has overtaken (the tick queued it again meanwhile) sends nothing, so a retry keeps its pause. The
    claim takes the lease, so two workers handed the same delivery at once send it once."""
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if delivery.status != WebhookDelivery.Status.PENDING or not endpoint.enabled:
        return delivery.status
    if attempts_made is not None and delivery.attempts != attempts_made:
        return delivery.status
    now = timezone.now()
    claimed = (
        WebhookDelivery.objects.filter(
            pk=delivery.pk, status=WebhookDelivery.Status.PENDING, attempts=delivery.attempts
        )
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lte=now))
        # A worker lost mid-POST: the tick hands the delivery over again once the lease has passed.
        .update(attempts=F("attempts") + 1, leased_until=now + LEASE, next_attempt_at=now + LEASE)
    )
    if not claimed:
        return delivery.status
    delivery.attempts += 1
    code, excerpt, error, started = None, "", "", time.monotonic()
    try:
        content = body(delivery)
        response = httpx.post(
            endpoint.url,
            content=content.encode(),
            headers=signed_headers(endpoint, delivery, content),
            timeout=TIMEOUT,
            follow_redirects=False,
        )
        code, excerpt = response.status_code, response.text[:500]
        if response.is_redirect:
            error = (
                f"HTTP {code}: redirects are not followed (to {response.headers.get('location', '?')[:150]})"
            )
        elif not response.is_success:
            error = f"HTTP {code}"
    except httpx.HTTPError as failure:
        error = f"{failure.__class__.__name__}: {failure}"
    except (sealed.Unreadable, EmptyWebhookSecretError) as failure:
        error = str(failure) or "The endpoint has no signing secret."
    elapsed = int((time.monotonic() - started) * 1000)
    WebhookAttempt.objects.create(delivery=delivery, status_code=code, error=error[:300], duration_ms=elapsed)
    _settle(delivery, code=code, excerpt=excerpt, error=error[:300])
    return delivery.status


def _settle(delivery, *, code, excerpt, error):
    now = timezone.now()
    delivery.last_status_code, delivery.response_excerpt, delivery.last_error = code, excerpt, error
    delivery.leased_until = delivery.next_attempt_at = None
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
        if not error:
            delivery.status, delivery.delivered_at = WebhookDelivery.Status.DELIVERED, now
            endpoint.consecutive_failures = 0
        else:
            endpoint.consecutive_failures += 1
            if delivery.attempts > len(BACKOFF):
                delivery.status = WebhookDelivery.Status.FAILED
            else:
                delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
            if endpoint.enabled and endpoint.consecutive_failures >= DISABLE_AFTER:
                _disable(
                    endpoint,
                    f"Disabled after {endpoint.consecutive_failures} failed attempts in a row ({error}).",
                )
        endpoint.save(update_fields=["consecutive_failures", "enabled", "disabled_reason"])
        delivery.save(
            update_fields=[
                "status",
                "delivered_at",
                "next_attempt_at",
                "leased_until",
                "last_status_code",
                "response_excerpt",
                "last_error",
            ]
        )


def _disable(endpoint, reason):
    endpoint.enabled, endpoint.disabled_reason = False, reason[:300]
    owner = endpoint.created_by
    if owner.email:
        path = reverse("automation:webhook_edit", args=[endpoint.pk])
        ctx = {
            "owner": owner,
            "endpoint": endpoint,
            "reason": reason,
            "url": f"{settings.SITE_URL.rstrip('/')}{path}",
            "site_name": settings.SITE_NAME,
        }
        subject = f"Webhook endpoint {endpoint.name} was disabled"
        text = render_to_string("email/webhook_disabled.txt", ctx)
        # robust: a mail server that is down must not undo the disabling.
        transaction.on_commit(lambda: send_mail(subject, text, None, [owner.email]), robust=True)


def enable(endpoint):
    """Enabled again (the page): the count starts over and the waiting deliveries are retried at the next tick."""
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            enabled=True, consecutive_failures=0, disabled_reason=""
        )
        endpoint.deliveries.filter(status=WebhookDelivery.Status.PENDING).update(
            next_attempt_at=timezone.now()
        )
    endpoint.enabled, endpoint.consecutive_failures, endpoint.disabled_reason = True, 0, ""


def queue_due(now=None):
    """The tick: queue the retries that are due (and deliveries whose hand-over or worker was lost); returns how
    many. Each is due again SAFETY_NET later, so a hand-over that is lost in turn is not the end of it."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.filter(
                status=WebhookDelivery.Status.PENDING, endpoint__enabled=True, next_attempt_at__lte=now
            )
            .filter(Q(leased_until__isnull=True) | Q(leased_until__lte=now))
            .select_for_update(skip_locked=True)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", "attempts")[:500]
        )
        WebhookDelivery.objects.filter(pk__in=[pk for pk, _ in due]).update(next_attempt_at=now + SAFETY_NET)
        for pk, attempts in due:
            transaction.on_commit(lambda pk=pk, n=attempts: deliver.enqueue(pk, n), robust=True)
    return len(due)
