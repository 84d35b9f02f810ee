import itertools
from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from timetracker import demo
from timetracker.accounts.models import User
from timetracker.billing import invoicing
from timetracker.billing.models import Invoice
from timetracker.buckets.models import BucketAlert
from timetracker.clients.models import Client
from timetracker.demo import DEMO_PASSWORD
from timetracker.tasks.models import Task, TimeEntry

pytestmark = pytest.mark.django_db


def counts():
    return [m.objects.count() for m in (User, Client, Task, TimeEntry, Invoice, BucketAlert)]


def test_seed_demo_creates_realistic_data_once():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert f'Log in as "alice" with password "{DEMO_PASSWORD}"' in out.getvalue()
    first = counts()
    call_command("seed_demo", stdout=StringIO())
    assert counts() == first
    users, clients, tasks, entries, invoices, alerts = first
    assert alerts >= 1  # the demo's buckets have crossed thresholds, as bookkeeping would see
    assert users == 3 and clients >= 5 and tasks >= 10 and invoices == 1
    assert entries >= 200
    # Three roles, each can log in with the documented password.
    for username in ("alice", "dana", "bob"):
        assert User.objects.get(username=username).check_password(DEMO_PASSWORD)
    assert {u.role for u in User.objects.all()} == {"Admin", "Manager", "Staff"}


def test_seeded_entries_are_consistent():
    call_command("seed_demo", stdout=StringIO())
    assert TimeEntry.objects.running().count() == 1
    for entry in TimeEntry.objects.stopped().select_related("task")[:200]:
        assert entry.ended_at > entry.started_at
        assert entry.duration_seconds == entry.elapsed_seconds()
        assert entry.rounded_seconds >= entry.duration_seconds  # the demo rounds up
        assert (entry.amount is None) == (not entry.billable or entry.hourly_rate is None)
    # Nobody works on two things at once in the demo.
    for user in User.objects.all():
        spans = list(
            TimeEntry.objects.stopped()
            .filter(user=user)
            .order_by("started_at")
            .values_list("started_at", "ended_at")
        )
        assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(spans))


def test_the_demo_invoice_bills_its_entries_and_totals_them():
    call_command("seed_demo", stdout=StringIO())
    invoice = Invoice.objects.get()
    lines = list(invoice.lines.all())
    assert lines and all(line.entries.exists() for line in lines)
    assert invoice.total == sum(line.amount for line in lines)
    for line in lines:
        assert line.quantity_seconds == sum(e.rounded_seconds for e in line.entries.all())


def test_entries_scale_up_for_benchmarks():
    call_command("seed_demo", entries=900, stdout=StringIO())
    assert TimeEntry.objects.count() == 900 + 1  # plus the running timer
    call_command("seed_demo", entries=900, stdout=StringIO())
    assert TimeEntry.objects.count() == 901


def test_a_negative_entry_count_is_refused():
    with pytest.raises(CommandError, match="--entries must be zero or more"):
        call_command("seed_demo", entries=-5)


def test_invoices_made_after_the_demo_continue_its_numbering():
    call_command("seed_demo", stdout=StringIO())
    demo_invoice = Invoice.objects.get()
    client = Client.objects.exclude(pk=demo_invoice.client_id).first()
    alice = User.objects.get(username="alice")
    made = invoicing.create_invoice(client=client, by=alice, issue_date=demo_invoice.issue_date)
    assert made.number == demo_invoice.number[:-1] + "2"


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 30, 12, 0, tzinfo=UTC),  # the day the README's first command crashed
        datetime(2027, 1, 31, 23, 30, tzinfo=UTC),
        datetime(2028, 2, 29, 12, 0, tzinfo=UTC),
    ],
    ids=str,
)
def test_the_demo_invoice_bills_the_first_two_weeks_of_the_history_whatever_the_day(moment):
    with time_machine.travel(moment, tick=True), timezone.override(None):
        call_command("seed_demo", stdout=StringIO())
    invoice = Invoice.objects.get()
    first = TimeEntry.objects.filter(task__client=invoice.client).earliest("started_at")
    assert invoice.status == "sent" and invoice.lines.exists()
    assert invoice.period_start == first.started_at.date()
    assert invoice.period_end == invoice.period_start + timedelta(days=13)
    assert invoice.period_end < invoice.issue_date <= moment.date()
    # Later time stays unbilled, for the Unbilled page to show.
    assert TimeEntry.objects.filter(task__client=invoice.client).stopped().billable().unbilled().exists()


def test_a_seed_too_small_to_reach_the_invoiced_client_makes_no_invoice():
    out = StringIO()
    call_command("seed_demo", entries=0, stdout=out)
    assert "no invoice" in out.getvalue()
    assert not Invoice.objects.exists() and User.objects.count() == 3
    first = counts()
    call_command("seed_demo", entries=0, stdout=StringIO())
    assert counts() == first


def test_a_seed_that_fails_saves_nothing_and_says_what_failed(monkeypatch):
    def refuse(**kwargs):
        raise invoicing.InvoicingError("Acme Corp has no unbilled billable time in that period.")

    monkeypatch.setattr(invoicing, "create_invoice", refuse)
    with pytest.raises(CommandError, match="no demo data was saved: Acme Corp has no unbilled"):
        call_command("seed_demo", stdout=StringIO())
    assert counts() == [0, 0, 0, 0, 0, 0]


def test_a_big_seed_adds_staff_and_never_reaches_before_its_first_day(monkeypatch):
    # Scaled down: 100 entries a person, histories no older than 1 November (about 13 weekdays, ~60 each).
    monkeypatch.setattr(demo, "PER_PERSON", 100)
    monkeypatch.setattr(demo, "HISTORY_FROM", date(2026, 11, 1))
    demo.seed(entries=500, log=lambda text: None)
    assert User.objects.filter(username__startswith="staff").count() == 2  # 5 people for 500 entries
    assert TimeEntry.objects.order_by("started_at").first().started_at.date() >= date(2026, 10, 31)
    assert 250 < TimeEntry.objects.count() < 500  # as many as fit, and no crash
