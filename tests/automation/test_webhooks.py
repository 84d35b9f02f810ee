"""Webhook deliveries: signed as Standard Webhooks says, retried with backoff, disabled after failing."""

import json
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from werkzeug import Response

from timetracker.automation import events, schedules, webhooks
from timetracker.automation.models import EventType, WebhookAttempt, WebhookDelivery

pytestmark = pytest.mark.django_db


def _receiver(httpserver, path, received, status=204):
    def handle(request):
        received.append((request.get_data(), dict(request.headers)))
        return Response(status=status)

    httpserver.expect_request(path, method="POST").respond_with_handler(handle)


def test_a_delivery_is_signed_and_the_receiver_verifies_it(httpserver, make_endpoint, after_commit, dana):
    endpoint = make_endpoint(event_types=[EventType.REPORT_REQUESTED])
    received = []
    _receiver(httpserver, "/hook", received)

    with after_commit():
        event = events.record(
            EventType.REPORT_REQUESTED, key="share:1", payload={"report": "Acme, November"}, actor=dana
        )

    assert len(received) == 1
    body, headers = received[0]
    # The receiver's side, with the spec's own library and the secret it was given.
    message = Webhook(endpoint.plain_secret).verify(body, headers)
    assert message["type"] == "report.requested"
    assert message["data"] == {"report": "Acme, November"}
    delivery = WebhookDelivery.objects.get()
    assert headers["Webhook-Id"] == delivery.message_id and delivery.event == event
    assert delivery.status == WebhookDelivery.Status.DELIVERED and delivery.last_status_code == 204
    # Another secret, or a body changed on the way, does not verify.
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.plain_secret).verify(body.replace(b"Acme", b"Evil"), headers)


def test_the_secret_is_stored_sealed(make_endpoint):
    endpoint = make_endpoint()
    assert endpoint.plain_secret.startswith("whsec_")
    assert endpoint.plain_secret not in endpoint.sealed_secret
    assert endpoint.secret() == endpoint.plain_secret


def test_only_endpoints_listening_to_the_type_get_it(httpserver, make_endpoint, after_commit):
    make_endpoint(event_types=[EventType.INVOICE_PAID])
    with after_commit():
        events.record(EventType.REPORT_REQUESTED, key="share:2")
    assert not WebhookDelivery.objects.exists()
    assert len(httpserver.log) == 0


def test_a_failing_endpoint_is_retried_with_backoff_then_disabled(
    httpserver, make_endpoint, after_commit, dana
):
    endpoint = make_endpoint(event_types=[EventType.REPORT_REQUESTED])
    received = []
    _receiver(httpserver, "/hook", received, status=500)
    start = timezone.now()

    with after_commit():
        events.record(EventType.REPORT_REQUESTED, key="share:3")
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 1 and delivery.last_status_code == 500
    assert delivery.next_attempt_at - start >= webhooks.BACKOFF[0]

    # A tick before the pause is over sends nothing.
    with after_commit():
        schedules.tick(start + webhooks.BACKOFF[0] / 2)
    assert len(received) == 1

    moment = start
    for pause in webhooks.BACKOFF[: webhooks.DISABLE_AFTER - 1]:
        moment += pause + timedelta(seconds=5)
        with time_machine.travel(moment, tick=False), after_commit():
            schedules.tick()
    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert len(received) == webhooks.DISABLE_AFTER == delivery.attempts
    assert not endpoint.enabled
    assert "5 failed attempts in a row" in endpoint.disabled_reason
    assert delivery.status == WebhookDelivery.Status.PENDING  # it waits for the endpoint to be enabled
    assert WebhookAttempt.objects.filter(delivery=delivery, status_code=500).count() == 5
    assert [m.to for m in mail.outbox] == [[dana.email]]
    assert "was disabled" in mail.outbox[0].subject
    told = mail.outbox[0].body
    assert endpoint.disabled_reason in told and endpoint.url in told
    assert settings.SITE_URL.rstrip("/") + reverse("automation:webhook_edit", args=[endpoint.pk]) in told

    # Disabled: later ticks send nothing more; enabling it again retries the waiting delivery once it works.
    with time_machine.travel(moment + timedelta(days=1), tick=False), after_commit():
        schedules.tick()
    assert len(received) == 5
    httpserver.clear()
    _receiver(httpserver, "/hook", received, status=200)
    webhooks.enable(endpoint)
    with time_machine.travel(moment + timedelta(days=1, minutes=1), tick=False), after_commit():
        schedules.tick()
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED and delivery.attempts == 6
    # The same message id on every try, so the receiver can drop a repeat.
    assert {headers["Webhook-Id"] for _, headers in received} == {delivery.message_id}


def test_a_delivery_gives_up_after_the_last_pause(httpserver, make_endpoint, after_commit):
    endpoint = make_endpoint(event_types=[EventType.REPORT_REQUESTED])
    httpserver.expect_request("/hook").respond_with_data("nope", status=503)
    with after_commit():
        events.record(EventType.REPORT_REQUESTED, key="share:4")
    delivery = WebhookDelivery.objects.get()
    for _ in webhooks.BACKOFF:
        # The endpoint stays enabled for this test: its failures are spread over other deliveries' successes.
        endpoint.__class__.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)
        delivery.refresh_from_db()
        with time_machine.travel(delivery.next_attempt_at + timedelta(seconds=1), tick=False), after_commit():
            schedules.tick()
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == len(webhooks.BACKOFF) + 1
    assert delivery.response_excerpt == "nope" and delivery.last_error == "HTTP 503"


def test_redirects_are_not_followed(httpserver, make_endpoint, after_commit):
    make_endpoint(event_types=[EventType.REPORT_REQUESTED])
    httpserver.expect_request("/hook").respond_with_data("", status=302, headers={"Location": "/elsewhere"})
    elsewhere = []
    _receiver(httpserver, "/elsewhere", elsewhere)
    with after_commit():
        events.record(EventType.REPORT_REQUESTED, key="share:5")
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING and delivery.last_status_code == 302
    assert "redirects are not followed" in delivery.last_error
    assert elsewhere == []


def test_a_worker_handed_the_same_delivery_twice_sends_it_once(httpserver, make_endpoint, after_commit):
    endpoint = make_endpoint()
    received = []
    _receiver(httpserver, "/hook", received)
    delivery = webhooks.queue(
        endpoint, event_type=webhooks.TEST_EVENT, payload={"n": 1}
    )  # not run: no commit
    webhooks.attempt(delivery.pk)
    webhooks.attempt(delivery.pk)
    assert len(received) == 1
    assert json.loads(received[0][0])["type"] == "webhook.test"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_worker_sends_nothing_while_the_first_post_is_in_flight(httpserver, make_endpoint, dana):
    """The tick hands a delivery still pending after SAFETY_NET over again: a worker that reads it while the
    first POST is in flight (a slow receiver) finds it leased and sends nothing."""
    from django.db import connections

    endpoint = make_endpoint()
    received, first_arrived = [], threading.Event()

    def handle(request):
        received.append(request.headers.get("webhook-id"))
        if len(received) == 1:
            first_arrived.set()
            time.sleep(1.5)
        return Response(status=204)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(handle)
    delivery = webhooks.queue(endpoint, event_type="x", payload={}, enqueue=False)
    outcome = {}

    def first_worker():
        try:
            outcome["first"] = webhooks.attempt(delivery.pk, 0)
        finally:
            connections.close_all()

    worker = threading.Thread(target=first_worker)
    worker.start()
    assert first_arrived.wait(5)
    assert webhooks.attempt(delivery.pk) == WebhookDelivery.Status.PENDING  # the second worker
    worker.join()
    assert received == [delivery.message_id]
    assert outcome["first"] == WebhookDelivery.Status.DELIVERED
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.leased_until is None


LOST_WORKER = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}  # a queued task never runs


def test_a_retry_whose_hand_over_was_lost_is_queued_again_by_a_later_tick(make_endpoint, dana):
    endpoint = make_endpoint()
    delivery = webhooks.queue(endpoint, event_type="x", payload={}, enqueue=False)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=1, next_attempt_at=timezone.now())
    now = timezone.now()
    with override_settings(TASKS=LOST_WORKER):
        assert webhooks.queue_due(now) == 1
        assert webhooks.queue_due(now + timedelta(seconds=30)) == 0  # handed over: not again at once
        assert webhooks.queue_due(now + webhooks.SAFETY_NET + timedelta(seconds=1)) == 1
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.PENDING and delivery.attempts == 1


class WorkerKilled(BaseException):
    """The worker process dies mid-POST (a deploy, the OOM killer): nothing after it runs."""


def test_a_worker_lost_mid_post_is_retried_once_its_lease_has_passed(
    httpserver, make_endpoint, after_commit, monkeypatch
):
    endpoint = make_endpoint()
    received = []
    _receiver(httpserver, "/hook", received)
    delivery = webhooks.queue(endpoint, event_type="x", payload={}, enqueue=False)

    def killed(*args, **kwargs):
        raise WorkerKilled

    with monkeypatch.context() as patched:
        patched.setattr(webhooks.httpx, "post", killed)
        with pytest.raises(WorkerKilled):
            webhooks.attempt(delivery.pk, 0)
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.leased_until is not None
    start = timezone.now()
    with time_machine.travel(start + webhooks.LEASE / 2, tick=False), after_commit():
        assert webhooks.queue_due() == 0  # it may still be in flight
    with time_machine.travel(start + webhooks.LEASE + timedelta(seconds=1), tick=False), after_commit():
        assert webhooks.queue_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.DELIVERED and delivery.attempts == 2
    assert len(received) == 1


def test_a_hand_over_overtaken_by_an_attempt_sends_nothing_and_keeps_the_pause(httpserver, make_endpoint):
    endpoint = make_endpoint()
    received = []
    _receiver(httpserver, "/hook", received, status=500)
    delivery = webhooks.queue(endpoint, event_type="x", payload={}, enqueue=False)
    webhooks.attempt(delivery.pk, 0)
    delivery.refresh_from_db()
    retry_at = delivery.next_attempt_at
    # A second task for attempt 1 (the tick queued it again while the first waited in the queue) runs late.
    assert webhooks.attempt(delivery.pk, 0) == WebhookDelivery.Status.PENDING
    delivery.refresh_from_db()
    assert len(received) == 1 and delivery.attempts == 1 and delivery.next_attempt_at == retry_at
