"""The delete dialog says up front when the task cannot be deleted by this person, instead of offering a
button that is then refused (issue 17: Staff saw a count of others' entries, then a refusal)."""

from datetime import timedelta

import pytest
from django.urls import reverse

from tests.factories import TaskFactory, TimeEntryFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_staff_are_told_before_they_click(client):
    sam, other = UserFactory(role="Staff", username="sam"), UserFactory(role="Staff")
    task = TaskFactory(title="Shared", assignee=sam)
    TimeEntryFactory(task=task, user=sam, worked=timedelta(minutes=30))
    TimeEntryFactory(task=task, user=other, worked=timedelta(minutes=30))
    client.force_login(sam)
    page = client.get(reverse("tasks:task_delete", args=[task.pk])).content.decode()
    assert "has time tracked by others; ask a manager to delete it." in page
    assert "Delete task</button>" not in page and "This deletes the task" not in page


def test_their_own_task_is_offered(client):
    sam = UserFactory(role="Staff", username="sam")
    task = TaskFactory(title="Mine", assignee=sam)
    TimeEntryFactory(task=task, user=sam, worked=timedelta(minutes=30))
    client.force_login(sam)
    page = client.get(reverse("tasks:task_delete", args=[task.pk])).content.decode()
    assert "Delete task</button>" in page and "its 1 time entry" in page
