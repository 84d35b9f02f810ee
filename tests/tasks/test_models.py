from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.factories import TaskFactory, TimeEntryFactory, UserFactory
from timetracker.lib.rounding import RoundingPolicy
from timetracker.tasks import entries
from timetracker.tasks.choices import TaskStatus
from timetracker.tasks.models import Task, TimeEntry, write_path

pytestmark = pytest.mark.django_db


def refused(**fields):
    """True when the database itself refuses to save an entry with these fields."""
    try:
        with transaction.atomic():
            TimeEntryFactory(**fields)
    except IntegrityError:
        return True
    return False


def test_a_second_running_entry_for_the_same_user_is_refused_by_the_database(bob):
    TimeEntryFactory(user=bob, ended_at=None)
    with pytest.raises(IntegrityError), transaction.atomic(), write_path():
        # Bypass every Python check: the partial unique index alone must refuse it.
        TimeEntry.objects.bulk_create([TimeEntry(task=TaskFactory(), user=bob, started_at=timezone.now())])
    assert TimeEntry.objects.running().filter(user=bob).count() == 1


def test_running_entries_of_different_users_and_stopped_entries_coexist(bob, dana):
    TimeEntryFactory(user=bob, ended_at=None)
    TimeEntryFactory(user=dana, ended_at=None)
    TimeEntryFactory(user=bob)
    TimeEntryFactory(user=bob)
    assert TimeEntry.objects.running().count() == 2
    assert TimeEntry.objects.stopped().filter(user=bob).count() == 2


def test_an_entry_must_end_after_it_starts(bob):
    start = timezone.now()
    assert refused(user=bob, started_at=start, ended_at=start)
    assert refused(user=bob, started_at=start, ended_at=start - timedelta(minutes=5))
    assert not refused(user=bob, started_at=start, ended_at=start + timedelta(minutes=1))


@pytest.mark.parametrize("field", ["duration_seconds", "rounded_seconds", "paused_seconds"])
def test_durations_and_paused_seconds_cannot_be_negative(bob, field):
    entry = TimeEntryFactory(user=bob)
    with pytest.raises(IntegrityError), transaction.atomic(), write_path():
        TimeEntry.objects.filter(pk=entry.pk).update(**{field: -1})
    with write_path():
        TimeEntry.objects.filter(pk=entry.pk).update(**{field: 0})


def test_a_stopped_entry_cannot_stay_paused(bob):
    now = timezone.now()
    assert refused(user=bob, paused_at=now)
    assert not refused(user=bob, ended_at=None, paused_at=now)


def test_an_external_id_is_imported_once_per_source(bob):
    TimeEntryFactory(user=bob, source="import", external_id="toggl:42")
    assert refused(user=bob, source="import", external_id="toggl:42")
    assert not refused(user=bob, source="import", external_id="toggl:43")
    # Entries without an external id are never considered duplicates of each other.
    assert not refused(user=bob, source="import", external_id="")
    assert not refused(user=bob, source="import", external_id="")


def test_compute_subtracts_pauses_rounds_and_prices_the_entry():
    start = timezone.now().replace(microsecond=0)
    entry = TimeEntry(
        started_at=start,
        ended_at=start + timedelta(minutes=70),
        paused_seconds=600,
        hourly_rate=Decimal("90.00"),
    )
    entry.compute(policy=RoundingPolicy(enabled=True, mode="up", interval_minutes=15))
    assert entry.duration_seconds == 60 * 60
    assert entry.rounded_seconds == 60 * 60
    assert entry.amount == Decimal("90.00")

    entry.ended_at = start + timedelta(minutes=71)
    entry.compute(policy=RoundingPolicy(enabled=True, mode="up", interval_minutes=15))
    assert entry.duration_seconds == 61 * 60
    assert entry.rounded_seconds == 75 * 60
    assert entry.amount == Decimal("112.50")


def test_non_billable_and_unrated_entries_carry_no_amount():
    start = timezone.now()
    entry = TimeEntry(
        started_at=start, ended_at=start + timedelta(hours=1), billable=False, hourly_rate=Decimal(50)
    )
    entry.compute(policy=RoundingPolicy())
    assert entry.amount is None
    entry.billable, entry.hourly_rate = True, None
    entry.compute(policy=RoundingPolicy())
    assert entry.amount is None


def test_elapsed_seconds_of_a_running_and_a_paused_entry():
    start = timezone.now() - timedelta(minutes=30)
    running = TimeEntry(started_at=start, paused_seconds=300)
    assert running.elapsed_seconds(now=start + timedelta(minutes=30)) == 25 * 60
    paused = TimeEntry(started_at=start, paused_at=start + timedelta(minutes=10))
    assert paused.elapsed_seconds(now=start + timedelta(minutes=30)) == 10 * 60


def test_staff_see_only_their_own_entries_and_managers_see_everyone(alice, dana, bob, charlie):
    mine = TimeEntryFactory(user=bob)
    theirs = TimeEntryFactory(user=dana)
    assert list(TimeEntry.objects.for_user(bob)) == [mine]
    assert set(TimeEntry.objects.for_user(dana)) == {mine, theirs}
    assert set(TimeEntry.objects.for_user(alice)) == {mine, theirs}
    assert not TimeEntry.objects.for_user(charlie).exists()


def test_staff_see_tasks_they_are_assigned_to_or_worked_on(bob, dana):
    assigned = TaskFactory(assignee=bob)
    worked = TimeEntryFactory(user=bob).task
    TaskFactory(assignee=dana)
    TimeEntryFactory(user=dana, task=worked)  # another user's time on the same task must not duplicate rows
    assert set(Task.objects.for_user(bob)) == {assigned, worked}
    assert Task.objects.for_user(dana).count() == 3


def test_billable_unbilled_and_period_filters_compose(bob):
    now = timezone.now().replace(microsecond=0)
    inside = TimeEntryFactory(user=bob, started_at=now - timedelta(days=1))
    TimeEntryFactory(user=bob, started_at=now - timedelta(days=1), billable=False)
    TimeEntryFactory(user=bob, started_at=now - timedelta(days=10))
    found = TimeEntry.objects.for_user(bob).billable().unbilled().in_period(now - timedelta(days=2), now)
    assert list(found) == [inside]


def test_a_period_is_half_open_so_an_entry_is_counted_once(bob):
    boundary = timezone.now().replace(microsecond=0) - timedelta(days=1)
    TimeEntryFactory(user=bob, started_at=boundary)
    before = TimeEntry.objects.in_period(boundary - timedelta(days=1), boundary).count()
    after = TimeEntry.objects.in_period(boundary, boundary + timedelta(days=1)).count()
    assert (before, after) == (0, 1)


def test_totals_sum_raw_rounded_billable_time_and_money_in_one_query(bob, django_assert_num_queries):
    policy = RoundingPolicy(enabled=True, mode="up", interval_minutes=30)
    task = TaskFactory(hourly_rate=Decimal("80.00"))
    for minutes in (10, 50):
        TimeEntryFactory(
            user=bob, task=task, worked=timedelta(minutes=minutes), hourly_rate=Decimal(80), policy=policy
        )
    TimeEntryFactory(user=bob, task=task, worked=timedelta(minutes=20), billable=False, policy=policy)
    entries = TimeEntry.objects.for_user(bob)
    with django_assert_num_queries(1):
        totals = entries.totals()
    assert totals == {
        "duration": 80 * 60,
        "rounded": 120 * 60,
        "billable": 90 * 60,
        "amount": Decimal("120.00"),
    }


def test_totals_of_nothing_are_zero(bob):
    assert TimeEntry.objects.for_user(bob).totals() == {
        "duration": 0,
        "rounded": 0,
        "billable": 0,
        "amount": 0,
    }


def test_task_defaults_to_not_started_and_unbilled():
    task = TaskFactory()
    assert task.status == TaskStatus.NOT_STARTED
    assert task.payment_status == "unbilled"
    assert task.get_payment_status_display() == "Unbilled"


def test_in_progress_counts_working_and_paused_tasks():
    TaskFactory(status=TaskStatus.WORKING)
    TaskFactory(status=TaskStatus.PAUSED)
    TaskFactory(status=TaskStatus.COMPLETED)
    TaskFactory()
    assert Task.objects.in_progress().count() == 2
    assert Task.objects.completed().count() == 1


def test_entry_changes_are_kept_in_history(bob):
    entry = TimeEntryFactory(user=bob, description="first")
    entries.change(entry, by=bob, description="second")
    assert [h.description for h in entry.history.order_by("history_date")] == ["first", "second"]


def test_users_without_any_group_see_no_tasks(charlie):
    TaskFactory(assignee=charlie)
    assert not Task.objects.for_user(charlie).exists()
    assert not UserFactory(username="eve").has_role


def test_time_billed_outside_the_app_counts_as_invoiced(bob):
    outside = TimeEntryFactory(user=bob, billed_elsewhere="Exact #4411")
    inside = TimeEntryFactory(user=bob)
    assert outside.is_invoiced and not inside.is_invoiced
    assert list(TimeEntry.objects.invoiced()) == [outside]
    assert list(TimeEntry.objects.unbilled()) == [inside]
