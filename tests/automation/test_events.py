"""Events are recorded once, with their cause, and fire each matching trigger once."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from tests.factories import (
    BucketFactory,
    ClientFactory,
    InvoiceFactory,
    ProjectFactory,
    TaskFactory,
    UserFactory,
)
from timetracker.automation import events, hooks, schedules
from timetracker.automation.models import Event, EventType, TriggerFiring
from timetracker.billing import invoicing
from timetracker.billing.choices import PaymentStatus
from timetracker.buckets.models import Recurrence
from timetracker.tasks import entries

pytestmark = pytest.mark.django_db


def _overdue_invoice(client):
    issued = timezone.localdate() - timedelta(days=40)
    return InvoiceFactory(
        client=client,
        status=PaymentStatus.SENT,
        issue_date=issued,
        due_date=issued + timedelta(days=30),
        total=Decimal("500.00"),
        subtotal=Decimal("500.00"),
    )


def test_an_event_fires_its_trigger_once_when_the_causing_action_is_retried(dana, make_trigger, after_commit):
    acme = ClientFactory(name="Acme")
    trigger = make_trigger(
        event_type=EventType.INVOICE_OVERDUE,
        client=acme,
        notify=True,
        recipients=[dana],
        subject="{{ data.number }} is overdue",
    )
    invoice = _overdue_invoice(acme)

    with after_commit():
        assert invoicing.refresh_all() == 1
    # The daily refresh runs again (a retried job, a second server); and the status is stored again by hand.
    with after_commit():
        invoicing.refresh_all()
        with transaction.atomic():
            hooks.invoice_status(invoice)

    assert Event.objects.filter(type=EventType.INVOICE_OVERDUE, invoice=invoice).count() == 1
    firing = TriggerFiring.objects.get(trigger=trigger)
    assert firing.status == TriggerFiring.Status.DONE
    assert [m.subject for m in mail.outbox] == [f"{invoice.number} is overdue"]
    assert mail.outbox[0].to == [dana.email]
    assert "sent to" in firing.outcome


def test_a_retried_record_returns_nothing_and_keeps_the_callers_transaction_usable(dana):
    with transaction.atomic():
        first = events.record(
            EventType.REPORT_REQUESTED, key="share:7", payload={"report": "Acme"}, actor=dana
        )
        again = events.record(
            EventType.REPORT_REQUESTED, key="share:7", payload={"report": "Acme"}, actor=dana
        )
        # The duplicate rolled back only its savepoint: the caller's transaction goes on.
        other = events.record(EventType.REPORT_REQUESTED, key="share:8")
    assert first is not None and again is None and other is not None
    assert Event.objects.filter(type=EventType.REPORT_REQUESTED).count() == 2
    assert first.dedupe_key == "report.requested:share:7"


def test_an_event_rolled_back_with_its_cause_fires_nothing(dana, make_trigger, after_commit):
    make_trigger(event_type=EventType.REPORT_REQUESTED, notify=True, recipients=[dana])
    with after_commit(), pytest.raises(RuntimeError), transaction.atomic():
        events.record(EventType.REPORT_REQUESTED, key="share:9")
        raise RuntimeError("the cause failed")
    assert not Event.objects.exists()
    assert not TriggerFiring.objects.exists()
    assert mail.outbox == []


def test_a_trigger_limited_to_a_client_ignores_other_clients_events(dana, make_trigger, after_commit):
    acme, zeta = ClientFactory(name="Acme"), ClientFactory(name="Zeta")
    make_trigger(event_type=EventType.INVOICE_OVERDUE, client=acme, notify=True, recipients=[dana])
    _overdue_invoice(zeta)
    with after_commit():
        invoicing.refresh_all()
    assert Event.objects.filter(type=EventType.INVOICE_OVERDUE).count() == 1
    assert not TriggerFiring.objects.exists()


def test_invoice_created_sent_paid_and_payment_are_recorded(dana, after_commit):
    acme = ClientFactory(name="Acme", hourly_rate=Decimal("100"))
    task = TaskFactory(client=acme)
    worker = UserFactory(role="Staff")
    start = timezone.now() - timedelta(days=2)
    entries.record(task=task, user=worker, started_at=start, ended_at=start + timedelta(hours=2))

    invoice = invoicing.create_invoice(client=acme, by=dana)
    invoicing.send(invoice, by=dana)
    invoicing.record_payment(invoice, amount=invoice.total, by=dana)

    kinds = set(Event.objects.filter(invoice=invoice).values_list("type", flat=True))
    assert kinds == {
        EventType.INVOICE_CREATED,
        EventType.INVOICE_SENT,
        EventType.PAYMENT_RECORDED,
        EventType.INVOICE_PAID,
    }
    payment = Event.objects.get(type=EventType.PAYMENT_RECORDED)
    assert (
        payment.payload["amount"] == str(invoice.total) and payment.client == acme and payment.actor == dana
    )


def test_a_bucket_created_is_an_event(dana):
    bucket = BucketFactory(title="Support 2027")
    event = Event.objects.get(type=EventType.BUCKET_CREATED)
    assert event.bucket == bucket and event.payload["bucket"] == "Support 2027"


def test_a_project_budget_threshold_is_recorded_once_from_the_kept_totals(dana):
    project = ProjectFactory(budget_hours=Decimal("10"), budget_thresholds=[50, 80])
    task = TaskFactory(client=project.client, project=project)
    worker = UserFactory(role="Staff")
    start = timezone.now() - timedelta(days=3)
    entry = entries.record(task=task, user=worker, started_at=start, ended_at=start + timedelta(hours=4))
    assert not Event.objects.filter(type=EventType.PROJECT_BUDGET).exists()  # 40 %

    entries.record(
        task=task, user=worker, started_at=start + timedelta(hours=5), ended_at=start + timedelta(hours=6)
    )
    budget_events = Event.objects.filter(type=EventType.PROJECT_BUDGET)
    assert list(budget_events.values_list("payload__threshold", flat=True)) == [50]  # 5h of 10h
    # Edited down below 50 % and up across it again: no second event.
    entries.change(entry, by=worker, ended_at=start + timedelta(hours=1))
    entries.change(entry, by=worker, ended_at=start + timedelta(hours=4, minutes=30))
    assert budget_events.count() == 1
    entries.record(
        task=task, user=worker, started_at=start + timedelta(hours=7), ended_at=start + timedelta(hours=10)
    )
    assert sorted(budget_events.values_list("payload__threshold", flat=True)) == [50, 80]  # 8h30 of 10h
    event = Event.objects.filter(type=EventType.PROJECT_BUDGET).get(payload__threshold=80)
    assert event.project == project and event.client == project.client


def test_a_money_budget_counts_the_amount(dana):
    project = ProjectFactory(
        budget_amount=Decimal("300"), budget_thresholds=[100], hourly_rate=Decimal("100")
    )
    task = TaskFactory(client=project.client, project=project)
    worker = UserFactory(role="Staff")
    start = timezone.now() - timedelta(days=3)
    entries.record(task=task, user=worker, started_at=start, ended_at=start + timedelta(hours=2))
    assert not Event.objects.filter(type=EventType.PROJECT_BUDGET).exists()
    entries.record(
        task=task, user=worker, started_at=start + timedelta(hours=3), ended_at=start + timedelta(hours=4)
    )
    event = Event.objects.get(type=EventType.PROJECT_BUDGET)
    assert event.payload["budget"] == "amount" and event.payload["used"] == "300.00"


def test_a_bucket_renewal_is_announced_once_when_its_new_period_begins():
    bucket = BucketFactory(recurrence=Recurrence.MONTHLY)  # since 2020: November began 17 days ago
    assert schedules.announce_renewals(today=date(2026, 11, 18)) == 0
    assert schedules.announce_renewals(today=date(2026, 12, 1)) == 1
    assert schedules.announce_renewals(today=date(2026, 12, 2)) == 0
    event = Event.objects.get(type=EventType.BUCKET_RENEWED)
    assert event.bucket == bucket and event.payload["period_start"] == "2026-12-01"


def test_the_minutes_tick_marks_invoices_that_fell_due_overdue_and_records_the_event_once(after_commit):
    acme = ClientFactory(name="Acme")
    fell_due = _overdue_invoice(acme)
    not_yet = InvoiceFactory(
        client=acme, status=PaymentStatus.SENT, issue_date=timezone.localdate(), due_date=timezone.localdate()
    )
    draft = _overdue_invoice(acme)
    draft.status = PaymentStatus.DRAFT
    draft.save()
    with after_commit():
        assert schedules.tick()["overdue invoice(s)"] == 1
        assert schedules.tick()["overdue invoice(s)"] == 0  # the next minute finds nothing new
    statuses = {invoice.pk: invoice.status for invoice in type(fell_due).objects.all()}
    assert statuses == {
        fell_due.pk: PaymentStatus.OVERDUE,
        not_yet.pk: PaymentStatus.SENT,
        draft.pk: PaymentStatus.DRAFT,
    }
    assert Event.objects.filter(type=EventType.INVOICE_OVERDUE).count() == 1


def _write_together_after_both_wrote(monkeypatch, module, name, writes):
    """Run `writes` (one per thread) so that both have written and neither has committed when each looks at
    the totals: two writes on different tasks by different people share no lock, so production may do this."""
    from tests.concurrency import run_together

    both_written, waited = threading.Barrier(len(writes), timeout=10), threading.local()
    real = getattr(module, name)

    def interleaved(*args, **kwargs):
        if not getattr(waited, "done", False):  # the write's own look, not the look after commit
            waited.done = True
            both_written.wait()
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, interleaved)
    return run_together(len(writes), lambda i: writes[i]())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_writes_that_together_cross_a_project_budget_record_it_once(monkeypatch, dana):
    project = ProjectFactory(budget_hours=Decimal("10"), budget_thresholds=[80])
    tasks = [TaskFactory(client=project.client, project=project) for _ in range(2)]
    people = [UserFactory(role="Staff") for _ in range(2)]
    start = timezone.now() - timedelta(days=3)
    entries.record(
        task=tasks[0], user=people[0], started_at=start, ended_at=start + timedelta(hours=6, minutes=30)
    )
    assert not Event.objects.filter(type=EventType.PROJECT_BUDGET).exists()

    def write(i):
        begin = start + timedelta(hours=10 + 2 * i)
        return lambda: (
            entries.record(
                task=tasks[i], user=people[i], started_at=begin, ended_at=begin + timedelta(hours=1)
            ).pk
        )

    results = _write_together_after_both_wrote(monkeypatch, hooks, "project_budget", [write(0), write(1)])
    assert all(isinstance(pk, int) for pk in results), results
    # Each write saw 7h30 of 10h; together they are 8h30: the look after commit records 80 % once.
    [event] = Event.objects.filter(type=EventType.PROJECT_BUDGET)
    assert event.payload["threshold"] == 80 and event.payload["used"] == 8.5 * 3600


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_writes_that_together_cross_a_bucket_threshold_alert_once(monkeypatch, dana):
    from timetracker.buckets import usage
    from timetracker.buckets.models import BucketAlert

    acme = ClientFactory(name="Acme")
    bucket = BucketFactory(hours=Decimal("10"), clients=[acme], thresholds=[80])
    tasks = [TaskFactory(client=acme, bucket=bucket) for _ in range(2)]
    people = [UserFactory(role="Staff") for _ in range(2)]
    start = timezone.now() - timedelta(days=3)
    entries.record(
        task=tasks[0], user=people[0], started_at=start, ended_at=start + timedelta(hours=6, minutes=30)
    )
    assert not BucketAlert.objects.exists()

    def write(i):
        begin = start + timedelta(hours=10 + 2 * i)
        return lambda: (
            entries.record(
                task=tasks[i], user=people[i], started_at=begin, ended_at=begin + timedelta(hours=1)
            ).pk
        )

    results = _write_together_after_both_wrote(monkeypatch, usage, "record_alerts", [write(0), write(1)])
    assert all(isinstance(pk, int) for pk in results), results
    [alert] = BucketAlert.objects.all()
    assert alert.threshold == 80 and alert.used_seconds == 8.5 * 3600
    [event] = Event.objects.filter(type=EventType.BUCKET_THRESHOLD)
    assert event.payload["threshold"] == 80
    assert [m.subject for m in mail.outbox] == [f"{bucket.title} reached 80% of its hours"]


def test_time_written_in_bulk_crossing_a_project_budget_records_the_event(dana):
    """Imports and syncs write through record_many: the budget is looked at once per project they touch."""
    from timetracker.tasks.bulk_entries import Work, record_many

    project = ProjectFactory(budget_hours=Decimal("10"), budget_thresholds=[50, 80])
    task = TaskFactory(client=project.client, project=project)
    worker = UserFactory(role="Staff")
    start = timezone.now() - timedelta(days=3)
    record_many(
        [
            Work(task=task, user=worker, started_at=begin, ended_at=begin + timedelta(hours=3))
            for begin in (start, start + timedelta(hours=4), start + timedelta(hours=8))
        ]
    )
    events_ = Event.objects.filter(type=EventType.PROJECT_BUDGET)
    assert sorted(events_.values_list("payload__threshold", flat=True)) == [50, 80]  # 9h of 10h
    assert {event.project for event in events_} == {project}
