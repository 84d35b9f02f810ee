"""Kept task totals always equal a fresh sum of the entries, whatever the write path does in whatever order."""

import contextlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from tests.factories import ClientFactory, ProjectFactory, TaskFactory, UserFactory
from timetracker.billing import invoicing, rerating
from timetracker.tasks import entries, timer, totals
from timetracker.tasks.models import Task, TaskTotal, TimeEntry

pytestmark = pytest.mark.django_db
BASE = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)


class WritesOfTime(RuleBasedStateMachine):
    """Random records, edits, deletes, invoicing, voiding, marking, re-rating and bulk loads."""

    tasks = Bundle("tasks")
    made = Bundle("entries")

    @initialize(target=tasks)
    def world(self):
        self.clients = [
            ClientFactory(hourly_rate=Decimal("90.00")),
            ClientFactory(hourly_rate=None),
        ]
        self.people = [UserFactory(role="Staff"), UserFactory(role="Manager")]
        self.manager = self.people[1]
        self.step = 0
        project = ProjectFactory(client=self.clients[0], hourly_rate=Decimal("120.00"))
        return TaskFactory(client=self.clients[0], project=project)

    def _moment(self):
        self.step += 1
        return BASE + timedelta(hours=3 * self.step)

    @rule(target=tasks, client=st.integers(0, 1), billable=st.booleans())
    def add_task(self, client, billable):
        return TaskFactory(client=self.clients[client], billable=billable)

    @rule(
        target=made,
        task=tasks,
        person=st.integers(0, 1),
        minutes=st.integers(1, 300),
        billable=st.none() | st.booleans(),
    )
    def record(self, task, person, minutes, billable):
        start = self._moment()
        try:
            return entries.record(
                task=task,
                user=self.people[person],
                started_at=start,
                ended_at=start + timedelta(minutes=minutes, seconds=17),
                billable=billable,
            )
        except entries.EntryError:
            return None

    @rule(target=made, task=tasks, minutes=st.integers(0, 90))
    def timer_run(self, task, minutes):
        start = timezone_now() - timedelta(hours=1)
        try:
            entry = timer.start(user=self.people[0], task=task, now=start)
            return timer.stop(entry=entry, now=start + timedelta(minutes=minutes))
        except entries.EntryError:
            return None

    @rule(
        entry=made,
        minutes=st.integers(-30, 240),
        billable=st.booleans(),
        rate=st.none() | st.just("keep") | st.decimals("0", "500", places=2),
    )
    def change(self, entry, minutes, billable, rate):
        if entry is None:
            return
        fields = {"billable": billable}
        if rate != "keep":
            fields["hourly_rate"] = rate
        try:
            current = TimeEntry.objects.get(pk=entry.pk)
            fields["ended_at"] = current.ended_at + timedelta(minutes=minutes)
            entries.change(entry, by=self.manager, **fields)
        except (entries.EntryError, TimeEntry.DoesNotExist):
            pass

    @rule(entry=made, task=tasks)
    def move(self, entry, task):
        if entry is not None:
            with contextlib.suppress(entries.EntryError):
                entries.change(entry, by=self.manager, task=task)

    @rule(entry=made)
    def remove(self, entry):
        if entry is not None:
            with contextlib.suppress(entries.EntryError):
                entries.remove(entry, by=self.manager)

    @rule(client=st.integers(0, 1))
    def invoice(self, client):
        with contextlib.suppress(invoicing.InvoicingError):
            invoicing.create_invoice(client=self.clients[client], by=self.manager)

    @rule(cancel=st.booleans())
    def undo_an_invoice(self, cancel):
        from timetracker.billing.models import Invoice

        invoice = Invoice.objects.filter(client__in=self.clients, status="draft").order_by("-pk").first()
        if invoice is None:
            return
        if cancel:
            invoicing.cancel(invoice, by=self.manager)
        elif line := invoice.lines.first():
            invoicing.void_line(line, by=self.manager)

    @rule(entry=made)
    def mark_elsewhere(self, entry):
        if entry is not None and TimeEntry.objects.filter(pk=entry.pk, ended_at__isnull=False).exists():
            with contextlib.suppress(invoicing.InvoicingError):
                invoicing.mark_invoiced([entry], reference="EXT-1", by=self.manager)

    @rule(rate=st.decimals("1", "300", places=2))
    def rerate(self, rate):
        client = self.clients[0]
        client.hourly_rate = rate
        client.save()
        mine = TimeEntry.objects.filter(task__client=client)
        count = rerating.preview(entries=mine).entries_changed
        rerating.apply(entries=mine, expected_count=count)

    @rule(task=tasks, count=st.integers(1, 4))
    def bulk_load(self, task, count):
        if not Task.objects.filter(pk=task.pk).exists():
            return
        rows = []
        for _ in range(count):
            start = self._moment()
            rows.append(
                TimeEntry(
                    task=task, user=self.people[0], started_at=start, ended_at=start + timedelta(minutes=50)
                )
            )
        entries.record_many(rows)

    @rule(task=tasks)
    def delete_task(self, task):
        with contextlib.suppress(entries.EntryError):
            entries.remove_task(task, by=self.manager)

    @invariant()
    def kept_equals_fresh(self):
        assert totals.compare() == []


def timezone_now():
    from django.utils import timezone

    return timezone.now()


def test_kept_totals_always_equal_the_entries(db):
    run_state_machine_as_test(
        WritesOfTime,
        settings=settings(
            max_examples=12,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


def test_check_totals_reports_a_difference_and_fix_repairs_it(bob):
    task = TaskFactory(client=ClientFactory(hourly_rate=Decimal("100.00")))
    entries.record(task=task, user=bob, started_at=BASE, ended_at=BASE + timedelta(hours=2))
    out = StringIO()
    call_command("check_totals", stdout=out)
    assert "agree" in out.getvalue()

    TaskTotal.objects.filter(task=task).update(tracked_seconds=1, unbilled_amount=Decimal("5.00"))
    out = StringIO()
    with pytest.raises(CommandError, match="2 figure"):
        call_command("check_totals", stdout=out)
    assert (
        f"task {task.pk}, user {bob.pk}: tracked_seconds is 1, the entries add up to 7200" in out.getvalue()
    )
    call_command("check_totals", "--fix", stdout=StringIO())
    kept = TaskTotal.objects.get(task=task)
    assert (kept.tracked_seconds, kept.unbilled_amount) == (7200, Decimal("200.00"))
    assert totals.compare() == []


def test_the_totals_of_a_task_read_as_its_entries_add_up(bob, dana):
    task = TaskFactory(client=ClientFactory(hourly_rate=Decimal("60.00")))
    first = entries.record(task=task, user=bob, started_at=BASE, ended_at=BASE + timedelta(minutes=90))
    entries.record(
        task=task, user=dana, started_at=BASE, ended_at=BASE + timedelta(minutes=30), billable=False
    )
    invoicing.mark_invoiced([first], reference="EXT-9", by=dana)
    mine, hers = TaskTotal.objects.get(task=task, user=bob), TaskTotal.objects.get(task=task, user=dana)
    assert (mine.entries, mine.tracked_seconds, mine.billable_seconds, mine.amount) == (
        1,
        5400,
        5400,
        Decimal("90.00"),
    )
    assert (mine.unbilled_seconds, mine.unbilled_amount) == (0, Decimal("0"))
    assert (hers.entries, hers.tracked_seconds, hers.billable_seconds, hers.amount) == (
        1,
        1800,
        0,
        Decimal("0"),
    )


def test_time_taken_from_a_row_never_kept_recounts_the_task(bob, dana):
    # Entries written before the totals existed (or by old code during a deploy) have no kept row.
    task = TaskFactory(client=ClientFactory(hourly_rate=Decimal("100.00")))
    first = entries.record(task=task, user=bob, started_at=BASE, ended_at=BASE + timedelta(hours=1))
    entries.record(task=task, user=dana, started_at=BASE, ended_at=BASE + timedelta(hours=2))
    TaskTotal.objects.filter(task=task).delete()
    entries.remove(first, by=bob)
    assert totals.compare() == []
    assert TaskTotal.objects.get(task=task, user=dana).tracked_seconds == 7200
