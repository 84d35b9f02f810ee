"""Triggers: bucket thresholds e-mail the chosen people once a period, schedules send their report, actions run
once per firing."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from tests.factories import BucketFactory, ClientFactory, TaskFactory, TimeEntryFactory, UserFactory
from timetracker.automation import actions, dispatch, events, schedules
from timetracker.automation.models import Event, EventType, Trigger, TriggerFiring
from timetracker.billing.choices import PaymentStatus
from timetracker.billing.models import Invoice
from timetracker.buckets.models import Recurrence
from timetracker.reports.engine import ReportSpec
from timetracker.reports.models import SavedReport
from timetracker.tasks import entries

pytestmark = pytest.mark.django_db
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _work(task, user, start, hours):
    return entries.record(task=task, user=user, started_at=start, ended_at=start + timedelta(hours=hours))


def _trigger_mails(name):
    return [m for m in mail.outbox if name in m.subject]


def test_a_bucket_crossing_80_percent_emails_the_chosen_people_once_per_period(
    dana, make_trigger, after_commit
):
    acme = ClientFactory(name="Acme")
    bucket = BucketFactory(
        title="Acme care",
        hours=Decimal("10"),
        recurrence=Recurrence.MONTHLY,
        clients=[acme],
        thresholds=[50, 80],
    )
    zoe = UserFactory(username="zoe", role="Staff")
    make_trigger(
        name="Acme nearly out",
        event_type=EventType.BUCKET_THRESHOLD,
        client=acme,
        threshold=80,
        notify=True,
        subject="{{ data.bucket }} at {{ data.percent_used }}% (Acme nearly out)",
        message="{{ data.period }}: {{ data.percent_used }}% used.",
        recipients=[zoe],
        extra_emails="pm@acme.example",
    )
    task = TaskFactory(client=acme, bucket=bucket)
    worker = UserFactory(role="Staff")
    month_start = datetime(2026, 11, 2, 9, tzinfo=UTC)

    with after_commit():
        _work(task, worker, month_start, 6)  # 60 %: the 50 % alert, not ours
    assert _trigger_mails("Acme nearly out") == []
    with after_commit():
        first = _work(task, worker, month_start + timedelta(days=1), 2)  # 80 %
    sent = _trigger_mails("Acme nearly out")
    assert [m.subject for m in sent] == ["Acme care at 80% (Acme nearly out)"]
    assert sorted(sent[0].to) == sorted([zoe.email, "pm@acme.example"])
    assert "November 2026: 80% used." in sent[0].body

    # More time, and time taken back and recorded again, in the same month: no second e-mail.
    with after_commit():
        _work(task, worker, month_start + timedelta(days=2), 1)
        entries.remove(first, by=worker)
        _work(task, worker, month_start + timedelta(days=3), 2)
    assert len(_trigger_mails("Acme nearly out")) == 1

    # December is a new period: crossing 80 % again e-mails again, once.
    with time_machine.travel(datetime(2026, 12, 15, 12, tzinfo=UTC), tick=False), after_commit():
        _work(task, worker, datetime(2026, 12, 7, 9, tzinfo=UTC), 8)
        _work(task, worker, datetime(2026, 12, 8, 9, tzinfo=UTC), 1)
    assert len(_trigger_mails("Acme nearly out")) == 2
    assert TriggerFiring.objects.filter(status=TriggerFiring.Status.DONE).count() == 2


def test_a_bucket_used_up_is_an_event_once_per_period(dana):
    bucket = BucketFactory(hours=Decimal("2"), recurrence=Recurrence.MONTHLY, thresholds=[])
    task = TaskFactory(bucket=bucket)
    worker = UserFactory(role="Staff")
    start = datetime(2026, 11, 3, 9, tzinfo=UTC)
    _work(task, worker, start, 2)
    _work(task, worker, start + timedelta(hours=3), 1)
    event = Event.objects.get(type=EventType.BUCKET_USED_UP)
    assert event.bucket == bucket and event.payload["percent_used"] == 100


@pytest.fixture
def weekly_report(dana):
    acme = ClientFactory(name="Acme")
    task = TaskFactory(client=acme, title="Site care")
    bob = UserFactory(username="bobby", role="Staff")
    # The week the first Monday e-mail covers (Mon 16 - Sun 22 Nov 2026): 3 hours; the hour of the week
    # before is not in it.
    TimeEntryFactory(
        task=task, user=bob, started_at=datetime(2026, 11, 17, 9, tzinfo=UTC), worked=timedelta(hours=3)
    )
    TimeEntryFactory(task=task, user=bob, started_at=datetime(2026, 11, 10, 9, tzinfo=UTC))
    spec = ReportSpec(group="client", range="last_week")
    return SavedReport.objects.create(owner=dana, name="Last week by client", spec=spec.to_json())


def test_a_weekly_schedule_sends_its_report(dana, make_trigger, weekly_report, after_commit, client):
    client.force_login(dana)
    response = client.post(
        "/automation/triggers/new/",
        {
            "name": "Monday report",
            "kind": "schedule",
            "cron": "0 8 * * 1",
            "time_zone": "Europe/Amsterdam",
            "send_report": weekly_report.pk,
            "recipients": [dana.pk],
            "extra_emails": "boss@acme.example",
            "enabled": "on",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    trigger = Trigger.objects.get(name="Monday report")
    monday_8 = datetime(2026, 11, 23, 8, tzinfo=AMSTERDAM)
    assert trigger.next_run_at == monday_8

    with time_machine.travel(monday_8 - timedelta(minutes=1), tick=False), after_commit():
        schedules.tick()
    assert mail.outbox == []
    with time_machine.travel(monday_8 + timedelta(seconds=30), tick=False), after_commit():
        schedules.tick()
        schedules.tick()  # a second tick (or ticker) in the same minute
    assert sorted(m.to[0] for m in mail.outbox) == sorted([dana.email, "boss@acme.example"])
    message = mail.outbox[0]
    assert message.subject.startswith("Last week by client: ")
    assert "Dates covered: 16 Nov 2026 to 22 Nov 2026" in message.body
    assert "Acme: 3h" in message.body
    name, content, mimetype = message.attachments[0]
    assert name.endswith(".pdf") and mimetype == "application/pdf" and content.startswith(b"%PDF")
    firing = TriggerFiring.objects.get(trigger=trigger)
    assert firing.due_at == monday_8 and firing.status == TriggerFiring.Status.DONE
    trigger.refresh_from_db()
    assert trigger.next_run_at == monday_8 + timedelta(days=7)

    with time_machine.travel(monday_8 + timedelta(days=7, minutes=1), tick=False), after_commit():
        schedules.tick()
    assert len(mail.outbox) == 4
    assert TriggerFiring.objects.filter(trigger=trigger).count() == 2


def test_a_firing_handed_to_two_workers_runs_once(dana, make_trigger, after_commit):
    trigger = make_trigger(event_type=EventType.REPORT_REQUESTED, notify=True, recipients=[dana])
    event = Event.objects.create(type=EventType.REPORT_REQUESTED, dedupe_key="x")
    firings = dispatch.dispatch(event.pk)
    assert dispatch.dispatch(event.pk) == []  # handed over already
    assert actions.run(firings[0]) == TriggerFiring.Status.DONE
    assert actions.run(firings[0]) is None
    assert len(mail.outbox) == 1
    assert TriggerFiring.objects.get().trigger == trigger


def test_a_lost_hand_over_is_picked_up_by_the_tick(dana, make_trigger, after_commit):
    make_trigger(event_type=EventType.REPORT_REQUESTED, notify=True, recipients=[dana])
    Event.objects.create(type=EventType.REPORT_REQUESTED, dedupe_key="lost")  # its on_commit never ran
    with after_commit():
        assert schedules.tick()["event hand-over(s)"] == 0  # too fresh: its worker may still be at it
    with time_machine.travel(timezone.now() + timedelta(minutes=3), tick=False), after_commit():
        assert schedules.tick()["event hand-over(s)"] == 1
    assert len(mail.outbox) == 1


LOST_WORKER = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}  # a queued task never runs


def test_a_lost_firing_is_queued_again_once_a_pause_has_passed_not_every_tick(dana, make_trigger):
    make_trigger(event_type=EventType.REPORT_REQUESTED, notify=True, recipients=[dana])
    event = Event.objects.create(type=EventType.REPORT_REQUESTED, dedupe_key="lost-firing")
    start = timezone.now()
    with override_settings(TASKS=LOST_WORKER):
        [firing] = dispatch.dispatch(event.pk)  # handed over; its worker is lost
        assert schedules.fire_due(start + timedelta(minutes=1)) == 0  # its worker may still be at it
        lost_at = start + schedules.FIRING_LOST_AFTER + timedelta(seconds=1)
        assert schedules.fire_due(lost_at) == 1
        assert schedules.fire_due(lost_at + timedelta(minutes=1)) == 0  # handed over a minute ago
        assert schedules.fire_due(lost_at + schedules.FIRING_LOST_AFTER + timedelta(seconds=1)) == 1
    assert TriggerFiring.objects.get(pk=firing).status == TriggerFiring.Status.QUEUED


def test_lost_firings_are_queued_again_in_bounded_batches(dana, make_trigger, monkeypatch):
    trigger = make_trigger(event_type=EventType.REPORT_REQUESTED, notify=True, recipients=[dana])
    start = timezone.now()
    for hour in range(3):
        TriggerFiring.objects.create(trigger=trigger, due_at=start - timedelta(hours=hour))
    monkeypatch.setattr(schedules, "LOST_FIRINGS_PER_TICK", 2)
    lost_at = start + schedules.FIRING_LOST_AFTER + timedelta(seconds=1)
    with override_settings(TASKS=LOST_WORKER):
        assert schedules.fire_due(lost_at) == 2
        assert schedules.fire_due(lost_at + timedelta(minutes=1)) == 1  # the rest, the next minute
        assert schedules.fire_due(lost_at + timedelta(minutes=2)) == 0


def test_a_scheduled_trigger_drafts_the_clients_unbilled_time(dana, make_trigger, after_commit):
    acme = ClientFactory(name="Acme", hourly_rate=Decimal("90"))
    task = TaskFactory(client=acme)
    _work(task, UserFactory(role="Staff"), timezone.now() - timedelta(days=2), 2)
    trigger = make_trigger(kind=Trigger.Kind.SCHEDULE, cron="0 9 1 * *", client=acme, draft_invoice=True)
    trigger.next_run_at = timezone.now() - timedelta(minutes=1)
    trigger.save()

    with after_commit():
        schedules.tick()
    invoice = Invoice.objects.get(client=acme)
    assert invoice.status == PaymentStatus.DRAFT and invoice.total == Decimal("180.00")
    firing = TriggerFiring.objects.get(trigger=trigger)
    assert f"draft invoice {invoice.number}" in firing.outcome
    # Its creation is an event in turn.
    assert Event.objects.filter(type=EventType.INVOICE_CREATED, invoice=invoice).exists()


def test_a_failing_action_is_logged_and_the_others_still_run(dana, make_trigger, after_commit):
    acme = ClientFactory(name="Acme")  # no unbilled time: the draft says so, it does not fail
    trigger = make_trigger(
        event_type=EventType.REPORT_REQUESTED,
        client=acme,
        notify=True,
        recipients=[dana],
        subject="{{ data.missing.attr }} ok",
        draft_invoice=True,
    )
    SavedReport.objects.create(owner=dana, name="x", spec=ReportSpec(group="client").to_json())
    with after_commit():
        events.record(EventType.REPORT_REQUESTED, key="1", client=acme)
    firing = TriggerFiring.objects.get(trigger=trigger)
    assert firing.status == TriggerFiring.Status.DONE
    assert "Invoice draft: nothing drafted" in firing.outcome
    assert len(mail.outbox) == 1


def test_a_notification_template_reads_plain_values_only(dana, make_trigger, after_commit):
    make_trigger(
        event_type=EventType.REPORT_REQUESTED,
        notify=True,
        recipients=[dana],
        subject="[{{ trigger.created_by.password }}] {{ trigger.name }}",
        message="{{ event.actor.password }}|{{ data.report }}",
    )
    with after_commit():
        events.record(EventType.REPORT_REQUESTED, key="plain", payload={"report": "Acme"}, actor=dana)
    assert mail.outbox[0].subject == "[] A trigger"
    assert mail.outbox[0].body == "|Acme"
