"""Idempotency-Key on POST: a retry gets the first answer; another body with the same key is a 422; keys are
the caller's own and expire after 24 hours; two requests at once with one key create one entry (PostgreSQL)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.api.conftest import client_for
from tests.concurrency import run_together
from tests.factories import TaskFactory, UserFactory
from timetracker.accounts.models import IdempotencyKey
from timetracker.tasks.models import TimeEntry

URL = "/api/v1/time-entries"
BODY = {"started_at": "2026-03-02T09:00:00Z", "ended_at": "2026-03-02T10:00:00Z", "description": "Retry me"}


def post(api, body, key):
    return api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.fixture
def body(bob):
    return {"task_id": TaskFactory(assignee=bob).pk, **BODY}


@pytest.mark.django_db
def test_a_retry_gets_the_first_answer_and_creates_nothing_more(api_bob, body):
    first = post(api_bob, body, "create-1")
    assert first.status_code == 201, first.content
    again = post(api_bob, body, "create-1")
    assert again.status_code == 201 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert TimeEntry.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_a_clear_422(api_bob, body):
    assert post(api_bob, body, "k").status_code == 201
    response = post(api_bob, {**body, "description": "Something else"}, "k")
    assert response.status_code == 422
    assert "already used for a different request" in response.json()["error"]["message"]
    assert TimeEntry.objects.count() == 1


@pytest.mark.django_db
def test_a_refused_request_keeps_no_key_so_a_fixed_retry_runs(api_bob, body):
    bad = post(api_bob, {**body, "ended_at": "2026-03-02T08:00:00Z"}, "k")
    assert bad.status_code == 422 and not IdempotencyKey.objects.exists()
    assert post(api_bob, body, "k").status_code == 201
    assert TimeEntry.objects.count() == 1


@pytest.mark.django_db
def test_keys_are_per_caller(api_bob, bob, body, dana):
    assert post(api_bob, body, "shared").status_code == 201
    other = client_for(dana)
    response = post(other, {**body, "user_id": bob.pk}, "shared")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert TimeEntry.objects.count() == 2


@pytest.mark.django_db
def test_keys_expire_after_a_day(api_bob, body):
    assert post(api_bob, body, "k").status_code == 201
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1), tick=False):
        later = post(
            api_bob, {**body, "started_at": "2026-03-03T09:00:00Z", "ended_at": "2026-03-03T10:00:00Z"}, "k"
        )
    assert later.status_code == 201 and "Idempotent-Replayed" not in later
    assert TimeEntry.objects.count() == 2 and IdempotencyKey.objects.count() == 1


@pytest.mark.django_db
def test_the_minutes_tick_forgets_everyones_expired_keys(api_bob, body):
    from io import StringIO

    from django.core.management import call_command

    assert post(api_bob, body, "old").status_code == 201
    with time_machine.travel(timezone.now() + timedelta(hours=12), tick=False):
        later = {**body, "started_at": "2026-03-03T09:00:00Z", "ended_at": "2026-03-03T10:00:00Z"}
        assert post(api_bob, later, "newer").status_code == 201
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1), tick=False):
        out = StringIO()
        call_command("run_schedules", stdout=out)
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["newer"]
    assert "1 expired idempotency key(s) forgotten" in out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["x" * 256, " padded"])
def test_a_malformed_key_is_a_400(api_bob, body, key):
    response = post(api_bob, body, key)
    assert response.status_code == 400 and "Idempotency-Key must be" in response.json()["error"]["message"]
    assert not TimeEntry.objects.exists()


@pytest.mark.django_db
def test_other_posts_replay_too(api_dana):
    first = api_dana.post("/api/v1/clients", {"name": "Once"}, format="json", HTTP_IDEMPOTENCY_KEY="c1")
    again = api_dana.post("/api/v1/clients", {"name": "Once"}, format="json", HTTP_IDEMPOTENCY_KEY="c1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    from timetracker.clients.models import Client

    assert Client.objects.filter(name="Once").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_with_one_key_create_one_entry():
    user = UserFactory(role="Staff")
    task = TaskFactory(assignee=user)
    apis = [client_for(user) for _ in range(2)]  # two keys of one user: the key belongs to the user
    payload = {"task_id": task.pk, **BODY}

    def create(index):
        response = post(apis[index], payload, "race-1")
        return response.status_code, response.json()

    results = run_together(2, create)
    assert [status for status, _ in results] == [201, 201], results
    assert results[0][1] == results[1][1]
    assert TimeEntry.objects.count() == 1 and IdempotencyKey.objects.count() == 1
