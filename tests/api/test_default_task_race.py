"""The default task a project's first entries are filed on is made once, however many arrive together."""

import pytest

from tests.api.conftest import client_for
from tests.concurrency import run_together
from tests.factories import ProjectFactory, UserFactory
from timetracker.tasks.models import Task, TimeEntry


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_first_entries_on_a_project_make_one_default_task():
    project = ProjectFactory()
    people = [UserFactory(role="Manager") for _ in range(4)]
    apis = [client_for(person) for person in people]

    def record(index):
        body = {
            "project_id": project.pk,
            "start_time": f"2026-03-02T0{index + 1}:00:00Z",
            "end_time": f"2026-03-02T0{index + 1}:30:00Z",
        }
        return apis[index].post("/api/v1/time-entries", body, format="json").status_code

    assert run_together(4, record) == [201] * 4
    assert Task.objects.filter(project=project).count() == 1
    assert TimeEntry.objects.filter(task__project=project).count() == 4
