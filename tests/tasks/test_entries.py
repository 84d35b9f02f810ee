"""The one write path for time (tasks/entries.py): its rules, and that nothing writes time around it."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import (
    BucketFactory,
    ClientFactory,
    ProjectFactory,
    TaskFactory,
    TimeEntryFactory,
)
from timetracker.billing import invoicing
from timetracker.billing.models import Settings
from timetracker.buckets.models import BucketAlert
from timetracker.tasks import entries, timer
from timetracker.tasks.choices import EntrySource, RateSource, TaskStatus
from timetracker.tasks.models import TimeEntry, WritePathBypassed

pytestmark = pytest.mark.django_db
SOURCE = Path(__file__).resolve().parents[2] / "timetracker"
MORNING = datetime(2026, 11, 16, 9, 0, 40, tzinfo=UTC)


@pytest.fixture
def acme():
    return ClientFactory(name="Acme", hourly_rate=Decimal("120.00"))


@pytest.fixture
def rounding_up_to_15():
    settings = Settings.load()
    settings.rounding_enabled, settings.rounding_mode, settings.rounding_interval = True, "up", 15
    settings.save()


# --- nothing writes time around the write path ------------------------------------------------------------


def test_every_way_of_writing_an_entry_outside_the_write_path_is_refused(bob):
    entry = TimeEntryFactory(user=bob)
    attempts = [
        lambda: TimeEntry(task=entry.task, user=bob, started_at=MORNING).save(),
        lambda: TimeEntry.objects.create(task=entry.task, user=bob, started_at=MORNING),
        lambda: TimeEntry.objects.bulk_create([TimeEntry(task=entry.task, user=bob, started_at=MORNING)]),
        lambda: TimeEntry.objects.filter(pk=entry.pk).update(description="sneaky"),
        lambda: TimeEntry.objects.bulk_update([entry], ["description"]),
        lambda: entry.save(),
        lambda: entry.delete(),
        lambda: TimeEntry.objects.filter(pk=entry.pk).delete(),
    ]
    for attempt in attempts:
        with pytest.raises(WritePathBypassed):
            attempt()
    assert TimeEntry.objects.get().description == entry.description


def test_only_the_write_path_opens_the_door_to_entry_rows():
    opened = [
        path.relative_to(SOURCE).as_posix()
        for path in SOURCE.rglob("*.py")
        if "migrations" not in path.parts and re.search(r"\bwrite_path\(\)", path.read_text())
    ]
    assert sorted(opened) == ["tasks/bulk_entries.py", "tasks/entries.py", "tasks/models.py"]


# --- record ----------------------------------------------------------------------------------------------


def test_record_floors_rounds_rates_and_completes_the_task(bob, acme, rounding_up_to_15):
    task = TaskFactory(client=acme)
    entry = entries.record(
        task=task, user=bob, started_at=MORNING, ended_at=MORNING + timedelta(minutes=50, seconds=50)
    )
    entry.refresh_from_db()
    assert entry.started_at == MORNING.replace(second=0)
    assert entry.ended_at == datetime(2026, 11, 16, 9, 51, tzinfo=UTC)
    assert (entry.duration_seconds, entry.rounded_seconds) == (51 * 60, 60 * 60)
    assert (entry.hourly_rate, entry.rate_source, entry.amount) == (
        Decimal("120.00"),
        RateSource.CLIENT,
        Decimal("120.00"),
    )
    assert entry.recorded_by == bob and entry.source == EntrySource.MANUAL
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED


def test_record_refuses_under_a_minute_and_writes_nothing(bob):
    task = TaskFactory()
    with pytest.raises(entries.TooShort, match="At least one minute"):
        entries.record(task=task, user=bob, started_at=MORNING, ended_at=MORNING + timedelta(seconds=15))
    assert not TimeEntry.objects.exists()


def test_a_new_entry_is_billable_as_its_task_is_unless_told(bob):
    internal = TaskFactory(billable=False)
    assert not entries.record(
        task=internal, user=bob, started_at=MORNING, ended_at=MORNING + timedelta(hours=1)
    ).billable
    assert entries.record(
        task=internal,
        user=bob,
        started_at=MORNING + timedelta(hours=2),
        ended_at=MORNING + timedelta(hours=3),
        billable=True,
    ).billable


def test_a_used_up_hard_stop_bucket_takes_no_time_from_any_writer(bob, acme):
    bucket = BucketFactory(clients=[acme], hours=Decimal("1"), hard_stop=True)
    task = TaskFactory(client=acme, bucket=bucket)
    entries.record(task=task, user=bob, started_at=MORNING, ended_at=MORNING + timedelta(hours=1))
    later = MORNING + timedelta(hours=2)
    with pytest.raises(entries.BucketUsedUp, match="used up"):
        entries.record(task=task, user=bob, started_at=later, ended_at=later + timedelta(minutes=5))
    with pytest.raises(entries.BucketUsedUp):
        timer.start(user=bob, task=task)
    assert TimeEntry.objects.count() == 1


def test_crossing_a_threshold_records_the_bucket_alert(bob, acme):
    bucket = BucketFactory(clients=[acme], hours=Decimal("2"), thresholds=[50, 100])
    task = TaskFactory(client=acme, bucket=bucket)
    entries.record(task=task, user=bob, started_at=MORNING, ended_at=MORNING + timedelta(hours=1))
    assert list(BucketAlert.objects.values_list("threshold", flat=True)) == [50]


# --- change and remove -----------------------------------------------------------------------------------


def test_change_recomputes_but_keeps_the_snapshotted_rate(bob, acme):
    task = TaskFactory(client=acme)
    entry = entries.record(task=task, user=bob, started_at=MORNING, ended_at=MORNING + timedelta(hours=1))
    acme.hourly_rate = Decimal("200.00")
    acme.save()
    entries.change(entry, by=bob, ended_at=MORNING + timedelta(hours=2))
    entry.refresh_from_db()
    assert (entry.duration_seconds, entry.hourly_rate, entry.amount) == (
        7200,
        Decimal("120.00"),
        Decimal("240.00"),
    )
    # Going back to the precedence takes today's rate.
    entries.change(entry, by=bob, hourly_rate=None)
    entry.refresh_from_db()
    assert (entry.hourly_rate, entry.amount) == (Decimal("200.00"), Decimal("400.00"))


def test_moving_an_entry_to_another_task_rates_it_there_and_both_statuses_follow(bob, acme):
    first, second = TaskFactory(client=acme), TaskFactory(client=acme, hourly_rate=Decimal("80.00"))
    entry = entries.record(task=first, user=bob, started_at=MORNING, ended_at=MORNING + timedelta(hours=1))
    entries.change(entry, by=bob, task=second)
    first.refresh_from_db(), second.refresh_from_db(), entry.refresh_from_db()
    assert (first.status, second.status) == (TaskStatus.NOT_STARTED, TaskStatus.COMPLETED)
    assert (entry.hourly_rate, entry.rate_source) == (Decimal("80.00"), RateSource.TASK)


def test_invoiced_time_can_be_neither_changed_nor_removed(bob, acme):
    entry = entries.record(
        task=TaskFactory(client=acme), user=bob, started_at=MORNING, ended_at=MORNING + timedelta(hours=1)
    )
    invoicing.create_invoice(client=acme, by=bob)
    with pytest.raises(entries.Locked):
        entries.change(entry, by=bob, description="rewritten")
    with pytest.raises(entries.Locked):
        entries.remove(entry, by=bob)
    entry.refresh_from_db()
    assert entry.description == "" and entry.is_invoiced


def test_a_failed_change_hands_back_the_entry_as_it_still_is(bob):
    entry = entries.record(
        task=TaskFactory(), user=bob, started_at=MORNING, ended_at=MORNING + timedelta(hours=1)
    )
    with pytest.raises(entries.TooShort):
        entries.change(entry, by=bob, ended_at=MORNING + timedelta(seconds=5))
    assert entry.ended_at == MORNING.replace(second=0) + timedelta(hours=1)
    entry.refresh_from_db()
    assert entry.duration_seconds == 3600


def test_every_change_leaves_a_history_row_with_who_did_it(bob, dana):
    entry = entries.record(
        task=TaskFactory(), user=bob, started_at=MORNING, ended_at=MORNING + timedelta(hours=1)
    )
    entries.change(entry, by=dana, description="Checked by the manager")
    latest = entry.history.order_by("-history_date").first()
    assert latest.description == "Checked by the manager" and latest.history_user == dana


def test_remove_deletes_and_the_task_status_follows(bob):
    task = TaskFactory()
    entry = entries.record(task=task, user=bob, started_at=MORNING, ended_at=MORNING + timedelta(hours=1))
    entries.remove(entry, by=bob)
    task.refresh_from_db()
    assert not TimeEntry.objects.exists() and task.status == TaskStatus.NOT_STARTED
    with pytest.raises(entries.Gone):
        entries.remove(entry, by=bob)


def test_staff_cannot_delete_a_task_with_someone_elses_time(bob, dana):
    task = TaskFactory()
    TimeEntryFactory(task=task, user=dana)
    with pytest.raises(entries.EntryError, match="tracked by others"):
        entries.remove_task(task, by=bob)
    entries.remove_task(task, by=dana)
    assert not TimeEntry.objects.exists()


def test_record_many_applies_the_same_rules_as_record(bob, acme, rounding_up_to_15):
    task = TaskFactory(client=acme, billable=False)
    rows = [
        TimeEntry(task=task, user=bob, started_at=MORNING, ended_at=MORNING + timedelta(minutes=50)),
        TimeEntry(task=task, user=bob, started_at=MORNING, ended_at=MORNING + timedelta(seconds=10)),
    ]
    with pytest.raises(entries.TooShort):
        entries.record_many(rows)
    assert not TimeEntry.objects.exists()
    one = TimeEntry(task=task, user=bob, started_at=MORNING, ended_at=MORNING + timedelta(minutes=50))
    one.billable = None  # left to the task
    assert entries.record_many([one]) == 1
    saved = TimeEntry.objects.get()
    assert (saved.rounded_seconds, saved.billable, saved.rate_source) == (3600, False, RateSource.CLIENT)


def test_a_bulk_loaded_entry_reads_back_as_the_same_entry_recorded_one_by_one(bob, acme, rounding_up_to_15):
    """record_many inserts raw rows (COPY on PostgreSQL): every stored value must be what record() stores."""
    task = TaskFactory(client=acme)
    note = 'Tabs\tand\nnew lines, a back\\slash, "quotes" and Zoë\'s café'
    fields = {"task": task, "user": bob, "started_at": MORNING, "description": note}
    one = entries.record(
        **fields, ended_at=MORNING + timedelta(minutes=50, seconds=5), source=EntrySource.IMPORT
    )
    later = MORNING + timedelta(days=1)
    work = entries.Work(**fields | {"started_at": later}, ended_at=later + timedelta(minutes=50, seconds=5))
    assert entries.record_many([work]) == 1
    other = TimeEntry.objects.exclude(pk=one.pk).get()
    one.refresh_from_db()
    compared = [
        f.attname
        for f in TimeEntry._meta.concrete_fields
        if f.attname not in {"id", "created_at", "updated_at"}
    ]
    mine = {name: getattr(one, name) for name in compared}
    bulk = {name: getattr(other, name) for name in compared}
    assert bulk.pop("started_at") - mine.pop("started_at") == timedelta(days=1)
    assert bulk.pop("ended_at") - mine.pop("ended_at") == timedelta(days=1)
    assert bulk == mine
    assert other.description == note and other.amount == Decimal("120.00") and other.rounded_seconds == 3600
    far = datetime(3000, 1, 1, 9, tzinfo=UTC)
    with pytest.raises(entries.EntryError, match="between 1970 and 2999"):
        entries.record_many([entries.Work(**fields | {"started_at": far}, ended_at=far + timedelta(hours=1))])
    with_rate = entries.Work(
        **fields | {"started_at": later + timedelta(days=1)},
        ended_at=later + timedelta(days=1, hours=2),
        hourly_rate=Decimal("12.50"),
    )
    entries.record_many([with_rate])
    assert TimeEntry.objects.values_list("amount", "rate_source").get(hourly_rate=Decimal("12.50")) == (
        Decimal("25.00"),
        RateSource.ENTRY,
    )


# --- the project's "billable by default", page and API alike ----------------------------------------------


def test_a_projects_billable_default_reaches_tasks_from_the_modal_and_the_api(bob_client, bob, acme):
    from rest_framework.test import APIClient

    internal = ProjectFactory(client=acme, billable=False)
    fields = bob_client.get(
        reverse("tasks:timer_fields"),
        {"client": acme.pk, "project": internal.pk, "billable": "on", "modal": "new-task"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER_NAME="project",
    )
    checkbox = re.search(r'<input type="checkbox" name="billable"[^>]*>', fields.text).group(0)
    assert "checked" not in checkbox
    # The modal posts what it shows: the box as the project left it.
    bob_client.post(
        reverse("tasks:timer_new"),
        {"client": acme.pk, "project": internal.pk, "title": "From the modal", "timer_mode": "up"},
    )
    api = APIClient()
    api.force_authenticate(bob)
    api.post(
        "/api/v1/tasks",
        {"client_id": acme.pk, "project_id": internal.pk, "title": "From the API"},
        format="json",
    )
    from timetracker.tasks.models import Task

    made = dict(Task.objects.filter(project=internal).values_list("title", "billable"))
    assert made == {"From the modal": False, "From the API": False}
    assert not TimeEntry.objects.get(task__title="From the modal").billable


def test_choosing_a_billable_project_checks_the_box_again(bob_client, acme):
    paid = ProjectFactory(client=acme, billable=True)
    fields = bob_client.get(
        reverse("tasks:timer_fields"),
        {"client": acme.pk, "project": paid.pk, "modal": "new-task"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TRIGGER_NAME="project",
    )
    assert re.search(r'<input type="checkbox" name="billable"[^>]*checked', fields.text)


def test_a_timer_on_a_bucket_used_up_meanwhile_can_still_be_stopped(bob, dana, acme):
    bucket = BucketFactory(clients=[acme], hours=Decimal("1"), hard_stop=True)
    task = TaskFactory(client=acme, bucket=bucket)
    running = timer.start(user=bob, task=task, now=MORNING)
    entries.record(task=task, user=dana, started_at=MORNING, ended_at=MORNING + timedelta(hours=1))
    timer.stop(entry=running, now=MORNING + timedelta(minutes=30))
    running.refresh_from_db()
    assert running.duration_seconds == 30 * 60 and not running.is_running
