"""Which tasks each role may open (Task.objects.for_user), each once, found without joining every entry."""

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import SiteFactory, TaskFactory, TimeEntryFactory, UserFactory
from timetracker.tasks.models import Task

pytestmark = pytest.mark.django_db


@pytest.fixture
def tasks(bob):
    """Bob's tasks (assigned, created, tracked, all three at once) and one of a colleague's, all with plenty of time."""
    colleague = UserFactory(username="erin", role="Staff")
    site, other_site = SiteFactory(), SiteFactory()
    made = {
        "assigned": TaskFactory(title="Assigned", assignee=bob),
        "created": TaskFactory(title="Created", created_by=bob),
        "tracked": TaskFactory(title="Tracked", sites=[site, other_site]),
        "everything": TaskFactory(title="Everything", assignee=bob, created_by=bob),
        "colleague's": TaskFactory(title="Colleague's", assignee=colleague, created_by=colleague),
    }
    for task in made.values():
        for _ in range(3):
            TimeEntryFactory(task=task, user=colleague)
    for task in (made["tracked"], made["everything"]):
        for _ in range(4):
            TimeEntryFactory(task=task, user=bob)
    return made


def titles(queryset):
    return sorted(task.title for task in queryset)


def test_staff_see_tasks_assigned_to_them_created_by_them_or_with_their_time_each_once(bob, tasks):
    visible = Task.objects.for_user(bob)

    assert titles(visible) == ["Assigned", "Created", "Everything", "Tracked"]
    assert visible.count() == 4


def test_staff_never_see_a_colleague_s_task_even_with_time_on_their_own(bob, tasks):
    assert not Task.objects.for_user(bob).filter(pk=tasks["colleague's"].pk).exists()


def test_managers_and_admins_see_every_task(alice, dana, tasks):
    assert Task.objects.for_user(dana).count() == Task.objects.for_user(alice).count() == len(tasks)


def test_an_outsider_sees_no_task(charlie, tasks):
    TimeEntryFactory(task=tasks["tracked"], user=charlie)

    assert not Task.objects.for_user(charlie).exists()


def test_narrowing_to_a_site_still_finds_a_tracked_task_once(bob, tasks):
    site = tasks["tracked"].sites.first()

    assert titles(Task.objects.for_user(bob).filter(sites=site)) == ["Tracked"]


def test_the_staff_dashboard_counts_each_visible_task_once(bob_client, tasks):
    response = bob_client.get(reverse("dashboard"))

    assert response.context["task_count"] == 4


def test_staff_visibility_asks_with_exists_not_a_join_on_entries_and_distinct(bob, tasks):
    with CaptureQueriesContext(connection) as queries:
        list(Task.objects.for_user(bob))
        Task.objects.for_user(bob).count()

    asked = [query["sql"].upper() for query in queries if 'FROM "TASKS_TASK"' in query["sql"].upper()]
    assert len(asked) == 2
    for sql in asked:
        assert 'JOIN "TASKS_TIMEENTRY"' not in sql
        assert "DISTINCT" not in sql
        assert re.search(r'EXISTS ?\(SELECT 1 AS "A" FROM "TASKS_TIMEENTRY"', sql)


def test_staff_visible_tasks_can_be_locked_directly(bob, tasks):
    # PostgreSQL refuses FOR UPDATE with DISTINCT; without it the scoped queryset locks as it is.
    with transaction.atomic():
        locked = titles(Task.objects.for_user(bob).select_for_update().order_by("pk"))

    assert locked == ["Assigned", "Created", "Everything", "Tracked"]
