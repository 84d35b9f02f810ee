"""The bulk half of the write path: totals moved batch by batch stay exact, and the rows copied in are checked
against their foreign keys at once while the caller's own deferred checks stay deferred."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from tests.factories import ClientFactory, TaskFactory, TimeEntryFactory, UserFactory
from timetracker.lib.bulk import insert_rows
from timetracker.tasks import entries, totals
from timetracker.tasks.kept import DayTotal
from timetracker.tasks.locks import lock
from timetracker.tasks.models import Task, TaskTotal, TimeEntry

pytestmark = pytest.mark.django_db
DAY_COLUMNS = (
    "task_id",
    "user_id",
    "day",
    "entries",
    "tracked_seconds",
    "rounded_seconds",
    "billable_seconds",
    "amount",
)


def test_totals_moved_batch_by_batch_equal_a_fresh_count():
    """A locked load moves the kept totals with each batch: rows of one person, task and day split over several
    batches, days kept before the load, and entries out of id order (each batch goes in by external id) add up
    to what the entries say."""
    alice, bob = UserFactory(role="Staff"), UserFactory(role="Staff")
    rated = TaskFactory(client=ClientFactory(hourly_rate=Decimal("80.00")))
    unrated = TaskFactory(client=ClientFactory(hourly_rate=None))
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    TimeEntryFactory(task=rated, user=alice, started_at=start - timedelta(hours=3))  # kept before the load
    work = [
        entries.Work(
            task=(rated, unrated)[n % 2],
            user=(alice, bob)[n % 3 == 0],
            started_at=start + timedelta(days=n // 5, minutes=50 * (n % 5), seconds=n % 2 * 17),
            ended_at=start + timedelta(days=n // 5, minutes=50 * (n % 5) + 45),
            billable=n % 4 != 0,
            external_id=f"test:{(n * 7919) % 101:03d}",  # not in file order
        )
        for n in range(23)
    ]
    with transaction.atomic():
        lock(users=[alice, bob], tasks=[rated, unrated])
        assert entries.record_many(work, batch_size=4, locked=True) == 23
    assert totals.compare() == []
    assert TimeEntry.objects.count() == 24
    assert TaskTotal.objects.get(task=rated, user=alice).first_started_at == start - timedelta(hours=3)
    assert sorted(TimeEntry.objects.values_list("external_id", flat=True).exclude(external_id="")) == sorted(
        w.external_id for w in work
    )


@pytest.mark.postgres
def test_copied_rows_are_checked_against_their_foreign_keys_when_the_copy_ends():
    """With check_keys_now, a row naming a task that does not exist fails in insert_rows itself, not only at
    COMMIT (which a test's transaction never reaches)."""
    alice, task = UserFactory(), TaskFactory()
    missing = Task.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    with pytest.raises(IntegrityError, match="foreign key"), transaction.atomic():
        insert_rows(
            DayTotal,
            DAY_COLUMNS,
            [(missing, alice.pk, date(2026, 3, 2), 1, 60, 60, 0, Decimal("0"))],
            check_keys_now=True,
        )
    row = (task.pk, alice.pk, date(2026, 3, 2), 1, 60, 60, 0, Decimal("0"))
    insert_rows(DayTotal, DAY_COLUMNS, [row], check_keys_now=True)
    assert DayTotal.objects.get(task=task).tracked_seconds == 60


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_callers_own_foreign_key_checks_stay_deferred_after_a_copy():
    """After insert_rows the table's keys are deferred again: a row written before the task it names exists, in
    the same transaction, still commits (Django's foreign keys promise that)."""
    alice, task = UserFactory(), TaskFactory()
    later = Task.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    with transaction.atomic():
        insert_rows(
            DayTotal,
            DAY_COLUMNS,
            [(task.pk, alice.pk, date(2026, 3, 2), 1, 60, 60, 0, Decimal("0"))],
            check_keys_now=True,
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO tasks_daytotal (task_id, user_id, day, entries, tracked_seconds, rounded_seconds, "
                "billable_seconds, amount) VALUES (%s, %s, %s, 1, 60, 60, 0, 0)",
                [later, alice.pk, date(2026, 3, 3)],
            )
        TaskFactory(pk=later, client=task.client)
    assert DayTotal.objects.filter(task_id=later).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_unlocked_bulk_loads_on_one_task_do_not_deadlock(monkeypatch):
    """record_many without `locked` copies its rows, then locks their tasks: its keys stay deferred, so neither
    load holds a key-share lock on the task before asking FOR UPDATE (a deadlock when they were checked at once;
    a review found it)."""
    import threading

    from tests.concurrency import run_together
    from timetracker.tasks import bulk_entries

    alice, task = UserFactory(), TaskFactory()
    both_copied = threading.Barrier(2, timeout=10)
    real_lock = bulk_entries.lock

    def lock_after_both_copied(**kwargs):
        both_copied.wait()  # both loads have copied their rows; now each locks its tasks
        return real_lock(**kwargs)

    monkeypatch.setattr(bulk_entries, "lock", lock_after_both_copied)
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

    def load(i):
        begin = start + timedelta(hours=i)
        work = entries.Work(task=task, user=alice, started_at=begin, ended_at=begin + timedelta(minutes=30))
        return entries.record_many([work])

    assert run_together(2, load) == [1, 1]


def test_bulk_time_crossing_a_project_budget_records_its_event_once():
    from tests.factories import ProjectFactory
    from timetracker.automation.models import Event, EventType

    project = ProjectFactory(budget_hours=Decimal("10"), budget_thresholds=[80, 100])
    others = [TaskFactory(client=project.client) for _ in range(3)]  # no project: no budget to check
    tasks = [TaskFactory(client=project.client, project=project) for _ in range(3)]
    worker = UserFactory(role="Staff")
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    work = [
        entries.Work(
            task=task,
            user=worker,
            started_at=start + timedelta(days=n),
            ended_at=start + timedelta(days=n, hours=3),
        )
        for n, task in enumerate(tasks + others)
    ]
    entries.record_many(work)
    (event,) = Event.objects.filter(type=EventType.PROJECT_BUDGET)  # 9 of 10 hours: 80 %, not 100 %
    assert (event.project, event.payload["threshold"]) == (project, 80)
    entries.record_many(work[:1])  # the same again: no second 80 % event
    assert Event.objects.filter(type=EventType.PROJECT_BUDGET).count() == 2  # 12 h: now 100 % too
