"""Guards found in review: locked fields, stale timers, hostile input, hard stops, snapshot rates."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    BucketFactory,
    ClientFactory,
    ClientSettingsFactory,
    InvoiceLineFactory,
    TaskFactory,
    TimeEntryFactory,
)
from timetracker.tasks import timer, timesheet
from timetracker.tasks.choices import TaskStatus
from timetracker.tasks.models import Task, TimeEntry, write_path

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def edit_payload(task, **changes):
    data = {
        "client": task.client_id,
        "title": task.title,
        "billable": "on",
        "status": task.status,
        "payment_status": task.payment_status,
        "entries-TOTAL_FORMS": 0,
        "entries-INITIAL_FORMS": 0,
    }
    return data | changes


def test_staff_cannot_change_a_task_others_tracked_time_on(bob_client, bob, dana):
    task = TimeEntryFactory(user=bob, task__title="Shared").task
    TimeEntryFactory(user=dana, task=task)
    other = ClientFactory()
    bob_client.post(
        reverse("tasks:task_edit", args=[task.pk]), edit_payload(task, client=other.pk, title="Mine now")
    )
    task.refresh_from_db()
    assert (task.title, task.client_id) == ("Shared", task.client_id) and task.client != other
    page = bob_client.get(reverse("tasks:task_edit", args=[task.pk]), **HTMX)
    assert "only a manager can change it" in page.text


def test_invoiced_time_locks_client_billing_and_payment_status_even_for_managers(client, dana):
    entry = TimeEntryFactory(user=dana, invoice_line=InvoiceLineFactory())
    task = entry.task
    client.force_login(dana)
    client.post(
        reverse("tasks:task_edit", args=[task.pk]),
        edit_payload(task, client=ClientFactory().pk, payment_status="paid", title="Renamed"),
    )
    task.refresh_from_db()
    assert task.client_id == entry.task.client_id and task.payment_status == "unbilled"
    assert task.title == "Renamed"  # what the invoice does not depend on stays editable


def test_bulk_payment_status_refuses_invoiced_tasks_and_changes_nothing(client, dana):
    free = TimeEntryFactory(user=dana).task
    invoiced = TimeEntryFactory(user=dana, invoice_line=InvoiceLineFactory()).task
    client.force_login(dana)
    response = client.post(
        reverse("tasks:log_bulk"), {"action": "payment:paid", "tasks": [free.pk, invoiced.pk]}, follow=True
    )
    assert "Nothing changed" in response.text
    assert set(Task.objects.values_list("payment_status", flat=True)) == {"unbilled"}


def test_bulk_changes_are_kept_in_task_history(bob_client, bob):
    task = TimeEntryFactory(user=bob).task
    bob_client.post(reverse("tasks:log_bulk"), {"action": "payment:sent", "tasks": [task.pk]})
    assert task.history.latest().payment_status == "sent"


def test_bulk_billable_keeps_the_snapshotted_rate(bob_client, bob):
    client = ClientFactory(hourly_rate=Decimal("80"))
    entry = TimeEntryFactory(user=bob, task__client=client, billable=False, hourly_rate=Decimal("80"))
    client.hourly_rate = Decimal("500")
    client.save()
    bob_client.post(reverse("tasks:log_bulk"), {"action": "billable", "tasks": [entry.task_id]})
    entry.refresh_from_db()
    assert entry.billable and entry.hourly_rate == Decimal("80") and entry.amount == Decimal("80.00")


def entry_form(entry, **fields):
    start = timezone.localtime(entry.started_at)
    data = edit_payload(entry.task) | {
        "entries-TOTAL_FORMS": 1,
        "entries-INITIAL_FORMS": 1,
        "entries-0-id": entry.pk,
        "entries-0-started_at": start.strftime("%Y-%m-%dT%H:%M"),
        "entries-0-ended_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "entries-0-billable": "on",
    }
    return data | fields


def test_editing_times_keeps_the_snapshotted_rate(bob_client, bob):
    entry = TimeEntryFactory(user=bob, task__hourly_rate=Decimal("60"), hourly_rate=Decimal("60"))
    Task.objects.filter(pk=entry.task_id).update(hourly_rate=Decimal("999"))
    two_hours_later = timezone.localtime(entry.started_at) + timedelta(hours=2)
    data = entry_form(entry, **{"entries-0-ended_at": two_hours_later.strftime("%Y-%m-%dT%H:%M")})
    bob_client.post(reverse("tasks:task_edit", args=[entry.task_id]), data)
    entry.refresh_from_db()
    assert entry.hourly_rate == Decimal("60") and entry.amount == Decimal("120.00")


def test_clearing_an_end_time_is_explained_not_a_500(bob_client, bob):
    entry = TimeEntryFactory(user=bob)
    response = bob_client.post(
        reverse("tasks:task_edit", args=[entry.task_id]),
        entry_form(entry, **{"entries-0-ended_at": ""}),
        **HTMX,
    )
    assert response.status_code == 200 and "This field is required" in response.text


def test_a_forged_form_count_creates_no_entries(bob_client, bob):
    entry = TimeEntryFactory(user=bob)
    data = entry_form(entry, **{"entries-TOTAL_FORMS": 2, "entries-1-started_at": "2026-01-01T09:00"})
    bob_client.post(reverse("tasks:task_edit", args=[entry.task_id]), data)
    assert TimeEntry.objects.count() == 1


def test_an_edit_must_leave_a_minute_of_work_after_the_pause(bob_client, bob):
    entry = TimeEntryFactory(user=bob, worked=timedelta(hours=2))
    with write_path():
        TimeEntry.objects.filter(pk=entry.pk).update(paused_seconds=90 * 60)
    entry.refresh_from_db()
    start = timezone.localtime(entry.started_at)
    data = entry_form(
        entry, **{"entries-0-ended_at": (start + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")}
    )
    response = bob_client.post(reverse("tasks:task_edit", args=[entry.task_id]), data, **HTMX)
    assert "90 paused minutes" in response.text
    assert TimeEntry.objects.get(pk=entry.pk).ended_at == entry.ended_at


def test_pausing_a_timer_stopped_in_another_tab_is_explained(bob, bob_client):
    entry = timer.start(user=bob, task=TaskFactory(), now=timezone.now() - timedelta(minutes=5))
    stale = TimeEntry.objects.get(pk=entry.pk)
    timer.stop(entry=entry)
    with pytest.raises(timer.TimerError, match="already stopped"):
        timer.pause(entry=stale)
    with pytest.raises(timer.TimerError, match="already stopped"):
        timer.stop(entry=stale)
    assert TimeEntry.objects.get(pk=entry.pk).paused_at is None


def test_a_stale_resume_does_not_undo_what_stop_counted(bob):
    now = timezone.now()
    entry = timer.start(user=bob, task=TaskFactory(), now=now - timedelta(minutes=30))
    timer.pause(entry=entry, now=now - timedelta(minutes=20))
    stale = TimeEntry.objects.get(pk=entry.pk)
    timer.resume(entry=entry, now=now - timedelta(minutes=10))
    timer.resume(entry=stale, now=now)  # reloads first: already resumed, nothing to add
    assert TimeEntry.objects.get(pk=entry.pk).paused_seconds == 10 * 60


def test_stopping_one_users_timer_keeps_a_shared_task_working_for_the_other(bob, dana):
    task = TaskFactory()
    mine = timer.start(user=bob, task=task, now=timezone.now() - timedelta(minutes=10))
    timer.start(user=dana, task=task, now=timezone.now() - timedelta(minutes=5))
    timer.stop(entry=mine)
    task.refresh_from_db()
    assert task.status == TaskStatus.WORKING


def test_the_bulk_next_url_cannot_leave_the_site(bob_client, bob):
    task = TimeEntryFactory(user=bob).task
    response = bob_client.post(
        reverse("tasks:log_bulk"), {"action": "payment:sent", "tasks": [task.pk], "next": "//evil.example/x"}
    )
    assert response["Location"] == reverse("tasks:log_list")


@pytest.mark.parametrize(
    ("method", "name", "data"),
    [
        ("post", "tasks:log_bulk", {"action": "delete", "tasks": ["abc", "²"]}),
        ("get", "tasks:timesheet", {"add": "²", "week": "9999-12-31"}),
        ("get", "tasks:timesheet", {"week": "0001-01-01"}),
        ("post", "tasks:timesheet_cell", {"task": "²", "day": "2026-01-01", "value": "1:00"}),
        ("get", "tasks:log_list", {"date_to": "9999-12-31"}),
        ("get", "tasks:log_list", {"date_from": "0001-01-01"}),
    ],
)
def test_hostile_input_never_500s(bob_client, bob, method, name, data):
    TimeEntryFactory(user=bob)
    response = getattr(bob_client, method)(reverse(name), data)
    assert response.status_code in (200, 302, 404)


def test_far_dates_are_refused_with_a_message(bob_client, bob):
    task = TimeEntryFactory(user=bob).task
    response = bob_client.post(
        reverse("tasks:entry_add"),
        {"task": task.pk, "date": "9999-12-31", "start": "23:00", "end": "01:00"},
        **HTMX,
    )
    assert "between 1970 and 2999" in response.text
    cell = bob_client.post(
        reverse("tasks:timesheet_cell"), {"task": task.pk, "day": "9999-12-31", "value": "1:00"}, **HTMX
    )
    assert "between 1970 and 2999" in cell.text


def test_the_logs_total_says_mixed_currencies_across_pages(client, alice):
    dollars = ClientFactory(name="A dollars")
    euros = ClientFactory(name="Z euros")
    ClientSettingsFactory(client=euros, currency_symbol="€", symbol_position="after")
    for _ in range(26):
        TimeEntryFactory(user=alice, task__client=dollars, hourly_rate=Decimal("100"))
    TimeEntryFactory(user=alice, task__client=euros, hourly_rate=Decimal("100"))
    client.force_login(alice)
    response = client.get(reverse("tasks:log_list"), {"sort": "client"})
    assert all(row["task"].client == dollars for row in response.context["rows"])
    assert response.context["totals_amount_text"] == "mixed currencies"


def test_a_hard_stopped_bucket_refuses_manual_time_and_grid_time(bob_client, bob):
    client = ClientFactory()
    bucket = BucketFactory(clients=[client], hours=Decimal("1"), hard_stop=True, billable_only=False)
    task = TaskFactory(client=client, bucket=bucket, assignee=bob)
    TimeEntryFactory(task=task, user=bob, worked=timedelta(hours=1))
    response = bob_client.post(
        reverse("tasks:entry_add"), {"task": task.pk, "date": "2026-11-02", "duration": "3h"}, **HTMX
    )
    assert "is used up" in response.text
    with pytest.raises(timer.TimerError, match="used up"):
        timesheet.set_day_total(
            user=bob, task=task, day=timezone.localdate() - timedelta(days=3), seconds=3600
        )
    assert TimeEntry.objects.count() == 1
