"""The default-task rule lives in the tasks app (tasks/default_tasks.py); the API only reads ids for it."""

import pytest
from django.utils import timezone

from tests.factories import ClientFactory, ProjectFactory, UserFactory
from timetracker.tasks import default_tasks
from timetracker.tasks.models import Task

pytestmark = pytest.mark.django_db


def test_made_once_per_project_and_found_after():
    project, user = ProjectFactory(), UserFactory(role="Manager")
    first = default_tasks.default_task(client=project.client, project=project, by=user)
    again = default_tasks.default_task(client=project.client, project=project, by=user)
    assert first == again and first.title == "General" and first.project == project
    assert first.created_by == user and Task.objects.count() == 1


def test_a_client_without_project_has_its_own():
    client, user = ClientFactory(), UserFactory(role="Manager")
    task = default_tasks.default_task(client=client, project=None, by=user)
    assert (task.client, task.project, task.title) == (client, None, "General")
    project = ProjectFactory(client=client)
    assert default_tasks.default_task(client=client, project=project, by=user) != task


@pytest.mark.parametrize("archived", ["client", "project"])
def test_archived_owners_take_no_new_time(archived):
    project = ProjectFactory()
    owner = project.client if archived == "client" else project
    owner.archived_at = timezone.now()
    owner.save()
    with pytest.raises(default_tasks.Archived) as refused:
        default_tasks.default_task(client=project.client, project=project, by=UserFactory())
    assert refused.value.field == f"{archived}_id" and "is archived" in str(refused.value)
    assert not Task.objects.exists()
