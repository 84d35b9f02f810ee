"""Switching timers says what happened to the one that was running: stopped with its time, or discarded."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from tests.factories import TaskFactory, UserFactory
from timetracker.tasks import timer
from timetracker.tasks.models import TimeEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def sam():
    return UserFactory(role="Staff", username="sam")


def test_a_switch_after_an_hour_stops_the_first_with_its_time(sam):
    first, second = TaskFactory(title="Copy", assignee=sam), TaskFactory(title="Design", assignee=sam)
    now = timezone.now()
    timer.start(user=sam, task=first, now=now - timedelta(minutes=72))
    entry = timer.start(user=sam, task=second, now=now)
    assert entry.replaced == timer.Replaced(first.pk, "Copy", 72 * 60, discarded=False)
    assert str(entry.replaced) == "Stopped Copy after 1h 12m."
    assert TimeEntry.objects.get(task=first).ended_at is not None


def test_a_switch_within_a_minute_discards_the_first_and_says_so(sam):
    first, second = TaskFactory(title="Copy", assignee=sam), TaskFactory(title="Design", assignee=sam)
    now = timezone.now().replace(second=50)  # 40 seconds within one minute: nothing once floored to minutes
    timer.start(user=sam, task=first, now=now - timedelta(seconds=40))
    entry = timer.start(user=sam, task=second, now=now)
    assert entry.replaced.discarded and str(entry.replaced) == "Copy ran under a minute, so it was discarded."
    assert not TimeEntry.objects.filter(task=first).exists()


def test_nothing_running_nothing_replaced(sam):
    assert timer.start(user=sam, task=TaskFactory(assignee=sam)).replaced is None


def test_continue_from_the_page_tells_the_user(client, sam):
    first, second = TaskFactory(title="Copy", assignee=sam), TaskFactory(title="Design", assignee=sam)
    timer.start(user=sam, task=first, now=timezone.now() - timedelta(minutes=5))
    client.force_login(sam)
    response = client.post(reverse("tasks:task_continue", args=[second.pk]))
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Stopped Copy after 5m."]


def test_the_timer_panel_says_it_after_a_start_from_the_modal(client, sam):
    first = TaskFactory(title="Copy", assignee=sam)
    timer.start(user=sam, task=first, now=timezone.now() - timedelta(minutes=12))
    second = TaskFactory(title="Design", assignee=sam)
    client.force_login(sam)
    response = client.post(reverse("tasks:task_continue", args=[second.pk]), headers={"HX-Request": "true"})
    assert 'role="status">Stopped Copy after 12m.' in response.content.decode()
