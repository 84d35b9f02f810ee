import io
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command
from django.urls import reverse

from tests.reports.conftest import local
from timetracker.reports import schedules
from timetracker.reports.models import ReportRun, ReportSchedule, ShareLink

pytestmark = pytest.mark.django_db


def test_weekly_runs_fire_on_the_weekday_at_the_local_time_across_dst(weekly):
    # 25 Oct 2026 the clocks go back in Amsterdam: Monday 08:00 is 07:00 UTC after, 06:00 UTC before.
    assert schedules.next_run(weekly, datetime(2026, 10, 13, tzinfo=UTC)).astimezone(UTC).hour == 6  # 19 Oct
    assert schedules.next_run(weekly, datetime(2026, 10, 20, tzinfo=UTC)).astimezone(UTC).hour == 7  # 26 Oct
    weekly.frequency, weekly.cron = "cron", "30 6 * * 1-5"
    assert schedules.next_run(weekly, local("2026-09-04T07:00")) == local("2026-09-07T06:30")


def test_each_run_covers_the_last_complete_period_in_the_schedules_zone(weekly):
    monday = local("2026-09-07T08:00")
    assert schedules.covered(weekly, monday) == (date(2026, 8, 31), date(2026, 9, 6))
    weekly.period = "month"
    assert schedules.covered(weekly, monday) == (date(2026, 8, 1), date(2026, 8, 31))
    weekly.period = "day"
    # 00:30 in Amsterdam is still the previous evening in UTC: the zone decides which day is "yesterday".
    assert schedules.covered(weekly, local("2026-09-07T00:30")) == (date(2026, 9, 6), date(2026, 9, 6))


def test_a_weekly_report_ticked_twice_for_the_same_week_sends_one_email_with_its_attachment(
    weekly, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_schedules")
    # A second ticker, or a clock that went back, sees the same week due again.
    ReportSchedule.objects.filter(pk=weekly.pk).update(next_run_at=local("2026-09-07T08:00"))
    with django_capture_on_commit_callbacks(execute=True):
        assert schedules.tick() == 0
    # One e-mail per recipient: each carries its own unsubscribe link, and nobody sees the other addresses.
    assert sorted(mail.to[0] for mail in mailoutbox) == ["boss@example.org", "client@example.com"]
    mail = mailoutbox[0]
    assert mail.subject == "Weekly by client: 31 Aug 2026 to 6 Sep 2026"
    assert mail.bcc == [] and len(mail.to) == 1
    assert "Dates covered: 31 Aug 2026 to 6 Sep 2026" in mail.body and "/r/" in mail.body
    html, kind = mail.alternatives[0]
    assert kind == "text/html" and "Dates covered" in html and "<svg" not in html
    ((name, content, mimetype),) = mail.attachments
    assert mimetype.startswith("application/vnd.openxmlformats")
    assert name == "Weekly by client 2026-08-31.xlsx"
    facts = dict(openpyxl.load_workbook(io.BytesIO(content))["Filters"].iter_rows(values_only=True))
    assert facts["Dates covered"] == "31 Aug 2026 to 6 Sep 2026" and facts["Time zone"] == "Europe/Amsterdam"
    run = ReportRun.objects.get()
    assert (run.status, run.period_start, run.attempts) == ("sent", date(2026, 8, 31), 1)
    weekly.refresh_from_db()
    assert weekly.next_run_at > local("2026-11-18T14:00")  # the next Monday after the tick, not a backlog


def test_a_failed_send_is_recorded_and_retried_with_backoff(
    weekly, mailoutbox, django_capture_on_commit_callbacks
):
    ReportSchedule.objects.filter(pk=weekly.pk).update(emails="")
    with django_capture_on_commit_callbacks(execute=True):
        schedules.tick()
    run = ReportRun.objects.get()
    assert run.status == "failed" and run.attempts == 1 and "no recipients" in run.error
    assert run.next_attempt_at is not None and mailoutbox == []
    ReportSchedule.objects.filter(pk=weekly.pk).update(emails="client@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        assert schedules.tick() == 0  # not yet: the pause has not passed
        assert schedules.tick(now=run.next_attempt_at + timedelta(seconds=1)) == 1
    run.refresh_from_db()
    assert run.status == "sent" and run.attempts == 2 and len(mailoutbox) == 1


def test_amounts_stay_out_of_emails_unless_switched_on(
    weekly, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        schedules.tick()
    assert "$" not in mailoutbox[0].body


def test_managers_schedule_from_the_page_and_staff_may_not(client, dana, bob, saved):
    client.force_login(dana)
    url = reverse("reports:schedule_list", args=[saved.pk])
    data = {
        "frequency": "cron",
        "cron": "not a cron",
        "weekday": 0,
        "time_of_day": "08:00",
        "time_zone": "Europe/Amsterdam",
        "period": "week",
        "emails": "client@example.com",
        "formats": ["pdf"],
    }
    assert "is not a cron line" in client.post(url, data).content.decode()
    response = client.post(url, {**data, "cron": "0 7 * * 1"})
    assert response.status_code == 302
    schedule = ReportSchedule.objects.get()
    assert schedule.next_run_at == local("2026-11-23T07:00")
    client.post(reverse("reports:schedule_pause", args=[schedule.pk]))
    schedule.refresh_from_db()
    assert schedule.paused
    client.force_login(bob)
    assert client.get(url).status_code in (403, 404)


def test_the_schedule_page_takes_a_fixed_number_of_queries(
    client, dana, saved, weekly, django_assert_max_num_queries
):
    client.force_login(dana)
    for n in range(4):
        ReportRun.objects.create(
            schedule=weekly, period_start=date(2026, 1, 5 + 7 * n), period_end=date(2026, 1, 11)
        )
    url = reverse("reports:schedule_list", args=[saved.pk])
    with django_assert_max_num_queries(12):
        html = client.get(url).content.decode()
    assert html.count('class="badge ') >= 4 and "E-mail “Weekly by client”" in html


def test_a_retried_run_sends_the_one_share_link_it_issued(
    weekly, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    real_send, calls = EmailMultiAlternatives.send, []

    def send_failing_once(message, *args, **kwargs):
        calls.append(message)
        if len(calls) == 2:  # the first recipient has it, the second does not
            raise ConnectionRefusedError("the mail server is down")
        return real_send(message, *args, **kwargs)

    monkeypatch.setattr(EmailMultiAlternatives, "send", send_failing_once)
    with django_capture_on_commit_callbacks(execute=True):
        schedules.tick()
    run = ReportRun.objects.get()
    assert run.status == "failed" and "mail server is down" in run.error and len(mailoutbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert schedules.tick(now=run.next_attempt_at + timedelta(seconds=1)) == 1
    run.refresh_from_db()
    assert run.status == "sent" and len(calls) == 3
    # The retry reached only the recipient the failed try missed.
    assert sorted(mail.to[0] for mail in mailoutbox) == ["boss@example.org", "client@example.com"]
    link = ShareLink.objects.get()
    assert run.share_link == link
    tokens = {mail.body.split("/r/")[1].split("/")[0] for mail in calls}
    assert len(tokens) == 1 and ShareLink.hash(tokens.pop()) == link.token_hash
