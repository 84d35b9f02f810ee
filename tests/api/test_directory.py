from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import client_for
from tests.factories import ClientFactory, ProjectFactory, SiteFactory, TaskFactory, TimeEntryFactory
from timetracker.clients.models import Client, Project, Site

pytestmark = pytest.mark.django_db


def test_clients_list_with_figures_and_rates_hidden_from_staff(api_dana, api_bob, bob):
    client = ClientFactory(name="Acme", hourly_rate=Decimal("90"))
    task = TaskFactory(client=client, status="completed")
    TimeEntryFactory(task=task, user=bob, hourly_rate=Decimal("90"))
    row = api_dana.get("/api/v1/clients").json()["results"][0]
    assert row["name"] == "Acme" and row["tasks_completed"] == 1 and row["tasks_in_progress"] == 0
    assert row["seconds_this_month"] in (0, 3600)  # the entry may fall in last month near midnight
    assert row["hourly_rate"] == "90.00" and row["unbilled_amount"] is not None
    staff_row = api_bob.get("/api/v1/clients").json()["results"][0]
    assert staff_row["hourly_rate"] is None and staff_row["unbilled_amount"] is None


def test_managers_create_edit_and_archive_clients(api_dana):
    response = api_dana.post("/api/v1/clients", {"name": "Globex", "email": "a@b.example"}, format="json")
    assert response.status_code == 201
    pk = response.json()["id"]
    assert api_dana.patch(f"/api/v1/clients/{pk}", {"notes": "VIP"}, format="json").json()["notes"] == "VIP"
    assert api_dana.delete(f"/api/v1/clients/{pk}").status_code == 204
    assert Client.objects.get(pk=pk).is_archived
    assert api_dana.get("/api/v1/clients").json()["count"] == 0
    assert api_dana.get("/api/v1/clients?include_archived=true").json()["count"] == 1
    assert api_dana.get(f"/api/v1/clients/{pk}").json()["archived"] is True


def test_client_bodies_are_validated(api_dana):
    ClientFactory(name="Taken")
    for body, field in [({"name": "Taken"}, "name"), ({"name": "X", "hourly_rate": "-1"}, "hourly_rate")]:
        response = api_dana.post("/api/v1/clients", body, format="json")
        assert response.status_code == 422 and field in response.json()["error"]["fields"]


def test_staff_read_but_cannot_write(api_bob, charlie):
    client = ClientFactory()
    assert api_bob.get(f"/api/v1/clients/{client.pk}").status_code == 200
    assert api_bob.post("/api/v1/clients", {"name": "X"}, format="json").status_code == 403
    assert api_bob.patch(f"/api/v1/clients/{client.pk}", {"name": "Y"}, format="json").status_code == 403
    assert api_bob.delete(f"/api/v1/clients/{client.pk}").status_code == 403
    assert api_bob.post("/api/v1/sites", {"name": "x"}, format="json").status_code == 403
    assert api_bob.post("/api/v1/projects", {"name": "x"}, format="json").status_code == 403
    assert client_for(charlie).get("/api/v1/clients").status_code == 403


def test_unknown_ids_are_a_404_and_unknown_filters_a_400(api_dana):
    for url in [
        "/api/v1/clients/999",
        f"/api/v1/sites/{10**30}",
        "/api/v1/projects/999",
        "/api/v1/sites/9/tasks",
    ]:
        assert api_dana.get(url).status_code == 404, url
    assert api_dana.get("/api/v1/clients?colour=red").status_code == 400
    assert api_dana.get("/api/v1/sites?client_id=999").status_code == 400
    assert api_dana.get("/api/v1/projects?include_archived=maybe").status_code == 400


def test_client_and_site_tasks(api_dana):
    client = ClientFactory()
    site = SiteFactory(client=client)
    task = TaskFactory(client=client, sites=[site])
    TaskFactory(client=client)
    TaskFactory()
    assert api_dana.get(f"/api/v1/clients/{client.pk}/tasks").json()["count"] == 2
    rows = api_dana.get(f"/api/v1/sites/{site.pk}/tasks").json()["results"]
    assert [r["id"] for r in rows] == [task.pk]
    assert api_dana.get(f"/api/v1/clients/{client.pk}/tasks?client_id=1").status_code == 400


def test_sites_and_projects_belong_to_one_client(api_dana):
    client, other = ClientFactory(), ClientFactory()
    response = api_dana.post("/api/v1/sites", {"client_id": client.pk, "name": "shop.example"}, format="json")
    assert response.status_code == 201 and Site.objects.get(pk=response.json()["id"]).client == client
    pk = response.json()["id"]
    dupe = api_dana.post("/api/v1/sites", {"client_id": client.pk, "name": "shop.example"}, format="json")
    assert dupe.status_code == 422 and "name" in dupe.json()["error"]["fields"]
    moved = api_dana.patch(f"/api/v1/sites/{pk}", {"client_id": other.pk}, format="json")
    assert moved.status_code == 422
    assert (
        api_dana.patch(f"/api/v1/sites/{pk}", {"url": "https://shop.example/"}, format="json").status_code
        == 200
    )

    project = api_dana.post(
        "/api/v1/projects",
        {"client_id": client.pk, "name": "Relaunch", "budget_hours": "40", "hourly_rate": "120"},
        format="json",
    )
    assert project.status_code == 201 and project.json()["hourly_rate"] == "120.00"
    negative = api_dana.patch(
        f"/api/v1/projects/{project.json()['id']}", {"budget_hours": "-1"}, format="json"
    )
    assert negative.status_code == 422
    assert api_dana.get(f"/api/v1/projects?client_id={client.pk}").json()["count"] == 1
    assert Project.objects.get(pk=project.json()["id"]).budget_hours == Decimal("40")


def test_missing_client_for_a_site_is_a_422(api_dana):
    response = api_dana.post("/api/v1/sites", {"client_id": 999, "name": "x"}, format="json")
    assert response.status_code == 422 and "client_id" in response.json()["error"]["fields"]


@pytest.mark.parametrize("url", ["/api/v1/clients", "/api/v1/sites", "/api/v1/projects"])
def test_directory_lists_take_a_fixed_number_of_queries(api_dana, url):
    def count(rows):
        for _ in range(rows):
            client = ClientFactory()
            site = SiteFactory(client=client)
            ProjectFactory(client=client)
            TimeEntryFactory(task=TaskFactory(client=client, sites=[site]))
        with CaptureQueriesContext(connection) as queries:
            assert api_dana.get(f"{url}?per_page=100").status_code == 200
        return len(queries)

    count(1)
    assert count(3) == count(30)
