"""The clients and sites tables and overview widgets name and count only what the viewer may open."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import ClientFactory, SiteFactory, TaskFactory, TimeEntryFactory
from timetracker.tasks.choices import TaskStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(bob, dana):
    """Acme with one task of Bob's and one of Dana's that Bob has no part in."""
    acme = ClientFactory(name="Acme")
    site = SiteFactory(client=acme, name="acme.com")
    mine = TaskFactory(
        client=acme, sites=[site], title="Fix the footer", assignee=bob, status=TaskStatus.PAUSED
    )
    TimeEntryFactory(task=mine, user=bob, worked=timedelta(hours=1))
    secret = TaskFactory(
        client=acme, sites=[site], title="Secret redesign", assignee=dana, status=TaskStatus.WORKING
    )
    TimeEntryFactory(task=secret, user=dana, worked=timedelta(hours=5))
    return acme


@pytest.mark.parametrize("page", ["clients:detail", "clients:site_detail"])
def test_staff_see_in_the_widget_only_tasks_they_may_open(bob_client, acme, page):
    pk = acme.pk if page == "clients:detail" else acme.sites.get().pk
    response = bob_client.get(reverse(page, args=[pk]))
    assert [task.title for task in response.context["recent_tasks"]] == ["Fix the footer"]
    assert "Secret redesign" not in response.text and "Dana" not in response.text
    for task in response.context["recent_tasks"]:
        assert bob_client.get(reverse("tasks:task_detail", args=[task.pk])).status_code == 200
    # The hours are Bob's own time, as in the clients table.
    assert response.context["seconds_this_month"] == 3600


@pytest.mark.parametrize("page", ["clients:detail", "clients:site_detail"])
def test_managers_see_every_task_running_ones_first(client, dana, bob, acme, page):
    TimeEntryFactory(task=acme.tasks.get(title="Fix the footer"), user=bob, ended_at=None)
    client.force_login(dana)
    pk = acme.pk if page == "clients:detail" else acme.sites.get().pk
    response = client.get(reverse(page, args=[pk]))
    titles = [task.title for task in response.context["recent_tasks"]]
    assert titles == ["Fix the footer", "Secret redesign"]  # Bob's timer runs on the first
    assert response.context["seconds_this_month"] == 6 * 3600


@pytest.mark.parametrize(("page", "name"), [("clients:list", "Acme"), ("clients:site_list", "acme.com")])
def test_the_tasks_column_counts_only_tasks_the_viewer_may_open(bob_client, client, dana, acme, page, name):
    def row(response):
        return next(row for row in response.context["page"] if row.name == name)

    staff_row = row(bob_client.get(reverse(page)))
    assert (staff_row.tasks_in_progress, staff_row.seconds_this_month) == (1, 3600)
    client.force_login(dana)
    manager_row = row(client.get(reverse(page)))
    assert (manager_row.tasks_in_progress, manager_row.seconds_this_month) == (2, 6 * 3600)


@pytest.mark.parametrize("page", ["clients:list", "clients:site_list", "clients:detail"])
def test_staff_pages_cost_the_same_few_queries_for_more_tasks(bob_client, bob, acme, page):
    def add(count):
        for _ in range(count):
            site = SiteFactory(client=acme)
            TimeEntryFactory(task=TaskFactory(client=acme, sites=[site], assignee=bob), user=bob)

    def count():
        with CaptureQueriesContext(connection) as queries:
            bob_client.get(reverse(page, args=[acme.pk]) if page == "clients:detail" else reverse(page))
        return len(queries)

    add(2)
    count()
    few = count()
    add(20)
    assert count() == few
