"""Every writer of time takes its row locks in the one order: users, then an invoice, then tasks, then entries.

A deadlock needs two transactions that lock the same rows in different orders, and races seldom line up in a
test run; so this reads the SQL each writer sends to PostgreSQL and checks the order itself. A row is locked by
SELECT ... FOR UPDATE, or implicitly by the first UPDATE or DELETE of its table; once a level is passed, the
writer never goes back to a higher one.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import ClientFactory, TaskFactory, TimeEntryFactory
from timetracker.billing import invoicing, rerating
from timetracker.tasks import entries, timer
from timetracker.tasks.models import TimeEntry

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
LEVEL = {"accounts_user": 0, "billing_invoice": 1, "tasks_task": 2, "tasks_timeentry": 3}
NAMES = {level: table for table, level in LEVEL.items()}
RATE = Decimal("100.00")


def locks_taken(queries):
    """The tables in the order the statements lock rows of them that they did not hold yet."""
    held, taken = {}, []
    for sql in (q["sql"] for q in queries):
        if "FOR UPDATE" in sql:
            table = re.search(r'FROM "(\w+)"', sql).group(1)
        elif match := re.match(r'(?:UPDATE|DELETE FROM) "(\w+)"', sql):
            table = match.group(1)
        else:
            continue
        if table not in LEVEL:
            continue
        ids = _ids(sql, table)
        if ids is not None and ids <= held.get(table, set()):
            continue  # locked again: the rows are held already, nothing is waited for
        held.setdefault(table, set()).update(ids or ())
        taken.append(table)
    return taken


def _ids(sql, table):
    """The ids a statement is limited to (`"table"."id" IN (...)` or `= n`), or None when it names none."""
    found = re.search(rf'"{table}"\."id" (?:IN \(([\d, ]+)\)|= (\d+))', sql)
    if found is None:
        return None
    return {int(n) for n in (found.group(1) or found.group(2)).split(",")}


def assert_one_order(action):
    with CaptureQueriesContext(connection) as captured:
        action()
    taken = locks_taken(captured.captured_queries)
    levels = [LEVEL[table] for table in taken]
    assert levels == sorted(levels), f"locks taken out of order: {' -> '.join(taken)}"
    return taken


@pytest.fixture
def scene(bob, dana):
    acme = ClientFactory(hourly_rate=RATE)
    first, second = TaskFactory(client=acme), TaskFactory(client=acme)
    start = timezone.now() - timedelta(days=1)
    made = [
        TimeEntryFactory(task=task, user=user, started_at=start + timedelta(hours=n), hourly_rate=RATE)
        for n, (task, user) in enumerate([(first, bob), (second, bob), (second, dana), (first, dana)])
    ]
    return acme, first, second, made


def test_record_change_and_remove(scene, bob, dana):
    _, first, second, made = scene
    moment = timezone.now() - timedelta(hours=5)
    assert_one_order(
        lambda: entries.record(
            task=second, user=bob, by=dana, started_at=moment, ended_at=moment + timedelta(hours=1)
        )
    )
    assert_one_order(lambda: entries.change(made[1], by=dana, task=first, description="moved"))
    assert_one_order(lambda: entries.remove(made[0], by=dana))
    assert_one_order(lambda: entries.remove_task(second, by=dana))


def test_the_timer(scene, bob):
    _, first, second, _ = scene
    assert_one_order(lambda: timer.start(user=bob, task=second, now=timezone.now() - timedelta(minutes=40)))
    running = timer.running_entry(bob)
    assert_one_order(lambda: timer.pause(entry=running))
    assert_one_order(lambda: timer.resume(entry=running))
    # A start that stops the running timer on another task first.
    assert_one_order(lambda: timer.start(user=bob, task=first, now=timezone.now() - timedelta(minutes=20)))
    assert_one_order(lambda: timer.stop(entry=timer.running_entry(bob)))


def test_invoicing_from_confirm_to_cancel(scene, alice):
    acme, *_ = scene
    invoice = None

    def create():
        nonlocal invoice
        invoice = invoicing.create_invoice(client=acme, by=alice)

    assert assert_one_order(create)[:3] == ["accounts_user", "tasks_task", "tasks_timeentry"]
    assert_one_order(lambda: invoicing.void_line(invoice.lines.first(), by=alice))
    assert_one_order(lambda: invoicing.send(invoice, by=alice))
    assert_one_order(lambda: invoicing.cancel(invoice, by=alice))
    assert_one_order(lambda: invoicing.mark_invoiced(list(TimeEntry.objects.all()), reference="X", by=alice))


def test_rerating(scene):
    acme, *_ = scene
    acme.hourly_rate = Decimal("130.00")
    acme.save()
    count = rerating.preview(entries=TimeEntry.objects.all()).entries_changed
    assert_one_order(lambda: rerating.apply(entries=TimeEntry.objects.all(), expected_count=count))


def test_pages_and_api(scene, client, alice, dana):
    _, first, second, made = scene
    client.force_login(dana)
    assert_one_order(
        lambda: client.post(
            reverse("tasks:log_bulk"), {"action": "non_billable", "tasks": [first.pk, second.pk]}
        )
    )
    edit = client.get(reverse("tasks:task_edit", args=[first.pk]))
    data = {
        key: value
        for key, value in edit.context["form"].initial.items()
        if key in edit.context["form"].fields and value is not None
    }
    data.update({"sites": [], "title": "Renamed", "entries-TOTAL_FORMS": 0, "entries-INITIAL_FORMS": 0})
    assert_one_order(lambda: client.post(reverse("tasks:task_edit", args=[first.pk]), data))
    client.force_login(alice)
    assert_one_order(lambda: client.delete(f"/api/v1/time-entries/{made[2].pk}"))
    assert_one_order(lambda: client.delete(f"/api/v1/tasks/{second.pk}"))
