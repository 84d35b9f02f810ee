from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    BucketFactory,
    ClientFactory,
    ClientSettingsFactory,
    InvoiceLineFactory,
    ProjectFactory,
    SiteFactory,
    TaskFactory,
    TimeEntryFactory,
)
from timetracker.clients.models import Client, Project, Site
from timetracker.tasks.choices import TaskStatus

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def row_for(response, name):
    return next(row for row in response.context["page"] if row.name == name)


def test_the_tasks_column_counts_working_and_paused_as_in_progress(alice_client):
    acme = ClientFactory(name="Acme")
    for status in [TaskStatus.WORKING, TaskStatus.PAUSED, TaskStatus.COMPLETED, TaskStatus.NOT_STARTED]:
        TaskFactory(client=acme, status=status)
    TaskFactory(status=TaskStatus.WORKING)  # another client's
    row = row_for(alice_client.get(reverse("clients:list")), "Acme")
    assert (row.tasks_in_progress, row.tasks_completed) == (2, 1)


def test_clients_show_hours_this_month_and_unbilled_amount_in_their_own_format(alice_client, alice):
    euro = ClientFactory(name="Bakery")
    ClientSettingsFactory(
        client=euro,
        currency_symbol="€",
        symbol_position="after",
        thousand_separator=".",
        decimal_separator=",",
    )
    task = TaskFactory(client=euro)
    TimeEntryFactory(task=task, user=alice, worked=timedelta(hours=10), hourly_rate=Decimal("123.45"))
    TimeEntryFactory(
        task=task,
        user=alice,
        worked=timedelta(hours=1),
        hourly_rate=Decimal("100"),
        invoice_line=InvoiceLineFactory(),
    )
    response = alice_client.get(reverse("clients:list"))
    row = row_for(response, "Bakery")
    assert row.seconds_this_month == 11 * 3600 and row.unbilled_amount == Decimal("1234.50")
    assert "1.234,50 €" in response.text


def test_staff_see_their_own_hours_and_no_amounts(bob_client, bob, dana):
    task = TaskFactory(client=ClientFactory(name="Acme"))
    TimeEntryFactory(task=task, user=bob, worked=timedelta(hours=1))
    TimeEntryFactory(task=task, user=dana, worked=timedelta(hours=5))
    response = bob_client.get(reverse("clients:list"))
    assert row_for(response, "Acme").seconds_this_month == 3600
    assert response.context["show_amounts"] is False and "Unbilled" not in response.text


def test_sites_have_the_same_figures_through_their_tasks(alice_client, alice):
    site = SiteFactory(name="acme.com")
    task = TaskFactory(client=site.client, sites=[site], status=TaskStatus.PAUSED)
    TimeEntryFactory(task=task, user=alice, worked=timedelta(minutes=90))
    row = row_for(alice_client.get(reverse("clients:site_list")), "acme.com")
    assert (row.tasks_in_progress, row.seconds_this_month) == (1, 90 * 60)


@pytest.mark.parametrize("name", ["clients:list", "clients:site_list"])
def test_table_query_counts_do_not_grow_with_rows(alice_client, alice, name):
    def add(count):
        for _ in range(count):
            site = SiteFactory()
            TimeEntryFactory(task=TaskFactory(client=site.client, sites=[site]), user=alice)

    def count():
        with CaptureQueriesContext(connection) as queries:
            alice_client.get(reverse(name))
        return len(queries)

    add(3)
    count()
    few = count()
    add(30)
    assert count() == few


def test_search_and_archived_filter_and_htmx_partial(alice_client):
    ClientFactory(name="Acme")
    gone = ClientFactory(name="Acme Old")
    gone.archive()
    names = lambda response: [row.name for row in response.context["page"]]  # noqa: E731
    assert names(alice_client.get(reverse("clients:list"), {"q": "acme"})) == ["Acme"]
    assert names(alice_client.get(reverse("clients:list"), {"q": "acme", "archived": "1"})) == [
        "Acme",
        "Acme Old",
    ]
    partial = alice_client.get(reverse("clients:list"), **HTMX)
    assert partial.text.lstrip().startswith('<div id="table"') and "<html" not in partial.text


def test_the_client_overview_has_the_time_tracker_widget(alice_client, alice):
    acme = ClientFactory(name="Acme", hourly_rate=Decimal("100"))
    bucket = BucketFactory(clients=[acme], title="Acme care", hours=Decimal("10"), billable_only=False)
    running = TaskFactory(client=acme, title="Running task", bucket=bucket, status=TaskStatus.WORKING)
    TimeEntryFactory(task=running, user=alice, worked=timedelta(hours=4), hourly_rate=Decimal("100"))
    TimeEntryFactory(task=running, user=alice, ended_at=None)
    response = alice_client.get(reverse("clients:detail", args=[acme.pk]))
    assert response.status_code == 200
    assert response.context["seconds_this_month"] == 4 * 3600
    assert response.context["unbilled_amount"] == Decimal("400.00")
    ((shown_bucket, usage),) = response.context["bucket_usages"]
    assert shown_bucket == bucket and usage.used_seconds == 4 * 3600 and usage.percent_used == 40
    assert "Running task" in response.text and "Acme care" in response.text and "40%" in response.text
    assert f"?client={acme.pk}" in response.text  # the link to this client's logs


def test_the_site_overview_shows_only_that_sites_tasks(alice_client, alice):
    site, other = SiteFactory(name="acme.com"), SiteFactory(name="other.org")
    TimeEntryFactory(task=TaskFactory(client=site.client, sites=[site], title="On site"), user=alice)
    TimeEntryFactory(task=TaskFactory(client=site.client, sites=[other], title="Elsewhere"), user=alice)
    response = alice_client.get(reverse("clients:site_detail", args=[site.pk]))
    assert "On site" in response.text and "Elsewhere" not in response.text
    assert response.context["seconds_this_month"] == 3600


def test_managers_create_and_edit_clients_sites_and_projects(client, dana):
    client.force_login(dana)
    response = client.post(
        reverse("clients:create"), {"name": "Northwind", "email": "office@northwind.example"}
    )
    northwind = Client.objects.get(name="Northwind")
    assert response["Location"] == reverse("clients:detail", args=[northwind.pk])
    client.post(reverse("clients:site_create"), {"client": northwind.pk, "name": "northwind.example"})
    client.post(
        reverse("clients:project_create"), {"client": northwind.pk, "name": "Intranet", "billable": "on"}
    )
    assert (
        Site.objects.filter(client=northwind).count() == 1
        and Project.objects.filter(client=northwind).count() == 1
    )
    client.post(reverse("clients:edit", args=[northwind.pk]), {"name": "Northwind Traders"})
    northwind.refresh_from_db()
    assert northwind.name == "Northwind Traders"


def test_bad_client_input_is_explained(client, dana):
    ClientFactory(name="Acme")
    client.force_login(dana)
    response = client.post(
        reverse("clients:create"), {"name": "Acme", "email": "not-an-email", "hourly_rate": "-5"}
    )
    assert response.status_code == 200
    text = response.text
    assert "Client with this Name already exists" in text and "Enter a valid email address" in text
    site_client = ClientFactory()
    SiteFactory(client=site_client, name="dup.com")
    response = client.post(reverse("clients:site_create"), {"client": site_client.pk, "name": "dup.com"})
    assert "already has a site called dup.com" in response.text


@pytest.mark.parametrize("name", ["clients:create", "clients:site_create", "clients:project_create"])
def test_staff_cannot_create(bob_client, name):
    assert bob_client.get(reverse(name)).status_code == 403


def test_archive_keeps_what_has_history_and_deletes_what_has_none(client, dana):
    client.force_login(dana)
    empty = ClientFactory()
    busy = TaskFactory().client
    client.post(reverse("clients:client_archive", args=[empty.pk]))
    response = client.post(reverse("clients:client_archive", args=[busy.pk]), follow=True)
    assert not Client.objects.filter(pk=empty.pk).exists()
    busy.refresh_from_db()
    assert busy.is_archived and "archived instead of deleted" in response.text
    client.post(reverse("clients:client_archive", args=[busy.pk]), {"restore": "1"})
    busy.refresh_from_db()
    assert not busy.is_archived


def test_archiving_a_project_with_tasks_archives_it(client, dana):
    project = ProjectFactory()
    TaskFactory(client=project.client, project=project)
    client.force_login(dana)
    client.post(reverse("clients:project_archive", args=[project.pk]))
    project.refresh_from_db()
    assert project.is_archived


def test_outsiders_get_404_on_overview_pages(client, charlie):
    site = SiteFactory()
    client.force_login(charlie)
    assert client.get(reverse("clients:detail", args=[site.client_id])).status_code == 404
    assert client.get(reverse("clients:site_detail", args=[site.pk])).status_code == 404


def test_a_project_takes_a_budget_in_money_and_its_thresholds(client, dana):
    acme = ClientFactory(name="Acme")
    client.force_login(dana)
    url = reverse("clients:project_create")
    form = client.get(url).content.decode()
    assert 'name="budget_thresholds" value="80, 100"' in form and 'name="budget_amount"' in form
    data = {
        "client": acme.pk,
        "name": "Relaunch",
        "budget_amount": "12000",
        "budget_thresholds": "50, 90%, 50",
    }
    client.post(url, data)
    project = Project.objects.get(name="Relaunch")
    assert (project.budget_amount, project.budget_thresholds) == (Decimal("12000.00"), [50, 90])
    refused = client.post(url, data | {"name": "Other", "budget_thresholds": "eighty", "budget_amount": "-1"})
    assert "&quot;eighty&quot; is not a whole percentage" in refused.text
    assert "The budget cannot be negative." in refused.text
    assert not Project.objects.filter(name="Other").exists()
