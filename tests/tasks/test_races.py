import os
import threading

import pytest
from django.db import IntegrityError, connection, connections
from django.utils import timezone

from tests.factories import TaskFactory, UserFactory
from timetracker.tasks.models import TimeEntry


def test_the_suite_runs_on_the_database_it_was_asked_for(db):
    wanted = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    assert connection.vendor == wanted


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_inserts_of_a_running_entry_leave_exactly_one():
    user = UserFactory(role="Staff")
    tasks = TaskFactory.create_batch(2)
    barrier = threading.Barrier(len(tasks))
    outcomes = []

    def start(task):
        try:
            barrier.wait()
            TimeEntry.objects.create(task=task, user=user, started_at=timezone.now())
            outcomes.append("started")
        except IntegrityError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=start, args=(task,)) for task in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "started"]
    assert TimeEntry.objects.running().filter(user=user).count() == 1
