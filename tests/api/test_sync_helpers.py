"""What an integrator syncing with us needs beyond the seeds: the ids user_id takes, and what changed since."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import TaskFactory, TimeEntryFactory, UserFactory
from timetracker.tasks import entries

pytestmark = pytest.mark.django_db
URL = "/api/v1/time-entries"


def test_users_lists_the_team_for_managers_and_oneself_for_staff(
    api_dana, api_bob, alice, bob, dana, charlie
):
    UserFactory(role="Staff", is_active=False)
    names = [row["username"] for row in api_dana.get("/api/v1/users").json()["results"]]
    assert names == ["alice", "bob", "dana"]  # no outsider (charlie), no deactivated account
    assert [row["id"] for row in api_bob.get("/api/v1/users").json()["results"]] == [bob.pk]
    assert api_bob.get("/api/v1/users", {"role": "x"}).status_code == 400


def test_users_needs_a_key(client):
    assert client.get("/api/v1/users").status_code == 401


def test_entries_carry_updated_at_and_filter_on_it(api_dana, dana):
    task = TaskFactory()
    old, changed = TimeEntryFactory(task=task, user=dana), TimeEntryFactory(task=task, user=dana)
    mark = timezone.now()
    entries.change(changed, by=dana, description="Edited")
    body = api_dana.get(URL, {"updated_since": mark.isoformat()}).json()
    assert [row["id"] for row in body["results"]] == [changed.pk]
    assert body["results"][0]["updated_at"] is not None
    since = (mark - timedelta(days=1)).isoformat()
    assert {row["id"] for row in api_dana.get(URL, {"modified_after": since}).json()["results"]} == {
        old.pk,
        changed.pk,
    }


@pytest.mark.parametrize(
    ("name", "value"), [("updated_since", "yesterday"), ("modified_after", "2026-13-01T00:00")]
)
def test_a_bad_moment_is_a_400_naming_it(api_dana, name, value):
    response = api_dana.get(URL, {name: value})
    assert response.status_code == 400 and name in response.json()["error"]["message"]
