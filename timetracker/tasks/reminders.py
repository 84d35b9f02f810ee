"""The running-timer reminder: a timer still running after Settings.reminder_after_hours gets its owner one
e-mail (a forgotten timer turns into a day of wrong time otherwise). `manage.py run_schedules` calls `remind`
every minute; the e-mail goes out through the worker."""

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from timetracker.billing.models import Settings
from timetracker.lib import dates
from timetracker.lib.durations import format_duration
from timetracker.tasks.models import TimeEntry, TimerReminder


def remind(now=None):
    """Queue one e-mail for each timer running longer than the setting allows; returns how many."""
    hours = Settings.load().reminder_after_hours
    if not hours:
        return 0
    now = now or timezone.now()
    due = (
        TimeEntry.objects.running()
        .filter(started_at__lte=now - timedelta(hours=hours))
        .exclude(pk__in=TimerReminder.objects.values("entry_id"))
        .values_list("pk", "user_id")
    )
    queued = 0
    for entry_id, user_id in due:
        try:
            with transaction.atomic():
                # The unique row is the claim: two ticks at once send one e-mail.
                TimerReminder.objects.create(entry_id=entry_id, user_id=user_id, sent_at=now)
        except IntegrityError:
            continue
        transaction.on_commit(lambda entry_id=entry_id: send_reminder.enqueue(entry_id))
        queued += 1
    return queued


@task
def send_reminder(entry_id):
    entry = TimeEntry.objects.running().select_related("task__client", "user").filter(pk=entry_id).first()
    if entry is None or not entry.user.email:
        return False  # stopped meanwhile, or nowhere to write to
    message(entry).send()
    return True


def message(entry):
    ctx = {
        "entry": entry,
        "user": entry.user,
        "elapsed": format_duration(entry.elapsed_seconds()),
        "started": timezone.localtime(entry.started_at, timezone=dates.zone(entry.user.time_zone)),
        "logs_url": settings.SITE_URL.rstrip("/") + reverse("tasks:log_list"),
        "site_name": settings.SITE_NAME,
    }
    mail = EmailMultiAlternatives(
        subject=f"Your timer on {entry.task.title} is still running ({ctx['elapsed']})",
        body=render_to_string("email/timer_reminder.txt", ctx),
        to=[entry.user.email],
    )
    mail.attach_alternative(render_to_string("email/timer_reminder.html", ctx), "text/html")
    return mail
