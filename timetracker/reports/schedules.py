"""Scheduled report e-mails: when a schedule is due, which period a run covers, the tick and the sending.

A minute's tick (`manage.py run_schedules`) claims the due schedules, records one ReportRun per (schedule,
period) and queues its sending; the unique row is what makes a double tick, or two tickers, send once.
A failed send is retried with a growing pause, up to MAX_ATTEMPTS, and stays in the schedule's run history.
"""

from datetime import datetime, timedelta

from cronsim import CronSim, CronSimError
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from timetracker.billing.models import Settings
from timetracker.lib.dates import localdate, week_first_day, zone
from timetracker.reports import display, engine, exports, ranges
from timetracker.reports.models import ReportRun, ReportSchedule, ShareLink

MAX_ATTEMPTS = 5
ATTACHMENT_TYPES = {
    "pdf": ("application/pdf", "pdf"),
    "xlsx": (exports.XLSX_TYPE, "xlsx"),
    "csv": ("text/csv", "csv"),
}
FORMATS = [("pdf", "PDF"), ("xlsx", "XLSX"), ("csv", "CSV"), ("link", "Link to the report")]


def cron_line(schedule):
    """The schedule as a cron line (minute hour day month weekday), read in its own time zone."""
    if schedule.frequency == ReportSchedule.Frequency.CRON:
        return schedule.cron
    at = schedule.time_of_day
    if schedule.frequency == ReportSchedule.Frequency.DAILY:
        return f"{at.minute} {at.hour} * * *"
    if schedule.frequency == ReportSchedule.Frequency.WEEKLY:
        return f"{at.minute} {at.hour} * * {(schedule.weekday + 1) % 7}"  # cron counts from Sunday
    return f"{at.minute} {at.hour} 1 * *"


def check_cron(line):
    try:
        CronSim(line, datetime.now(zone("UTC")))
    except CronSimError as error:
        raise ValueError(f'"{line}" is not a cron line: {error}') from None


def next_run(schedule, after):
    """The first moment after `after` the schedule fires, in its zone (cronsim follows Debian cron on DST days)."""
    return next(CronSim(cron_line(schedule), after.astimezone(zone(schedule.time_zone))))


def covered(schedule, fired_at):
    """(first, last) day of the last complete period before `fired_at`, in the schedule's zone."""
    today = localdate(fired_at, schedule.time_zone)
    if schedule.period == ReportSchedule.Period.DAY:
        return today - timedelta(days=1), today - timedelta(days=1)
    if schedule.period == ReportSchedule.Period.WEEK:
        this_week = week_first_day(today, int(Settings.load().week_start))
        return this_week - timedelta(days=7), this_week - timedelta(days=1)
    this_month = today.replace(day=1)
    return (this_month - timedelta(days=1)).replace(day=1), this_month - timedelta(days=1)


def tick(now=None):
    """Queue every due run; returns how many were queued. Safe to run twice at once or twice in a minute."""
    now = now or timezone.now()
    queued = []
    with transaction.atomic():
        due = ReportSchedule.objects.filter(paused=False, next_run_at__lte=now).select_for_update(
            skip_locked=True
        )
        for schedule in due:
            first, last = covered(schedule, schedule.next_run_at)
            run, created = ReportRun.objects.get_or_create(
                schedule=schedule, period_start=first, defaults={"period_end": last}
            )
            if created:
                queued.append(run.pk)
            schedule.last_run_at = now
            schedule.next_run_at = next_run(schedule, now)
            schedule.save(update_fields=["last_run_at", "next_run_at"])
        retries = ReportRun.objects.filter(
            status=ReportRun.Status.FAILED, attempts__lt=MAX_ATTEMPTS, next_attempt_at__lte=now
        ).select_for_update(skip_locked=True)
        for run in retries:
            run.next_attempt_at = None  # taken: the next tick must not queue it again
            run.save(update_fields=["next_attempt_at"])
            queued.append(run.pk)
        for pk in queued:
            transaction.on_commit(lambda pk=pk: send_run.enqueue(pk))
    return len(queued)


def recipients(schedule):
    internal = [user.email for user in schedule.users.filter(is_active=True) if user.email]
    external = [line.strip() for line in schedule.emails.replace(",", "\n").splitlines() if line.strip()]
    return sorted(set(internal + external))


def _message(run, report):
    schedule = run.schedule
    saved = schedule.report
    table = display.report_table(report, drill=False)
    ctx = {
        "saved": saved,
        "report": report,
        "table": table,
        "dimension_names": [engine.DIMENSIONS[d] for d in report.dimensions],
        "bars": display.email_bars(report),
        "site_name": settings.SITE_NAME,
    }
    if "link" in schedule.formats:
        _, token = ShareLink.issue(
            report=saved,
            by=schedule.created_by,
            days=90,
            # People's names stay off, as on every new share link: the e-mail may leave the agency.
            show_amounts=report.show_amounts,
            pinned_range=ranges.custom(run.period_start, run.period_end),
        )
        ctx["link"] = settings.SITE_URL.rstrip("/") + reverse("reports:shared", args=[token])
    subject = f"{saved.name}: {report.period}"
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("reports/email/report.txt", ctx),
        bcc=recipients(schedule),  # recipients outside the agency must not see each other
    )
    message.attach_alternative(render_to_string("reports/email/report.html", ctx), "text/html")
    stem = f"{saved.name} {run.period_start:%Y-%m-%d}".replace("/", "-")
    for fmt in schedule.formats:
        if fmt == "pdf":
            chart = display.chart_context(report)
            message.attach(
                f"{stem}.pdf", exports.report_pdf_bytes(report, table=table, chart=chart), "application/pdf"
            )
        elif fmt == "xlsx":
            message.attach(f"{stem}.xlsx", exports.report_xlsx_bytes(report), exports.XLSX_TYPE)
        elif fmt == "csv":
            message.attach(f"{stem}.csv", exports.report_csv_bytes(report), "text/csv")
    return message


@task
def send_run(run_id):
    run = ReportRun.objects.select_related("schedule__report__owner", "schedule__created_by").get(pk=run_id)
    if run.status == ReportRun.Status.SENT:
        return run.status
    schedule = run.schedule
    owner = schedule.report.owner
    try:
        if not owner.has_role:  # a departed owner's schedule sends nothing (their scope is empty anyway)
            raise ValueError(
                f"The report's owner, {owner}, is no longer active; give the report a new owner."
            )
        spec = schedule.report.report_spec
        spec.range = ranges.custom(run.period_start, run.period_end)
        show = schedule.show_amounts and Settings.load().can_see_rates(owner)
        report = engine.run(spec, owner, tz=schedule.time_zone, show_amounts=show)
        if not recipients(schedule):
            raise ValueError("The schedule has no recipients.")
        _message(run, report).send()
    except Exception as error:  # recorded for the run history and retried by a later tick
        run.attempts += 1
        run.status = ReportRun.Status.FAILED
        run.error = str(error)[:2000]
        run.next_attempt_at = timezone.now() + timedelta(minutes=5 * 2 ** (run.attempts - 1))
        run.save(update_fields=["attempts", "status", "error", "next_attempt_at"])
        ReportSchedule.objects.filter(pk=schedule.pk).update(failure_count=F("failure_count") + 1)
        return run.status
    run.attempts += 1
    run.status, run.sent_at, run.error = ReportRun.Status.SENT, timezone.now(), ""
    run.save(update_fields=["attempts", "status", "sent_at", "error"])
    return run.status
