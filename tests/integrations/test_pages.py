"""The Integrations pages: Managers and Admins only; the token is written once and never shown again."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.integrations.fakes import Harvest, Toggl
from timetracker.integrations.models import Connection, SyncRun

pytestmark = pytest.mark.django_db
TOKEN = "hv-pat-7f3a9c1e5b2d"


@pytest.fixture
def manager_client(client):
    manager = UserFactory(role="Manager", username="mona")
    client.force_login(manager)
    return client


def form(**extra):
    data = {
        "provider": "harvest",
        "name": "Harvest (agency)",
        "token": TOKEN,
        "account": Harvest.account,
        "email": "ops@agency.example",
        "base_url": "",
        "time_zone": "Europe/Amsterdam",
        "window_days": 30,
        "every_minutes": 60,
        "enabled": "on",
    }
    return {**data, **extra}


def test_staff_cannot_open_it(client):
    client.force_login(UserFactory(role="Staff"))
    assert client.get(reverse("integrations:list")).status_code == 403
    assert client.post(reverse("integrations:add"), form()).status_code == 403
    assert not Connection.objects.exists()


def test_adding_seals_the_token_and_never_shows_it(manager_client):
    response = manager_client.post(reverse("integrations:add"), form())
    connection = Connection.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "integrations:detail", args=[connection.pk]
    )
    assert connection.credentials() == {"token": TOKEN} and TOKEN not in connection.sealed_credentials
    for url in (reverse("integrations:list"), reverse("integrations:detail", args=[connection.pk])):
        page = manager_client.get(url).content.decode()
        assert TOKEN not in page and connection.sealed_credentials not in page
    assert connection.token_hint in page


def test_saving_without_a_token_keeps_the_saved_one(manager_client):
    manager_client.post(reverse("integrations:add"), form())
    connection = Connection.objects.get()
    manager_client.post(
        reverse("integrations:detail", args=[connection.pk]), form(token="", every_minutes=15)
    )
    connection.refresh_from_db()
    assert connection.every_minutes == 15 and connection.credentials() == {"token": TOKEN}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"token": ""}, "token", "Enter the API token."),
        ({"account": ""}, "account", "Harvest needs the account id"),
        ({"email": ""}, "email", "contact address"),
        ({"provider": "clockify"}, "workspace", "Clockify needs the workspace id."),
        ({"every_minutes": 1}, "every_minutes", "greater than or equal to 5"),
        ({"window_days": 400}, "window_days", "less than or equal to 366"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Mars/Olympus"),
    ],
)
def test_bad_input_names_the_field(manager_client, changes, field, message):
    response = manager_client.post(reverse("integrations:add"), form(**changes))
    assert response.status_code == 200 and not Connection.objects.exists()
    assert any(message in error for error in response.context["form"].errors[field])


def test_test_button_reads_without_writing(manager_client, httpserver):
    fake = Toggl().install(httpserver)
    manager_client.post(
        reverse("integrations:add"),
        form(provider="toggl", token=fake.token, base_url=httpserver.url_for("/"), account="", email=""),
    )
    connection = Connection.objects.get()
    response = manager_client.post(reverse("integrations:test", args=[connection.pk]), follow=True)
    assert "The connection works: 0 entries today." in response.content.decode()
    assert not SyncRun.objects.exists()
    connection.set_credentials(token="wrong-token-000000")
    connection.save()
    response = manager_client.post(reverse("integrations:test", args=[connection.pk]), follow=True)
    assert "The test failed: The provider refused the credentials (HTTP 403" in response.content.decode()


@pytest.mark.django_db(transaction=True)  # autocommit, as in production: the worker's task runs on commit
def test_sync_now_writes_and_the_history_shows_it_while_imports_lists_only_files(manager_client, httpserver):
    from datetime import UTC, datetime

    fake = Toggl(
        entries=[Toggl.entry(7, datetime(2026, 11, 16, 9, tzinfo=UTC), 2700, description="Sprint review")]
    )
    fake.install(httpserver)
    manager_client.post(
        reverse("integrations:add"),
        form(provider="toggl", token=fake.token, base_url=httpserver.url_for("/"), account="", email=""),
    )
    connection = Connection.objects.get()
    response = manager_client.post(reverse("integrations:sync", args=[connection.pk]), follow=True)
    page = response.content.decode()
    assert "Synced: 1 new, 0 updated, 0 deleted, 0 conflicts." in page
    run = SyncRun.objects.get()
    assert run.status == "done" and f'href="/imports/{run.import_run_id}/"' in page
    assert run.import_run.entries.count() == 1  # its entries, undoable like an import's
    assert list(manager_client.get(reverse("imports:list")).context["runs"]) == []  # files only


def test_the_token_is_in_no_admin_page_and_no_log_line(client, httpserver, caplog):
    import logging

    admin = UserFactory(role="Admin", username="root", is_staff=True, is_superuser=True)
    fake = Toggl(token="tgl-secret-9f8e7d6c5b4a")
    fake.install(httpserver)
    connection = Connection(provider="toggl", name="T", base_url=httpserver.url_for("/"), created_by=admin)
    connection.set_credentials(token=fake.token)
    connection.save()
    client.force_login(admin)
    for url in (
        reverse("admin:integrations_connection_changelist"),
        reverse("admin:integrations_connection_change", args=[connection.pk]),
    ):
        page = client.get(url).content.decode()
        assert fake.token not in page and connection.sealed_credentials not in page
    fake.faults = [(500, {}, "boom")]
    with caplog.at_level(logging.DEBUG):
        from timetracker.integrations import sync

        sync.run(sync.claim(connection, trigger="manual"), sleep=lambda seconds: None)
    import base64

    # Toggl's token travels base64-encoded in the Authorization header: neither form may reach a log.
    encoded = base64.b64encode(f"{fake.token}:api_token".encode()).decode()
    assert caplog.records and all(
        fake.token not in record.getMessage() and encoded not in record.getMessage()
        for record in caplog.records
    )
    assert all(fake.token not in str(value) for value in SyncRun.objects.values_list("message", "problems"))


def test_a_new_address_needs_the_token_again_and_plain_http_only_to_this_machine(manager_client):
    manager_client.post(reverse("integrations:add"), form())
    connection = Connection.objects.get()
    url = reverse("integrations:detail", args=[connection.pk])
    moved = manager_client.post(url, form(token="", base_url="https://collector.example/"))
    assert moved.context["form"].errors["token"] == ["Enter the token again for the new address."]
    plain = manager_client.post(url, form(base_url="http://collector.example/"))
    assert "https://" in plain.context["form"].errors["base_url"][0]
    connection.refresh_from_db()
    assert connection.base_url == ""


def test_the_test_button_explains_an_answer_that_is_not_the_api(manager_client, httpserver):
    httpserver.expect_request("/api/v9/me/time_entries").respond_with_data(
        "<html>Login</html>", content_type="text/html"
    )
    manager_client.post(
        reverse("integrations:add"),
        form(
            provider="toggl",
            token="tgl-token-123456789",
            base_url=httpserver.url_for("/"),
            account="",
            email="",
        ),
    )
    connection = Connection.objects.get()
    response = manager_client.post(reverse("integrations:test", args=[connection.pk]), follow=True)
    assert response.status_code == 200
    assert "could not be read as Toggl Track&#x27;s API" in response.content.decode()
