"""The running-timer reminder: one e-mail per timer past the setting, never two, none when it is off."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from tests.factories import TaskFactory, UserFactory
from timetracker.billing.models import Settings
from timetracker.tasks import entries, reminders
from timetracker.tasks.models import TimerReminder

pytestmark = pytest.mark.django_db


@pytest.fixture
def sam():
    return UserFactory(role="Staff", username="sam", first_name="Sam", email="sam@agency.example")


def start(user, hours_ago, title="Homepage copy"):
    task = TaskFactory(title=title)
    return entries.record(
        task=task, user=user, started_at=timezone.now() - timedelta(hours=hours_ago), by=user
    )


def test_a_timer_past_the_setting_gets_one_email(sam, django_capture_on_commit_callbacks):
    long_running = start(sam, 9)
    start(UserFactory(role="Staff", email="new@agency.example"), 2)  # under 8 hours: not yet
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.remind() == 1
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["sam@agency.example"] and "Homepage copy" in sent.subject and "9h" in sent.subject
    assert "/logs/" in sent.body and "Homepage copy" in sent.alternatives[0][0]
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.remind() == 0  # the next tick: already reminded
    assert len(mail.outbox) == 1
    assert TimerReminder.objects.get().entry_id == long_running.pk


def test_off_when_the_setting_is_zero(sam, django_capture_on_commit_callbacks):
    Settings.objects.update_or_create(pk=Settings.load().pk, defaults={"reminder_after_hours": 0})
    start(sam, 30)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders.remind() == 0
    assert mail.outbox == []


def test_a_timer_stopped_before_the_worker_sends_is_not_mailed(sam, django_capture_on_commit_callbacks):
    entry = start(sam, 9)
    reminders.remind()  # queued, not yet run (the callbacks are not executed)
    entries.change(entry, ended_at=timezone.now(), by=sam)
    assert reminders.send_reminder.call(entry.pk) is False
    assert mail.outbox == []


def test_deleting_a_reminded_entry_goes_through_the_write_path(sam, django_capture_on_commit_callbacks):
    entry = start(sam, 9)
    with django_capture_on_commit_callbacks(execute=True):
        reminders.remind()
    entries.remove(entry, by=sam)
    assert TimerReminder.objects.count() == 1  # harmless: it names an id no entry will have again
