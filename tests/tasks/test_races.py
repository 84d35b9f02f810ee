import os

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.concurrency import run_together
from tests.factories import ClientFactory, TaskFactory, UserFactory
from timetracker.tasks import timer
from timetracker.tasks.models import TimeEntry, write_path


def test_the_suite_runs_on_the_database_it_was_asked_for(db):
    wanted = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    assert connection.vendor == wanted


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_inserts_of_a_running_entry_leave_exactly_one():
    user = UserFactory(role="Staff")
    tasks = TaskFactory.create_batch(2)
    # Straight inserts, past every Python check: only the partial unique index stands in the way.
    results = run_together(2, lambda i: _insert_running(task=tasks[i], user=user))
    assert sorted(type(result).__name__ for result in results) == ["IntegrityError", "TimeEntry"]
    assert TimeEntry.objects.running().filter(user=user).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_timer_starts_leave_exactly_one_running_entry():
    user = UserFactory(role="Staff")
    tasks = TaskFactory.create_batch(4)
    results = run_together(4, lambda i: timer.start(user=user, task=tasks[i]))
    # The user lock serialises the starts: each one stops the one before (dropping sub-minute slips)
    # instead of colliding with it on the unique index, so nobody sees a conflict.
    assert all(isinstance(result, TimeEntry) for result in results), results
    assert TimeEntry.objects.running().filter(user=user).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_clicking_start_at_once_never_get_a_server_error():
    user = UserFactory(role="Staff")
    client_record = ClientFactory()

    def click_start(index):
        browser = Client()
        browser.force_login(user)
        data = {"client": client_record.pk, "title": f"Task {index}", "timer_mode": "up", "billable": "on"}
        return browser.post(reverse("tasks:timer_new"), data, HTTP_HX_REQUEST="true").status_code

    assert run_together(3, click_start) == [200, 200, 200]
    assert TimeEntry.objects.running().filter(user=user).count() == 1


def _insert_running(**fields):
    with write_path():
        return TimeEntry.objects.create(started_at=timezone.now(), **fields)
