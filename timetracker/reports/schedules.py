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
from django.utils.crypto import salted_hmac

from timetracker.billing.models import Settings
from timetracker.lib.dates import localdate, week_first_day, zone
from timetracker.reports import display, engine, exports, ranges
from timetracker.reports.models import ReportRun, ReportSchedule, ShareLink
from timetracker.reports.unsubscribe import unsubscribe_token

MAX_ATTEMPTS = 5
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
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
    return sorted(set(internal + schedule.external_addresses()))


def run_link(run, report):
    """The token of the run's share link: one link per run, however often its sending is retried.

    Only a token's hash is stored, so a retry cannot read the first try's token back; the token is derived
    from the run (keyed with SECRET_KEY, so nobody without it can work one out) and made again instead."""
    token = salted_hmac("reports.ReportRun.share_link", str(run.pk), algorithm="sha256").hexdigest()
    if run.share_link_id is None:
        # Found by its hash if a try issued it but stopped before recording it on the run.
        found = ShareLink.objects.filter(token_hash=ShareLink.hash(token)).first()
        run.share_link = (
            found
            or ShareLink.issue(
                report=run.schedule.report,
                by=run.schedule.created_by,
                days=90,
                token=token,
                # People's names stay off, as on every new share link: the e-mail may leave the agency.
                show_amounts=report.show_amounts,
                pinned_range=ranges.custom(run.period_start, run.period_end),
            )[0]
        )
        run.save(update_fields=["share_link"])
    return token


def _attachments(run, report, table):
    """(name, content, type) of each file the schedule sends, made once for all its recipients."""
    schedule = run.schedule
    stem = f"{schedule.report.name} {run.period_start:%Y-%m-%d}".replace("/", "-")
    files = []
    for fmt in schedule.formats:
        if fmt == "pdf":
            chart = display.chart_context(report)
            files.append(
                (f"{stem}.pdf", exports.report_pdf_bytes(report, table=table, chart=chart), "application/pdf")
            )
        elif fmt == "xlsx":
            files.append((f"{stem}.xlsx", exports.report_xlsx_bytes(report), exports.XLSX_TYPE))
        elif fmt == "csv":
            files.append((f"{stem}.csv", exports.report_csv_bytes(report), "text/csv"))
    return files


def attachment_limit():
    """Bytes of attachments one e-mail may carry (REPORTS_ATTACHMENT_MAX_BYTES); above it the e-mail carries
    the share link instead, as mail servers refuse or mangle big messages."""
    return getattr(settings, "REPORTS_ATTACHMENT_MAX_BYTES", ATTACHMENT_MAX_BYTES)


def compose(run, report):
    """(context, attachments) of the run's e-mail: the same for every recipient but the unsubscribe link."""
    schedule = run.schedule
    table = display.report_table(report, drill=False)
    ctx = {
        "saved": schedule.report,
        "report": report,
        "table": table,
        "dimension_names": [engine.DIMENSIONS[d] for d in report.dimensions],
        "bars": display.email_bars(report),
        "site_name": settings.SITE_NAME,
    }
    files = _attachments(run, report, table)
    size = sum(len(content) for _, content, _ in files)
    if size > attachment_limit():
        ctx["too_big"] = {"names": [name for name, _, _ in files], "megabytes": f"{size / 1_000_000:.1f}"}
        files = []
    if "link" in schedule.formats or "too_big" in ctx:
        ctx["link"] = absolute(reverse("reports:shared", args=[run_link(run, report)]))
    return ctx, files


def absolute(path):
    return settings.SITE_URL.rstrip("/") + path


def message(run, ctx, files, address):
    """One recipient's e-mail (one each: the unsubscribe link is theirs, and nobody sees the other addresses)."""
    unsubscribe = absolute(reverse("reports:unsubscribe", args=[unsubscribe_token(run.schedule, address)]))
    ctx = {**ctx, "unsubscribe": unsubscribe}
    mail = EmailMultiAlternatives(
        subject=f"{ctx['saved'].name}: {ctx['report'].period}",
        body=render_to_string("reports/email/report.txt", ctx),
        to=[address],
        # RFC 8058: mail clients offer their own unsubscribe button, which POSTs to the link.
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    mail.attach_alternative(render_to_string("reports/email/report.html", ctx), "text/html")
    for name, content, mimetype in files:
        mail.attach(name, content, mimetype)
    return mail


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
        addresses = recipients(schedule)
        if not addresses:
            raise ValueError("The schedule has no recipients.")
        ctx, files = compose(run, report)
        for address in addresses:
            if address in run.delivered:  # a retry sends only to those the failed try did not reach
                continue
            message(run, ctx, files, address).send()
            run.delivered.append(address)
            ReportRun.objects.filter(pk=run.pk).update(delivered=run.delivered)
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
