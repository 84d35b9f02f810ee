"""Posting the manual-time form twice (a double click) records the time once."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from tests.concurrency import run_together
from tests.factories import BucketFactory, TaskFactory, TimeEntryFactory
from timetracker.accounts.models import OnceToken
from timetracker.accounts.once import new_token
from timetracker.tasks.models import TimeEntry

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
DAY = date(2026, 11, 11)
URL = reverse("tasks:entry_add")


@pytest.fixture
def task(bob):
    return TimeEntryFactory(user=bob, task__title="Plugin updates").task


def form(task, token, **extra):
    return {"task": task.pk, "date": DAY, "duration": "1:30", "billable": "on", "once_token": token, **extra}


def rendered_token(response):
    return re.search(r'name="once_token" value="([0-9a-f]{32})"', response.text).group(1)


def manual_entries(task):
    return TimeEntry.objects.filter(task=task, source="manual")


def test_the_same_form_posted_twice_records_once_and_answers_alike(bob_client, task):
    token = rendered_token(bob_client.get(URL))
    first = bob_client.post(URL, form(task, token))
    second = bob_client.post(URL, form(task, token), follow=True)
    assert manual_entries(task).count() == 1
    assert first.status_code == 302 and first["Location"] == reverse("tasks:task_detail", args=[task.pk])
    assert second.redirect_chain == [(first["Location"], 302)]
    assert "Already recorded" in second.text


def test_a_double_submit_through_htmx_records_once_and_shows_the_saved_dialog_twice(bob_client, task):
    token = new_token()
    answers = [bob_client.post(URL, form(task, token), **HTMX) for _ in range(2)]
    assert manual_entries(task).count() == 1
    for response in answers:
        assert response.status_code == 200 and "is up to date" in response.text
        assert "logs-changed" in response["HX-Trigger"]


def test_two_forms_with_their_own_tokens_record_twice(bob_client, task):
    bob_client.post(URL, form(task, new_token()))
    bob_client.post(URL, form(task, new_token()), **HTMX)
    assert manual_entries(task).count() == 2


def test_each_fresh_form_gets_its_own_token(bob_client):
    assert rendered_token(bob_client.get(URL)) != rendered_token(bob_client.get(URL, **HTMX))


def test_a_form_shown_again_with_errors_keeps_its_token(bob_client, task):
    token = new_token()
    response = bob_client.post(URL, form(task, token, duration="soon"), **HTMX)
    assert "Cannot read" in response.text and rendered_token(response) == token
    bob_client.post(URL, form(task, token))
    assert manual_entries(task).count() == 1


def test_a_refused_write_leaves_the_token_free_for_the_next_try(bob_client, bob):
    bucket = BucketFactory(hours=Decimal("1"), hard_stop=True, billable_only=False)
    task = TaskFactory(bucket=bucket, client=TaskFactory().client, assignee=bob)
    TimeEntryFactory(task=task, user=bob, worked=timedelta(hours=1))
    token = new_token()
    refused = bob_client.post(URL, form(task, token), **HTMX)
    assert "used up" in refused.text and not manual_entries(task).exists()
    assert not OnceToken.objects.filter(token=token).exists()
    bucket.hours = Decimal("5")
    bucket.save()
    bob_client.post(URL, form(task, token))
    assert manual_entries(task).count() == 1


def test_a_token_that_was_never_handed_out_is_explained_and_nothing_saved(bob_client, task):
    response = bob_client.post(URL, form(task, "<script>"), **HTMX)
    assert response.status_code == 200 and "once_token: this form was out of date" in response.text
    assert not manual_entries(task).exists()
    assert re.fullmatch(r"[0-9a-f]{32}", rendered_token(response))  # a fresh one to send again


def test_tokens_are_per_user(bob_client, client, dana, task):
    token = new_token()
    bob_client.post(URL, form(task, token))
    client.force_login(dana)
    client.post(URL, form(task, token))
    assert manual_entries(task).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_click_racing_in_two_workers_records_once(bob, task):
    token = new_token()

    def post(_):
        browser = Client()
        browser.force_login(bob)
        return browser.post(URL, form(task, token)).status_code

    assert run_together(2, post) == [302, 302]
    assert manual_entries(task).count() == 1
