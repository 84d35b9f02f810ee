from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import BucketFactory, ClientFactory, SiteFactory, TaskFactory, TimeEntryFactory
from timetracker.tasks import timer
from timetracker.tasks.models import Task, TimeEntry

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def start_form(for_client, **extra):
    """The New Task form's fields; `extra` overrides any of them (client="" included)."""
    return {
        "client": for_client.pk,
        "title": "Fix the checkout",
        "timer_mode": "up",
        "billable": "on",
    } | extra


def test_new_task_modal_is_only_the_dialog_for_htmx(bob_client):
    response = bob_client.get(reverse("tasks:timer_new"), **HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<dialog") and "<html" not in response.text
    full = bob_client.get(reverse("tasks:timer_new"))
    assert "<html" in full.text and "<dialog" in full.text


def test_choosing_a_client_narrows_sites_projects_and_buckets(bob_client):
    acme, other = ClientFactory(name="Acme"), ClientFactory(name="Other")
    SiteFactory(client=acme, name="acme.com")
    SiteFactory(client=other, name="other.org")
    BucketFactory(clients=[acme], title="Acme care")
    BucketFactory(clients=[other], title="Other care")
    response = bob_client.get(reverse("tasks:timer_fields"), {"client": acme.pk}, **HTMX)
    assert 'id="client-fields"' in response.text
    assert "acme.com" in response.text and "Acme care" in response.text
    assert "other.org" not in response.text and "Other care" not in response.text


def test_start_creates_the_task_and_its_running_timer(bob_client, bob):
    client = ClientFactory()
    site = SiteFactory(client=client)
    response = bob_client.post(reverse("tasks:timer_new"), start_form(client, sites=[site.pk]), **HTMX)
    assert response.status_code == 200
    assert "timer-changed" in response["HX-Trigger"]
    task = Task.objects.get(title="Fix the checkout")
    assert list(task.sites.all()) == [site] and task.assignee == bob
    assert TimeEntry.objects.running().get(user=bob).task == task
    assert "Stop and Submit" in response.text


def test_start_without_htmx_redirects_to_the_timer(bob_client):
    response = bob_client.post(reverse("tasks:timer_new"), start_form(ClientFactory()))
    assert response.status_code == 302 and response["Location"] == reverse("tasks:timer_panel")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"client": ""}, "This field is required"),
        ({"title": ""}, "This field is required"),
        ({"timer_mode": "down"}, "Counting down needs a bucket"),
        ({"timer_mode": "sideways"}, "Select a valid choice"),
    ],
)
def test_bad_input_re_renders_the_modal_with_the_reason(bob_client, change, message):
    response = bob_client.post(reverse("tasks:timer_new"), start_form(ClientFactory(), **change), **HTMX)
    assert response.status_code == 200
    assert message in response.text and "<dialog" in response.text
    assert not Task.objects.exists() and not TimeEntry.objects.exists()


def test_a_bucket_or_site_of_another_client_is_refused(bob_client):
    acme, other = ClientFactory(), ClientFactory()
    foreign_bucket = BucketFactory(clients=[other])
    foreign_site = SiteFactory(client=other)
    response = bob_client.post(
        reverse("tasks:timer_new"),
        start_form(acme, bucket=foreign_bucket.pk, sites=[foreign_site.pk]),
        **HTMX,
    )
    assert response.text.count("Select a valid choice") == 2
    assert not TimeEntry.objects.exists()


def test_a_hard_stopped_bucket_explains_itself_inside_the_modal(bob_client, bob):
    client = ClientFactory()
    bucket = BucketFactory(clients=[client], hours=0, hard_stop=True, billable_only=False)
    TimeEntryFactory(task__client=client, task__bucket=bucket, user=bob)
    response = bob_client.post(reverse("tasks:timer_new"), start_form(client, bucket=bucket.pk), **HTMX)
    assert "is used up" in response.text
    assert not TimeEntry.objects.running().exists()
    assert not Task.objects.filter(title="Fix the checkout").exists()  # nothing half-written


def test_the_header_shows_the_running_timer_on_every_page(bob_client, bob):
    timer.start(user=bob, task=TaskFactory(title="Plugin updates"), now=timezone.now() - timedelta(minutes=3))
    page = bob_client.get(reverse("dashboard")).text
    assert 'id="header-timer"' in page and "Plugin updates" in page and "data-clock" in page
    header = bob_client.get(reverse("tasks:timer_header"), **HTMX).text
    assert header.lstrip().startswith('<div id="header-timer"') and "Plugin updates" in header


def test_pause_resume_and_stop_through_the_views(bob_client, bob):
    entry = timer.start(user=bob, task=TaskFactory(), now=timezone.now() - timedelta(minutes=30))
    pause = bob_client.post(reverse("tasks:timer_pause", args=[entry.pk]), **HTMX)
    assert "Resume" in pause.text and "timer-changed" in pause["HX-Trigger"]
    bob_client.post(reverse("tasks:timer_resume", args=[entry.pk]), **HTMX)
    stop = bob_client.post(reverse("tasks:timer_stop", args=[entry.pk]), **HTMX)
    assert "Submitted" in stop.text
    entry.refresh_from_db()
    assert not entry.is_running and entry.duration_seconds >= 29 * 60


def test_stopping_under_a_minute_offers_discard_or_keep_running(bob_client, bob):
    entry = timer.start(user=bob, task=TaskFactory())
    response = bob_client.post(reverse("tasks:timer_stop", args=[entry.pk]), **HTMX)
    assert "Less than a minute" in response.text
    assert "Discard" in response.text and "Keep running" in response.text
    assert TimeEntry.objects.get(pk=entry.pk).is_running
    bob_client.post(reverse("tasks:timer_discard", args=[entry.pk]), **HTMX)
    assert not TimeEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize("action", ["timer_pause", "timer_resume", "timer_stop", "timer_discard"])
def test_another_users_timer_is_404(bob_client, dana, action):
    entry = timer.start(user=dana, task=TaskFactory())
    assert bob_client.post(reverse(f"tasks:{action}", args=[entry.pk]), **HTMX).status_code == 404
    assert TimeEntry.objects.get(pk=entry.pk).is_running


def test_timer_actions_need_post(bob_client, bob):
    entry = timer.start(user=bob, task=TaskFactory())
    assert bob_client.get(reverse("tasks:timer_stop", args=[entry.pk])).status_code == 405
