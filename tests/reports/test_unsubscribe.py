"""Scheduled e-mails: a signed unsubscribe link per recipient, and the share link instead of files too big."""

import pytest
from django.urls import reverse

from timetracker.reports import schedules
from timetracker.reports.models import ReportRun, ReportSchedule, ShareLink
from timetracker.reports.unsubscribe import unsubscribe_token

pytestmark = pytest.mark.django_db


def send(django_capture_on_commit_callbacks, now=None):
    with django_capture_on_commit_callbacks(execute=True):
        schedules.tick(now=now)


def link_in(mail):
    return mail.body.split("Unsubscribe from this report: ")[1].split()[0]


def test_each_recipient_gets_their_own_unsubscribe_link_that_needs_no_login(
    client, weekly, dana, mailoutbox, django_capture_on_commit_callbacks
):
    weekly.users.add(dana)
    send(django_capture_on_commit_callbacks)
    mails = {mail.to[0]: mail for mail in mailoutbox}
    assert sorted(mails) == ["boss@example.org", "client@example.com", "dana@agency.example"]
    links = {address: link_in(mail) for address, mail in mails.items()}
    assert len(set(links.values())) == 3
    for address, mail in mails.items():
        assert links[address] in mail.alternatives[0][0] and mail.extra_headers["List-Unsubscribe"] == (
            f"<{links[address]}>"
        )
    # Opened logged out: a GET only asks (mail scanners open every link), the button's POST unsubscribes.
    path = links["client@example.com"].removeprefix("http://localhost:8000")
    asked = client.get(path)
    assert asked.status_code == 200 and "Unsubscribe?" in asked.content.decode()
    weekly.refresh_from_db()
    assert "client@example.com" in weekly.external_addresses()
    response = client.post(path)
    assert (
        response.status_code == 200
        and "client@example.com will no longer receive" in response.content.decode()
    )
    response = client.post(
        links["dana@agency.example"].removeprefix("http://localhost:8000")
    )  # one-click (RFC 8058)
    assert response.status_code == 200
    weekly.refresh_from_db()
    assert weekly.external_addresses() == ["boss@example.org"] and not weekly.users.exists()
    assert schedules.recipients(weekly) == ["boss@example.org"]


def test_a_bad_or_stale_token_is_a_plain_404(client, weekly):
    token = unsubscribe_token(weekly, "client@example.com")
    for bad in ("nonsense", token[:-2] + ("AA" if not token.endswith("AA") else "BB")):
        assert client.get(reverse("reports:unsubscribe", args=[bad])).status_code == 404
    ReportSchedule.objects.filter(pk=weekly.pk).delete()
    assert client.get(reverse("reports:unsubscribe", args=[token])).status_code == 404


def test_files_over_the_size_limit_give_way_to_the_share_link(
    weekly, mailoutbox, django_capture_on_commit_callbacks, settings
):
    ReportSchedule.objects.filter(pk=weekly.pk).update(formats=["xlsx"])  # no link asked for
    settings.REPORTS_ATTACHMENT_MAX_BYTES = 1000
    send(django_capture_on_commit_callbacks)
    mail = mailoutbox[0]
    assert mail.attachments == []
    assert (
        "too big for e-mail, so they are not attached" in mail.body
        and "Weekly by client 2026-08-31.xlsx" in mail.body
    )
    assert "too big for e-mail" in mail.alternatives[0][0]
    token = mail.body.split("/r/")[1].split("/")[0]
    assert ShareLink.objects.get().token_hash == ShareLink.hash(token)
    assert ReportRun.objects.get().status == "sent"


def test_files_under_the_limit_are_attached_without_a_link(
    weekly, mailoutbox, django_capture_on_commit_callbacks, settings
):
    ReportSchedule.objects.filter(pk=weekly.pk).update(formats=["xlsx"])
    settings.REPORTS_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    send(django_capture_on_commit_callbacks)
    mail = mailoutbox[0]
    assert len(mail.attachments) == 1 and "/r/" not in mail.body and "too big" not in mail.body
