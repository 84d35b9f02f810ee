"""A usage report on request: one click on a client's page e-mails the client's contacts a PDF of the client's
time this month and a share link to the same report online (reports' engine, PDF and ShareLink, so the figures
are the Reports page's). The "report requested" event is recorded in the same transaction.

The report runs as the Manager who asked and without amounts: it goes to the client, and rates stay internal
unless someone shares them on purpose from the Reports page."""

import smtplib
from dataclasses import dataclass

from django.conf import settings as django_settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from timetracker.accounts import once
from timetracker.automation import events
from timetracker.automation.audit import Month
from timetracker.billing.mailing import MailError, agency_name, recipients
from timetracker.billing.models import Settings
from timetracker.lib.dates import agency_day, agency_zone
from timetracker.reports import display, engine, exports, ranges
from timetracker.reports.models import SavedReport, ShareLink

LINK_DAYS = 30


@dataclass
class Sent:
    to: list
    url: str
    month: Month


def contacts(client):
    """The client's contact addresses, checked; a clear refusal when there are none to send to."""
    if not client.email:
        raise MailError(f"{client} has no e-mail address; add one on the client's Edit page first.")
    return recipients(client.email)


def usage_spec(client, month):
    return engine.ReportSpec(
        group="task", range=ranges.custom(month.first, month.last), filters={"client": [str(client.pk)]}
    )


def send_usage_report(client, *, by, token="", today=None):
    """E-mail this month's usage report of `client` to its contacts; returns Sent, or None when `token` (the
    form's one-time token) was used already: a double click sends one e-mail. A failed send writes nothing."""
    to = contacts(client)
    month = Month((today or agency_day(timezone.now())).replace(day=1))
    spec = usage_spec(client, month)
    with once.first_time(by, token) as first:
        if not first:
            return None
        # One saved report per Manager and client carries the links, so their saved list does not grow.
        name = f"Usage report: {client.name}"[:120]
        saved = SavedReport.objects.filter(owner=by, name=name).first() or SavedReport(owner=by, name=name)
        saved.spec = spec.to_json()
        saved.save()
        link, link_token = ShareLink.issue(report=saved, by=by, days=LINK_DAYS, pinned_range=spec.range)
        url = django_settings.SITE_URL.rstrip("/") + reverse("reports:shared", args=[link_token])
        report = engine.run(spec, by, tz=agency_zone(), show_amounts=False)
        pdf = exports.report_pdf_bytes(
            report, table=display.report_table(report, drill=False), chart=display.chart_context(report)
        )
        events.record(
            events.EventType.REPORT_REQUESTED,
            key=f"share-link:{link.pk}",
            payload={"month": month.key, "share_link_id": link.pk, "recipients": to},
            client=client,
            actor=by,
        )
        _mail(client, report, month, url=url, to=to, by=by, pdf=pdf)
    return Sent(to=to, url=url, month=month)


def _mail(client, report, month, *, url, to, by, pdf):
    agency = Settings.load()
    ctx = {
        "client": client,
        "report": report,
        "month": month,
        "url": url,
        "days": LINK_DAYS,
        "sender": by,
        "agency_name": agency_name(),
        "hours": report.totals.rounded,
    }
    reply_to = agency.agency_email or by.email
    mail = EmailMultiAlternatives(
        subject=f"{client.name}: time used in {month.label} ({agency_name()})",
        body=render_to_string("email/usage_report.txt", ctx),
        to=to,
        bcc=[by.email] if by.email else [],
        reply_to=[reply_to] if reply_to else [],
    )
    mail.attach_alternative(render_to_string("email/usage_report.html", ctx), "text/html")
    mail.attach(f"{client.name} {month.key}.pdf".replace("/", "-"), pdf, "application/pdf")
    try:
        mail.send()
    except (smtplib.SMTPException, OSError) as error:
        raise MailError(
            f"The e-mail could not be sent ({error}); nothing was sent. Try again later."
        ) from None
