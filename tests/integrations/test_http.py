"""The HTTP layer against a real server on 127.0.0.1: retries that honour Retry-After, quotas that defer,
refusals that say why, and tokens that never leave for another host."""

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from werkzeug import Response

from timetracker.integrations import http
from timetracker.integrations.http import Api, AuthFailed, QuotaExhausted, SyncError


@pytest.fixture
def answers(httpserver):
    """Queue answers for /items, one per request, in order."""

    def queue(*replies):
        for status, headers in replies:
            body = json.dumps({"ok": status < 400})
            httpserver.expect_ordered_request("/items").respond_with_response(
                Response(body, status=status, headers=headers, content_type="application/json")
            )

    return queue


def api_for(httpserver, waits):
    return Api(httpserver.url_for("/"), {"Authorization": "Bearer t0ken"}, sleep=waits.append)


def test_a_429_waits_as_long_as_retry_after_says_then_succeeds(httpserver, answers):
    answers((429, {"Retry-After": "3"}), (429, {"Retry-After": "1"}), (200, {}))
    waits = []
    with api_for(httpserver, waits) as api:
        assert api.get("items").json() == {"ok": True}
    assert waits == [3, 1] and api.requests == 3


def test_server_errors_back_off_exponentially(httpserver, answers):
    answers((503, {}), (500, {}), (502, {}), (200, {}))
    waits = []
    with api_for(httpserver, waits) as api:
        api.get("items")
    assert waits == [1, 2, 4]


def test_clickup_reset_header_is_a_unix_time(httpserver, answers):
    reset = int((datetime.now(UTC) + timedelta(seconds=20)).timestamp())
    answers((429, {"X-RateLimit-Reset": str(reset)}), (200, {}))
    waits = []
    with api_for(httpserver, waits) as api:
        api.get("items")
    assert 15 <= waits[0] <= 21


def test_a_spent_quota_defers_instead_of_sleeping(httpserver, answers):
    answers((402, {}))
    waits = []
    with api_for(httpserver, waits) as api, pytest.raises(QuotaExhausted) as caught:
        api.get("items")
    assert waits == [] and "quota is spent (HTTP 402" in str(caught.value)
    assert caught.value.resume_at > datetime.now(UTC) + timedelta(minutes=55)


def test_a_long_retry_after_defers_to_that_moment(httpserver, answers):
    answers((429, {"Retry-After": "1800"}))
    with api_for(httpserver, []) as api, pytest.raises(QuotaExhausted) as caught:
        api.get("items")
    left = caught.value.resume_at - datetime.now(UTC)
    assert timedelta(minutes=29) < left <= timedelta(minutes=30)


def test_retries_that_run_out_defer_the_run(httpserver, answers):
    answers(*[(503, {})] * http.MAX_ATTEMPTS)
    waits = []
    with (
        api_for(httpserver, waits) as api,
        pytest.raises(QuotaExhausted, match=r"still failed after 5 tries \(HTTP 503 on GET /items"),
    ):
        api.get("items")
    assert len(waits) == http.MAX_ATTEMPTS - 1


def test_refusals_name_the_status_and_never_the_token(httpserver, answers):
    answers((401, {}), (404, {}))
    with api_for(httpserver, []) as api:
        with pytest.raises(AuthFailed) as refused:
            api.get("items", secret="no")
        with pytest.raises(SyncError) as missing:
            api.get("items")
    assert "HTTP 401 on GET /items" in str(refused.value) and "secret" not in str(refused.value)
    assert "HTTP 404 on GET /items" in str(missing.value)
    assert "t0ken" not in str(refused.value) + str(missing.value)


def test_a_dropped_connection_is_retried(httpserver):
    waits = []
    api = Api("http://127.0.0.1:9", {}, sleep=waits.append)  # nothing listens on the discard port
    with pytest.raises(QuotaExhausted, match="still failed"):
        api.get("items")
    assert len(waits) == http.MAX_ATTEMPTS - 1


def test_next_links_are_followed_only_on_the_same_server(httpserver, answers):
    answers((200, {}))
    with api_for(httpserver, []) as api:
        assert api.follow(httpserver.url_for("/items")).status_code == 200
        with pytest.raises(SyncError, match="another server"):
            api.follow("https://collector.example/items")
    assert isinstance(api.base, httpx.URL)
