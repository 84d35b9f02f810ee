"""The Triggers and Webhooks pages: Managers only, partials for htmx, a fixed number of queries."""

import re

import pytest
from django.urls import reverse
from standardwebhooks import Webhook
from werkzeug import Response

from tests.factories import ClientFactory
from timetracker.automation.models import (
    Event,
    EventType,
    Trigger,
    TriggerFiring,
    WebhookDelivery,
    WebhookEndpoint,
)

pytestmark = pytest.mark.django_db

PAGES = [
    "automation:trigger_list",
    "automation:trigger_add",
    "automation:webhook_list",
    "automation:webhook_add",
]


@pytest.fixture
def dana_client(client, dana):
    client.force_login(dana)
    return client


@pytest.mark.parametrize("name", PAGES)
def test_managers_open_the_pages_and_staff_may_not(client, dana, bob, name):
    client.force_login(bob)
    assert client.get(reverse(name)).status_code == 403
    client.force_login(dana)
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", PAGES)
def test_the_pages_need_a_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_navigation_shows_automation_to_managers_only(client, dana, bob):
    client.force_login(dana)
    assert reverse("automation:trigger_list") in client.get("/").content.decode()
    client.force_login(bob)
    assert reverse("automation:trigger_list") not in client.get("/").content.decode()


def test_unknown_objects_are_404(dana_client):
    assert dana_client.get(reverse("automation:trigger_edit", args=[999])).status_code == 404
    assert dana_client.get(reverse("automation:webhook_edit", args=[999])).status_code == 404
    assert dana_client.post(reverse("automation:webhook_test", args=[999])).status_code == 404


def test_a_trigger_is_set_up_on_the_page_with_clear_messages_for_bad_input(dana_client, dana):
    acme = ClientFactory(name="Acme")
    url = reverse("automation:trigger_add")
    response = dana_client.post(url, {"name": "Nothing to do", "kind": "event", "event_type": "invoice.paid"})
    assert "Choose at least one action" in response.content.decode()
    response = dana_client.post(
        url, {"name": "Bad cron", "kind": "schedule", "cron": "61 * * * *", "notify": "on"}
    )
    page = response.content.decode()
    assert "is not a cron line" in page and "Choose who gets the e-mail" in page
    response = dana_client.post(
        url,
        {
            "name": "Bad template",
            "kind": "event",
            "event_type": "invoice.paid",
            "notify": "on",
            "recipients": [dana.pk],
            "message": "{% if %}",
        },
    )
    assert "The template cannot be read" in response.content.decode()
    assert not Trigger.objects.exists()

    response = dana_client.post(
        url,
        {
            "name": "Acme paid",
            "kind": "event",
            "event_type": "invoice.paid",
            "client": acme.pk,
            "notify": "on",
            "recipients": [dana.pk],
            "extra_emails": "a@acme.example, b@acme.example",
            "enabled": "on",
            "time_zone": "UTC",
        },
    )
    trigger = Trigger.objects.get()
    assert response["Location"] == reverse("automation:trigger_edit", args=[trigger.pk])
    assert trigger.client == acme and trigger.created_by == dana and trigger.next_run_at is None
    assert trigger.emails() == [dana.email, "a@acme.example", "b@acme.example"]


def test_the_firing_log_is_a_partial_for_htmx_in_a_fixed_number_of_queries(
    dana_client, dana, django_assert_max_num_queries
):
    trigger = Trigger.objects.create(name="Log me", event_type=EventType.REPORT_REQUESTED, created_by=dana)
    url = reverse("automation:trigger_edit", args=[trigger.pk])

    def add_firings(count):
        for _ in range(count):
            event = Event.objects.create(
                type=EventType.REPORT_REQUESTED, dedupe_key=f"k{Event.objects.count()}"
            )
            TriggerFiring.objects.create(
                trigger=trigger, event=event, status="done", outcome="Notification: sent"
            )

    add_firings(2)
    with django_assert_max_num_queries(14) as few:
        dana_client.get(url)
    add_firings(15)
    with django_assert_max_num_queries(len(few)):
        page = dana_client.get(url).content.decode()
    assert len(re.findall(r'id="firing-\d+"', page)) == 17
    partial = dana_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<section class="card table-card" id="firing-log"')
    assert "<html" not in partial and "Notification: sent" in partial


def test_an_endpoint_shows_its_secret_once_and_the_test_event_is_signed(dana_client, httpserver):
    received = []

    def handle(request):
        received.append((request.get_data(), dict(request.headers)))
        return Response("thanks", status=200)

    httpserver.expect_request("/in").respond_with_handler(handle)
    response = dana_client.post(
        reverse("automation:webhook_add"),
        {"name": "CRM", "url": httpserver.url_for("/in"), "event_types": ["invoice.paid"], "enabled": "on"},
        follow=True,
    )
    page = response.content.decode()
    secret = re.search(r"whsec_[A-Za-z0-9+/=]+", page).group(0)
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret() == secret and endpoint.event_types == ["invoice.paid"]
    assert (
        secret not in dana_client.get(reverse("automation:webhook_edit", args=[endpoint.pk])).content.decode()
    )

    response = dana_client.post(reverse("automation:webhook_test", args=[endpoint.pk]), follow=True)
    assert "The test event was delivered (HTTP 200)" in response.content.decode()
    body, headers = received[0]
    assert Webhook(secret).verify(body, headers)["type"] == "webhook.test"
    assert "HTTP 200" in response.content.decode()  # the delivery log
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.DELIVERED


def test_an_endpoint_url_must_be_https_unless_local(dana_client):
    response = dana_client.post(
        reverse("automation:webhook_add"),
        {"name": "Plain", "url": "http://example.com/hook", "enabled": "on"},
    )
    assert "Use an https:// address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()
