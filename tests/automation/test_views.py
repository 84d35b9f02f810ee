"""The Triggers and Webhooks pages: Managers only, partials for htmx, a fixed number of queries."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook
from werkzeug import Response

from tests.factories import ClientFactory, UserFactory
from timetracker.automation.models import (
    Event,
    EventType,
    Trigger,
    TriggerFiring,
    WebhookDelivery,
    WebhookEndpoint,
)
from timetracker.reports.engine import ReportSpec
from timetracker.reports.models import SavedReport

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
    )
    # The answer to the POST shows the secret (not a message kept in the session for the next page).
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    page = response.content.decode()
    secret = re.search(r"whsec_[A-Za-z0-9+/=]+", page).group(0)
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret() == secret and endpoint.event_types == ["invoice.paid"]
    edit_url = reverse("automation:webhook_edit", args=[endpoint.pk])
    assert f'action="{edit_url}"' in page  # saving again changes this endpoint, it adds no other
    assert not [str(m) for m in get_messages(response.wsgi_request)]
    assert secret not in dana_client.get(edit_url).content.decode()

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


class _RenderedForm(HTMLParser):
    """What a browser submits for the page's form posting to `action`, left as rendered: checked boxes,
    selected options, field values."""

    def __init__(self, action):
        super().__init__()
        self.action, self.data, self._in_form, self._select, self._textarea = action, {}, False, None, None

    def _add(self, name, value):
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._in_form = attrs.get("action") == self.action
        if not self._in_form:
            return
        name, kind = attrs.get("name"), attrs.get("type")
        if tag == "input" and name and kind not in ("submit", "button"):
            if kind not in ("checkbox", "radio") or "checked" in attrs:
                self._add(name, attrs.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self._add(self._select, attrs.get("value", ""))
        elif tag == "textarea":
            self._textarea = name
            self._add(name, "")

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._in_form = False


def _submit_as_rendered(client, url):
    parser = _RenderedForm(action=url)
    parser.feed(client.get(url).content.decode())
    assert "name" in parser.data, "the page has no form posting to its own address"
    data = {name: values if len(values) > 1 else values[0] for name, values in parser.data.items()}
    return client.post(url, data)


def test_another_manager_saving_a_trigger_unchanged_keeps_its_report_action(client, dana, make_trigger):
    """A Manager may pick only their own reports, but another Manager who saves Dana's trigger keeps hers."""
    report = SavedReport.objects.create(
        owner=dana, name="Last week", spec=ReportSpec(group="client", range="last_week").to_json()
    )
    trigger = make_trigger(event_type=EventType.REPORT_REQUESTED, send_report=report, recipients=[dana])
    erin = UserFactory(username="erin", role="Manager")
    mine = SavedReport.objects.create(
        owner=erin, name="Erin's", spec=ReportSpec(group="client", range="last_week").to_json()
    )
    client.force_login(erin)
    url = reverse("automation:trigger_edit", args=[trigger.pk])
    response = _submit_as_rendered(client, url)
    assert response.status_code == 302, response.content.decode()
    trigger.refresh_from_db()
    assert trigger.send_report == report
    # Dana's other reports are still not Erin's to choose.
    others = SavedReport.objects.create(
        owner=dana, name="Private", spec=ReportSpec(group="client", range="last_week").to_json()
    )
    page = client.get(url).content.decode()
    choices = re.search(r'<select name="send_report".*?</select>', page, re.S).group(0)
    assert f'value="{others.pk}"' not in choices and f'value="{mine.pk}"' in choices
    assert f'value="{report.pk}"' in choices


def test_a_trigger_on_an_archived_client_keeps_its_client_when_saved_unchanged(
    dana_client, dana, make_trigger
):
    acme, other = ClientFactory(name="Acme"), ClientFactory(name="Globex")
    trigger = make_trigger(event_type=EventType.INVOICE_PAID, client=acme, notify=True, recipients=[dana])
    acme.archived_at = timezone.now()
    acme.save()
    url = reverse("automation:trigger_edit", args=[trigger.pk])
    response = _submit_as_rendered(dana_client, url)
    assert response.status_code == 302, response.content.decode()
    trigger.refresh_from_db()
    assert trigger.client == acme
    # Archived clients are not offered to new triggers.
    page = dana_client.get(reverse("automation:trigger_add")).content.decode()
    choices = re.search(r'<select name="client".*?</select>', page, re.S).group(0)
    assert f'value="{acme.pk}"' not in choices and f'value="{other.pk}"' in choices
