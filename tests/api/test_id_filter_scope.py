"""The id filters of /time-entries, /time-entries/unbilled and /reports/summary never tell a key whether an id
it may not see exists: such an id answers exactly as one that does not exist (400, same words)."""

import pytest

from tests.factories import ClientFactory, ProjectFactory, TaskFactory, TimeEntryFactory, UserFactory

pytestmark = pytest.mark.django_db

ENDPOINTS = ["/api/v1/time-entries", "/api/v1/time-entries/unbilled", "/api/v1/reports/summary"]
# Unbilled time takes client_id and project_id only (docs/api.md); a user_id there is an unknown parameter.
WITH_USER_ID = [url for url in ENDPOINTS if not url.endswith("unbilled")]
MISSING = 2_000_000


def answer(api, url, name, value):
    """Status and body, with the id itself blanked so two ids can be compared."""
    response = api.get(url, {name: value})
    return response.status_code, response.content.decode().replace(str(value), "<id>")


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_staff_key_cannot_tell_another_users_id_from_a_missing_one(api_bob, dana, url):
    TimeEntryFactory(user=dana)
    hidden = answer(api_bob, url, "user_id", dana.pk)
    assert hidden == answer(api_bob, url, "user_id", MISSING)
    assert hidden[0] == 400 and "user_id" in hidden[1]


@pytest.mark.parametrize("url", WITH_USER_ID)
def test_a_staff_key_filters_by_its_own_user_id(api_bob, bob, dana, url):
    TimeEntryFactory(user=bob)
    TimeEntryFactory(user=dana)
    response = api_bob.get(url, {"user_id": bob.pk})
    assert response.status_code == 200
    assert (response.json()["totals"]["entries"] if "summary" in url else response.json()["count"]) == 1


@pytest.mark.parametrize("url", WITH_USER_ID)
def test_managers_filter_by_anyones_user_id_and_missing_ids_are_a_400(api_dana, bob, url):
    TimeEntryFactory(user=bob)
    TimeEntryFactory(user=UserFactory(role="Staff"))
    response = api_dana.get(url, {"user_id": bob.pk})
    assert response.status_code == 200
    assert (response.json()["totals"]["entries"] if "summary" in url else response.json()["count"]) == 1
    status, body = answer(api_dana, url, "user_id", MISSING)
    assert status == 400 and "user_id: there is no user <id>." in body


@pytest.mark.parametrize("url", ENDPOINTS)
@pytest.mark.parametrize("name", ["client_id", "project_id"])
def test_client_and_project_ids_answer_alike_on_all_three_endpoints(api_bob, bob, url, name):
    """Clients and projects are shared by the agency (Client.objects.for_user): a Staff key sees them all."""
    project = ProjectFactory(client=ClientFactory())
    TimeEntryFactory(task=TaskFactory(client=project.client, project=project), user=bob)
    known = project.client_id if name == "client_id" else project.pk
    assert api_bob.get(url, {name: known}).status_code == 200
    status, body = answer(api_bob, url, name, MISSING)
    assert status == 400 and f"{name}: there is no {name[:-3]} <id>." in body


def test_a_task_the_staff_key_cannot_open_reads_as_missing(api_bob, dana):
    hidden = TimeEntryFactory(user=dana).task_id
    url = "/api/v1/time-entries"
    assert answer(api_bob, url, "task_id", hidden) == answer(api_bob, url, "task_id", MISSING)
