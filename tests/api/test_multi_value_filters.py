"""Id filters take several ids, repeated or comma-separated, on the entries list, unbilled time and the summary."""

import pytest

from tests.factories import ClientFactory, ProjectFactory, TaskFactory, TimeEntryFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/time-entries"


@pytest.fixture
def three(dana):
    clients = [ClientFactory() for _ in range(3)]
    tasks = [TaskFactory(client=client) for client in clients]
    entries = [TimeEntryFactory(task=task, user=dana, billable=True) for task in tasks]
    return clients, tasks, entries


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("name", ["client_id", "contact_id"])
def test_comma_separated_and_repeated_clients_match_any(api_dana, three, name):
    clients, _, entries = three
    wanted = {entries[0].pk, entries[2].pk}
    assert ids(api_dana.get(f"{URL}?{name}={clients[0].pk},{clients[2].pk}")) == wanted
    assert ids(api_dana.get(f"{URL}?{name}={clients[0].pk}&{name}={clients[2].pk}")) == wanted
    assert ids(api_dana.get(f"{URL}/unbilled?{name}={clients[0].pk},{clients[2].pk}")) == wanted


def test_tasks_projects_and_users_take_several(api_dana, dana, three):
    _, tasks, entries = three
    assert ids(api_dana.get(f"{URL}?task_id={tasks[1].pk},{tasks[2].pk}")) == {entries[1].pk, entries[2].pk}
    project = ProjectFactory(client=tasks[0].client)
    other = TimeEntryFactory(
        task=TaskFactory(client=project.client, project=project), user=UserFactory(role="Staff")
    )
    assert ids(api_dana.get(f"{URL}?project_id={project.pk}")) == {other.pk}
    assert ids(api_dana.get(f"{URL}?user_id={dana.pk}&user_id={other.user_id}")) == {
        *(e.pk for e in entries),
        other.pk,
    }
    assert ids(api_dana.get(f"{URL}?user_id={other.user_id}")) == {other.pk}


def test_the_count_from_kept_totals_follows_several_ids(api_dana, three):
    clients, _, _ = three
    response = api_dana.get(f"{URL}?client_id={clients[0].pk},{clients[1].pk}")
    assert response.json()["count"] == 2


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "client_id=1,x",
            'client_id must be positive whole numbers (repeated or separated by commas), not "x".',
        ),
        (
            "client_id=1,,2",
            'client_id must be positive whole numbers (repeated or separated by commas), not "1,,2".',
        ),
        ("task_id=0", 'task_id must be positive whole numbers (repeated or separated by commas), not "0".'),
        ("client_id=" + ",".join(str(n) for n in range(1, 102)), "client_id: at most 100 ids at once."),
    ],
)
def test_bad_ids_are_a_clear_400(api_dana, three, query, message):
    response = api_dana.get(f"{URL}?{query}")
    assert response.status_code == 400 and response.json()["error"]["message"] == message


def test_one_unknown_id_among_good_ones_is_named(api_dana, three):
    clients, _, _ = three
    response = api_dana.get(f"{URL}?client_id={clients[0].pk},999999")
    assert (
        response.status_code == 400
        and response.json()["error"]["message"] == "client_id: there is no client 999999."
    )


def test_staff_cannot_list_someone_else_among_several(api_bob, bob, dana):
    response = api_bob.get(f"{URL}?user_id={bob.pk},{dana.pk}")
    assert (
        response.status_code == 400
        and response.json()["error"]["message"] == f"user_id: there is no user {dana.pk}."
    )


def test_the_summary_takes_several_clients(api_dana, three):
    clients, _, _ = three
    response = api_dana.get(f"/api/v1/reports/summary?client_id={clients[0].pk},{clients[1].pk}")
    assert response.status_code == 200, response.content
    assert {group["label"] for group in response.json()["groups"]} == {clients[0].name, clients[1].name}


def test_the_task_list_takes_several_clients_sites_and_buckets(api_dana):
    from tests.factories import SiteFactory

    clients = [ClientFactory() for _ in range(3)]
    tasks = [TaskFactory(client=client) for client in clients]
    both, other = SiteFactory(client=clients[0]), SiteFactory(client=clients[0])
    tasks[0].sites.set([both, other])

    def listed(query):
        response = api_dana.get(f"/api/v1/tasks?{query}")
        assert response.status_code == 200, response.content
        return sorted(row["id"] for row in response.json()["results"])

    assert listed(f"client_id={clients[0].pk},{clients[2].pk}") == sorted([tasks[0].pk, tasks[2].pk])
    assert listed(f"client_id={clients[0].pk}&client_id={clients[1].pk}") == sorted(
        [tasks[0].pk, tasks[1].pk]
    )
    assert listed(f"site_id={both.pk},{other.pk}") == [tasks[0].pk]  # listed once, though on both
    bad = api_dana.get("/api/v1/tasks?project_id=1,abc")
    assert (
        bad.status_code == 400
        and "project_id must be positive whole numbers" in bad.json()["error"]["message"]
    )


def test_the_project_list_takes_several_clients(api_dana):
    projects = [ProjectFactory() for _ in range(3)]
    response = api_dana.get(f"/api/v1/projects?client_id={projects[0].client_id},{projects[1].client_id}")
    assert response.status_code == 200
    assert sorted(row["id"] for row in response.json()["results"]) == sorted([projects[0].pk, projects[1].pk])
