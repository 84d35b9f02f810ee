"""Report on request: from the client page a Manager e-mails the client's contacts this month's usage report
(PDF and share link) with one click, once per click; Staff cannot."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import ClientFactory, TaskFactory, TimeEntryFactory
from timetracker.accounts import once
from timetracker.automation.models import Event, EventType
from timetracker.reports.models import ShareLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    client = ClientFactory(name="Acme", contact_name="Ann", email="office@acme.example")
    task = TaskFactory(client=client, title="Newsletter template")
    TimeEntryFactory(task=task, started_at=datetime(2026, 11, 9, 9, tzinfo=UTC), worked=timedelta(hours=3))
    # Last month's time is not this month's report.
    TimeEntryFactory(task=task, started_at=datetime(2026, 10, 9, 9, tzinfo=UTC), worked=timedelta(hours=5))
    return client


def request_report(client, acme, token=None):
    url = reverse("automation:client_usage_report", args=[acme.pk])
    return client.post(url, {"once_token": token or once.new_token()})


def test_a_manager_emails_the_clients_contacts_this_months_report(client, dana, acme):
    client.force_login(dana)
    response = request_report(client, acme)
    assert response.status_code == 302 and response["Location"] == reverse("clients:detail", args=[acme.pk])
    [message] = mail.outbox
    assert message.to == ["office@acme.example"]
    assert "Acme" in message.subject and "November 2026" in message.subject
    assert "3h" in message.body  # this month's time only, not October's 5 hours
    [(name, pdf, mimetype)] = message.attachments
    assert mimetype == "application/pdf" and pdf.startswith(b"%PDF") and name.endswith(".pdf")
    # The link in the e-mail opens the same report, without logging in.
    path = re.search(r"https?://[^/\s]+(/r/[^/\s]+/)", message.body).group(1)
    client.logout()
    shared = client.get(path)
    assert shared.status_code == 200
    assert "Newsletter template" in shared.content.decode()
    link = ShareLink.objects.get()
    assert link.pinned_range == "custom:2026-11-01..2026-11-30" and not link.show_amounts
    # The event others can trigger on, recorded once, about the client and by the Manager.
    event = Event.objects.get(type=EventType.REPORT_REQUESTED)
    assert event.client == acme and event.actor == dana
    assert event.payload["recipients"] == ["office@acme.example"]


def test_a_double_click_sends_one_email(client, dana, acme):
    client.force_login(dana)
    token = once.new_token()
    request_report(client, acme, token)
    request_report(client, acme, token)
    assert len(mail.outbox) == 1
    assert Event.objects.filter(type=EventType.REPORT_REQUESTED).count() == 1
    assert ShareLink.objects.count() == 1


def test_staff_cannot_send_a_report(client, bob, acme):
    client.force_login(bob)
    assert request_report(client, acme).status_code == 403
    assert mail.outbox == []
    assert not Event.objects.exists() and not ShareLink.objects.exists()


def test_a_client_without_an_address_is_told_not_sent(client, dana):
    nobody = ClientFactory(name="Quiet Ltd", email="")
    client.force_login(dana)
    response = request_report(client, nobody)
    assert mail.outbox == [] and not ShareLink.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "Quiet Ltd has no e-mail address" in page


def test_the_client_page_offers_the_report_and_the_trail_to_managers_only(client, dana, bob, acme):
    client.force_login(dana)
    page = client.get(reverse("clients:detail", args=[acme.pk])).content.decode()
    assert reverse("automation:client_usage_report", args=[acme.pk]) in page
    assert reverse("automation:client_audit", args=[acme.pk]) in page
    client.force_login(bob)
    page = client.get(reverse("clients:detail", args=[acme.pk])).content.decode()
    assert reverse("automation:client_usage_report", args=[acme.pk]) not in page
    assert reverse("automation:client_audit", args=[acme.pk]) not in page


def test_the_report_button_needs_a_post(client, dana, acme):
    client.force_login(dana)
    assert client.get(reverse("automation:client_usage_report", args=[acme.pk])).status_code == 405
    assert mail.outbox == []


def test_a_failed_send_leaves_nothing_behind(client, dana, acme, monkeypatch):
    def refuse(self, fail_silently=False):
        raise OSError("connection refused")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    client.force_login(dana)
    token = once.new_token()
    response = request_report(client, acme, token)
    page = client.get(response["Location"]).content.decode()
    assert "could not be sent (connection refused); nothing was sent" in page
    assert not ShareLink.objects.exists() and not Event.objects.exists()
    # The click can be repeated once the mail server is back.
    monkeypatch.undo()
    request_report(client, acme, token)
    assert len(mail.outbox) == 1
