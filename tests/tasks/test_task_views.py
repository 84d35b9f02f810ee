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
    TimeEntryFactory,
)
from timetracker.tasks import timer
from timetracker.tasks.models import Note, Task, TimeEntry

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def bobs_task(bob):
    return TimeEntryFactory(user=bob, task__title="Plugin updates", description="Updated WooCommerce").task


@pytest.fixture
def danas_task(dana):
    return TimeEntryFactory(user=dana, task__title="Danas task").task


def test_detail_shows_entries_totals_notes_and_history(bob_client, bobs_task, bob):
    Note.objects.create(task=bobs_task, author=bob, body="Client asked for Monday")
    response = bob_client.get(reverse("tasks:task_detail", args=[bobs_task.pk]))
    assert response.status_code == 200
    for text in ["Plugin updates", "Updated WooCommerce", "Client asked for Monday", "1h", "Created"]:
        assert text in response.text


@pytest.mark.parametrize("name", ["task_detail", "task_edit", "task_delete"])
def test_another_users_task_is_404(bob_client, danas_task, name):
    assert bob_client.get(reverse(f"tasks:{name}", args=[danas_task.pk])).status_code == 404


@pytest.mark.parametrize("name", ["task_continue", "note_add", "task_delete"])
def test_posting_to_another_users_task_is_404(bob_client, danas_task, name):
    assert bob_client.post(reverse(f"tasks:{name}", args=[danas_task.pk])).status_code == 404
    assert Task.objects.filter(pk=danas_task.pk).exists()


def test_a_manager_sees_everyones_tasks(client, dana, bobs_task):
    client.force_login(dana)
    assert client.get(reverse("tasks:task_detail", args=[bobs_task.pk])).status_code == 200


def edit_data(task, entries=(), **changes):
    data = {
        "client": task.client_id,
        "title": task.title,
        "description": task.description,
        "billable": "on",
        "status": task.status,
        "payment_status": task.payment_status,
        "entries-TOTAL_FORMS": len(entries),
        "entries-INITIAL_FORMS": len(entries),
    }
    for index, (entry, started, ended) in enumerate(entries):
        local = timezone.localtime
        data |= {
            f"entries-{index}-id": entry.pk,
            f"entries-{index}-started_at": local(started).strftime("%Y-%m-%dT%H:%M"),
            f"entries-{index}-ended_at": local(ended).strftime("%Y-%m-%dT%H:%M"),
            f"entries-{index}-billable": "on",
            f"entries-{index}-description": entry.description,
        }
    return data | changes


def test_edit_changes_the_task_and_recomputes_edited_entries(bob_client, bob):
    entry = TimeEntryFactory(user=bob, task__hourly_rate=Decimal("60"), hourly_rate=Decimal("60"))
    task = entry.task
    start = entry.started_at.replace(second=0)
    response = bob_client.post(
        reverse("tasks:task_edit", args=[task.pk]),
        edit_data(
            task, [(entry, start, start + timedelta(minutes=150))], payment_status="sent", title="Renamed"
        ),
        **HTMX,
    )
    assert response.status_code == 200 and "Saved" in response.text
    task.refresh_from_db()
    entry.refresh_from_db()
    assert (task.title, task.payment_status) == ("Renamed", "sent")
    assert entry.duration_seconds == 150 * 60 and entry.amount == Decimal("150.00")


def test_edit_refuses_an_entry_ending_before_it_starts(bob_client, bob):
    entry = TimeEntryFactory(user=bob)
    start = entry.started_at
    response = bob_client.post(
        reverse("tasks:task_edit", args=[entry.task_id]),
        edit_data(entry.task, [(entry, start, start)]),
        **HTMX,
    )
    assert "at least one minute after the start" in response.text
    assert TimeEntry.objects.get(pk=entry.pk).ended_at == entry.ended_at


def test_edit_cannot_mark_a_task_working_without_a_timer(bob_client, bobs_task):
    response = bob_client.post(
        reverse("tasks:task_edit", args=[bobs_task.pk]), edit_data(bobs_task, status="working")
    )
    assert "follow a running timer" in response.text


def test_invoiced_entries_are_locked_out_of_the_edit_form(bob_client, bob):
    locked = TimeEntryFactory(user=bob, invoice_line=InvoiceLineFactory())
    response = bob_client.get(reverse("tasks:task_edit", args=[locked.task_id]), **HTMX)
    assert response.context["entries"].total_form_count() == 0
    assert "cannot be changed" in response.text
    # Even a forged form for the invoiced entry changes nothing.
    start = locked.started_at
    bob_client.post(
        reverse("tasks:task_edit", args=[locked.task_id]),
        edit_data(locked.task, [(locked, start, start + timedelta(hours=5))]),
    )
    assert TimeEntry.objects.get(pk=locked.pk).ended_at == locked.ended_at


def test_staff_cannot_edit_other_peoples_entries_on_a_shared_task(bob_client, bob, dana):
    mine = TimeEntryFactory(user=bob)
    TimeEntryFactory(user=dana, task=mine.task)
    response = bob_client.get(reverse("tasks:task_edit", args=[mine.task_id]), **HTMX)
    assert [form.instance.pk for form in response.context["entries"]] == [mine.pk]


def test_delete_asks_first_then_deletes_the_task_and_its_time(bob_client, bobs_task):
    confirm = bob_client.get(reverse("tasks:task_delete", args=[bobs_task.pk]), **HTMX)
    assert "cannot be undone" in confirm.text and Task.objects.filter(pk=bobs_task.pk).exists()
    response = bob_client.post(reverse("tasks:task_delete", args=[bobs_task.pk]), **HTMX)
    assert response["HX-Redirect"] == reverse("tasks:log_list")
    assert not Task.objects.filter(pk=bobs_task.pk).exists() and not TimeEntry.objects.exists()


def test_invoiced_time_cannot_be_deleted(bob_client, bob):
    task = TimeEntryFactory(user=bob, invoice_line=InvoiceLineFactory()).task
    response = bob_client.post(reverse("tasks:task_delete", args=[task.pk]), **HTMX)
    assert "has invoiced time" in response.text
    assert Task.objects.filter(pk=task.pk).exists()


def test_staff_cannot_delete_a_task_with_someone_elses_time(bob_client, bob, dana):
    task = TimeEntryFactory(user=bob).task
    TimeEntryFactory(user=dana, task=task)
    response = bob_client.post(reverse("tasks:task_delete", args=[task.pk]), **HTMX)
    assert "ask a manager" in response.text and TimeEntry.objects.count() == 2


def test_continue_starts_a_timer_and_opens_the_panel(bob_client, bob, bobs_task):
    response = bob_client.post(reverse("tasks:task_continue", args=[bobs_task.pk]), **HTMX)
    assert "Stop and Submit" in response.text and "timer-changed" in response["HX-Trigger"]
    assert TimeEntry.objects.running().get(user=bob).task == bobs_task


def test_continue_resumes_the_paused_timer(bob_client, bob, bobs_task):
    entry = timer.start(user=bob, task=bobs_task, now=timezone.now() - timedelta(minutes=20))
    timer.pause(entry=entry, now=timezone.now() - timedelta(minutes=10))
    bob_client.post(reverse("tasks:task_continue", args=[bobs_task.pk]), **HTMX)
    entry.refresh_from_db()
    assert not entry.is_paused and entry.paused_seconds >= 600
    assert TimeEntry.objects.running().count() == 1


def test_notes_are_added_and_empty_notes_refused(bob_client, bobs_task):
    bob_client.post(reverse("tasks:note_add", args=[bobs_task.pk]), {"body": "Waiting on DNS"})
    response = bob_client.post(reverse("tasks:note_add", args=[bobs_task.pk]), {"body": "  "}, follow=True)
    assert list(bobs_task.notes.values_list("body", flat=True)) == ["Waiting on DNS"]
    assert "A note needs some text" in response.text


def test_the_edit_modal_narrows_choices_to_the_tasks_client(bob_client, bob):
    acme = ClientFactory()
    task = TimeEntryFactory(user=bob, task__client=acme).task
    BucketFactory(clients=[ClientFactory()], title="Foreign bucket")
    BucketFactory(clients=[acme], title="Acme bucket")
    text = bob_client.get(reverse("tasks:task_edit", args=[task.pk]), **HTMX).text
    assert "Acme bucket" in text and "Foreign bucket" not in text


def test_detail_amounts_follow_the_clients_money_format(client, alice):
    euro = ClientFactory()
    ClientSettingsFactory(
        client=euro,
        currency_symbol="€",
        symbol_position="after",
        thousand_separator=".",
        decimal_separator=",",
    )
    entry = TimeEntryFactory(
        user=alice, task__client=euro, hourly_rate=Decimal("1250"), worked=timedelta(hours=2)
    )
    client.force_login(alice)
    text = client.get(reverse("tasks:task_detail", args=[entry.task_id])).text
    assert "1.250,00 €" in text and "2.500,00 €" in text
