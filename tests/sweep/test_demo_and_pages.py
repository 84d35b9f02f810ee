"""At each awkward moment: the demo seeds, and every page and the main API lists answer each role."""

from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.factories import TimeEntryFactory
from tests.sweep.moments import AMSTERDAM, MOMENTS, NEW_YEAR, NEW_YORK, PDF_MOMENTS, YEAR_END
from timetracker.accounts.models import User
from timetracker.billing import invoicing
from timetracker.billing.models import Invoice, InvoiceLine
from timetracker.buckets.models import Bucket, BucketAlert
from timetracker.clients.models import Client, Site
from timetracker.tasks.models import Task, TimeEntry

pytestmark = [pytest.mark.sweep, pytest.mark.django_db]

EVERYONE, MANAGERS, ADMINS = {"alice", "dana", "bob"}, {"alice", "dana"}, {"alice"}


def demo_counts():
    models = (User, Client, Task, TimeEntry, Invoice, InvoiceLine, BucketAlert)
    return {model.__name__: model.objects.count() for model in models}


def pages(invoice):
    """(url, who may see it) for every page and the main API lists; the others get a 403."""
    acme = Client.objects.get(name="Acme Corp")
    bucket = Bucket.objects.get(title="Acme monthly maintenance")
    bobs_task = TimeEntry.objects.running().get(user__username="bob").task
    return [
        (reverse("dashboard"), EVERYONE),
        (reverse("tasks:log_list"), EVERYONE),
        (reverse("tasks:log_list") + "?period=prev_month", EVERYONE),
        (reverse("tasks:timesheet"), EVERYONE),
        (reverse("tasks:task_detail", args=[bobs_task.pk]), EVERYONE),
        (reverse("buckets:list"), EVERYONE),
        (reverse("buckets:detail", args=[bucket.pk]), EVERYONE),
        (reverse("clients:list"), EVERYONE),
        (reverse("clients:detail", args=[acme.pk]), EVERYONE),
        (reverse("clients:site_list"), EVERYONE),
        (reverse("clients:site_detail", args=[Site.objects.get(name="acme.com").pk]), EVERYONE),
        (reverse("billing:unbilled"), MANAGERS),
        (reverse("billing:invoice_list"), MANAGERS),
        (reverse("billing:invoice_detail", args=[invoice.pk]), MANAGERS),
        (reverse("billing:settings"), ADMINS),
        (reverse("accounts:profile"), EVERYONE),
        ("/api/v1/time-entries", EVERYONE),
        ("/api/v1/time-entries?filter=period:prev_month", EVERYONE),
        ("/api/v1/time-entries/unbilled", EVERYONE),
        ("/api/v1/tasks", EVERYONE),
        ("/api/v1/clients", EVERYONE),
        ("/api/v1/buckets", EVERYONE),
        ("/api/v1/invoices", MANAGERS),
        ("/api/v1/reports/summary", EVERYONE),
    ]


@pytest.mark.parametrize("moment", MOMENTS)
def test_the_demo_seeds_and_every_page_answers(client, moment):
    # Seeded in the agency's zone, as manage.py runs it: not in one an earlier test's request left active.
    with time_machine.travel(moment, tick=True), timezone.override(None):
        call_command("seed_demo", stdout=StringIO())
        seeded = demo_counts()
        call_command("seed_demo", stdout=StringIO())
        assert demo_counts() == seeded, "a second seed_demo must change nothing"

        invoice = Invoice.objects.get()
        assert invoice.status == "sent" and invoice.lines.exists()
        assert invoice.period_start <= invoice.period_end <= invoice.issue_date
        assert all(line.entries.exists() for line in invoice.lines.all())

        # Every answer is collected first, so one run shows every page that breaks at this moment.
        wrong = []
        for username in ("alice", "dana", "bob"):
            client.force_login(User.objects.get(username=username))
            for url, allowed in pages(invoice):
                expected = 200 if username in allowed else 403
                status = client.get(url).status_code
                if status != expected:
                    wrong.append(f"{username} {url}: {status}, expected {expected}")
        if moment in PDF_MOMENTS:
            client.force_login(User.objects.get(username="alice"))
            pdf = client.get(reverse("billing:invoice_pdf", args=[invoice.pk]))
            if pdf.status_code != 200 or not pdf.content.startswith(b"%PDF"):
                wrong.append(f"alice invoice PDF: {pdf.status_code}")
        assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("agency_zone", ["UTC", AMSTERDAM, NEW_YORK])
def test_invoices_on_dec_31_and_jan_1_are_numbered_in_their_issue_year(settings, alice, agency_zone):
    settings.TIME_ZONE = agency_zone
    numbers = []
    for moment in (YEAR_END, NEW_YEAR):
        # Outside a request "today" is the agency's; a zone a signed-in request left active must not count.
        with time_machine.travel(moment, tick=True), timezone.override(None):
            entry = TimeEntryFactory(billable=True)
            invoice = invoicing.create_invoice(client=entry.task.client, by=alice)
        # The issue date is the agency's today: in Amsterdam 23:59 UTC on Dec 31 is already the new year.
        assert invoice.issue_date == moment.astimezone(ZoneInfo(agency_zone)).date()
        numbers.append(invoice.number)
    expected = {
        "UTC": ["2026-0001", "2027-0001"],
        AMSTERDAM: ["2027-0001", "2027-0002"],
        NEW_YORK: ["2026-0001", "2026-0002"],
    }
    assert numbers == expected[agency_zone]
