"""The Agency OS flow in the New Task modal: start on an existing task (recent ones first) with a description,
then Stop and review: adjust start and end, description, notes and billable, and Save Entry."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import TaskFactory, TimeEntryFactory, UserFactory
from timetracker.tasks import timer
from timetracker.tasks.forms import continue_choices
from timetracker.tasks.models import Note, TimeEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def sam(client):
    user = UserFactory(role="Staff", username="sam")
    client.force_login(user)
    return user


def test_recent_tasks_come_first_then_open_ones(sam):
    older, newer = TaskFactory(title="Older", assignee=sam), TaskFactory(title="Newer", assignee=sam)
    TimeEntryFactory(task=older, user=sam, started_at=timezone.now() - timedelta(days=3))
    TimeEntryFactory(task=newer, user=sam, started_at=timezone.now() - timedelta(days=1))
    TaskFactory(title="Untouched", assignee=sam)
    choices = continue_choices(sam)
    recent = dict(choices[1:])["Your recent tasks"]
    assert [label.split(" · ")[1] for _, label in recent] == ["Newer", "Older"]
    assert [label.split(" · ")[1] for _, label in dict(choices[1:])["Open tasks"]] == ["Untouched"]


def test_start_on_an_existing_task_with_a_description(client, sam):
    task = TaskFactory(title="Homepage", assignee=sam)
    response = client.post(
        reverse("tasks:timer_new"), {"start": "existing", "task": task.pk, "note": "Hero copy"}
    )
    assert response.status_code == 302
    running = timer.running_entry(sam)
    assert running.task == task and running.description == "Hero copy"


def test_a_task_the_person_may_not_see_is_refused(client, sam):
    hidden = TaskFactory(title="Someone else's")
    response = client.post(reverse("tasks:timer_new"), {"start": "existing", "task": hidden.pk})
    assert "task" in response.context["existing"].errors and timer.running_entry(sam) is None


def test_stop_review_adjust_and_save_entry(client, sam):
    task = TaskFactory(title="Homepage", assignee=sam)
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=50)
    entry = timer.start(user=sam, task=task, now=start, description="Hero copy")
    review = client.post(reverse("tasks:timer_stop_review", args=[entry.pk]), headers={"HX-Request": "true"})
    assert "Save Entry" in review.content.decode()
    stopped = TimeEntry.objects.get(pk=entry.pk)
    assert stopped.ended_at is not None
    local = timezone.localtime(start - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M")
    end = timezone.localtime(stopped.ended_at).strftime("%Y-%m-%dT%H:%M")
    saved = client.post(
        reverse("tasks:entry_review", args=[entry.pk]),
        {
            "started_at": local,
            "ended_at": end,
            "description": "Hero copy and CTA",
            "note": "Client asked for two CTAs",
        },
    )
    assert saved.status_code == 302
    stopped.refresh_from_db()
    assert stopped.started_at == start - timedelta(minutes=10) and stopped.description == "Hero copy and CTA"
    assert stopped.billable is False  # the box was left unticked
    assert Note.objects.get(entry=stopped).body == "Client asked for two CTAs"


def test_someone_elses_entry_cannot_be_reviewed(client, sam):
    other = TimeEntryFactory(user=UserFactory(role="Staff"))
    assert client.get(reverse("tasks:entry_review", args=[other.pk])).status_code == 404
