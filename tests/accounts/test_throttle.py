"""Failed sign-ins lock an account or an address for a while; bad API keys lock an address (429 + Retry-After)."""

from datetime import timedelta

import pytest
import time_machine
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import PASSWORD
from timetracker.accounts import throttle
from timetracker.accounts.models import ApiKey

pytestmark = pytest.mark.django_db

ACCOUNT_LOCKED = "Too many failed sign-ins for this account. Try again in 15 minutes."
WRONG = "correct username and password"


def sign_in(client, username, password="wrong", address="203.0.113.7", path=None):
    return client.post(
        path or reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def signed_in(client):
    return "_auth_user_id" in client.session


def later(minutes, seconds=0):
    return time_machine.travel(timezone.now() + timedelta(minutes=minutes, seconds=seconds), tick=False)


def test_the_fifth_failure_locks_the_account_even_against_the_right_password(client, bob):
    for _ in range(4):
        assert WRONG in sign_in(client, "bob").text
    response = sign_in(client, "bob")
    assert ACCOUNT_LOCKED in response.text
    assert WRONG not in response.text

    response = sign_in(client, "bob", PASSWORD)
    assert ACCOUNT_LOCKED in response.text
    assert not signed_in(client)


def test_the_account_count_ignores_the_case_of_the_username(client, bob):
    for username in ("bob", "BOB", "Bob", "bOb", "boB"):
        sign_in(client, username)
    assert ACCOUNT_LOCKED in sign_in(client, "bob", PASSWORD).text


def test_the_account_lock_ends_after_fifteen_minutes(client, bob):
    for _ in range(5):
        sign_in(client, "bob")
    with later(14, 30):
        assert "Try again in 1 minute." in sign_in(client, "bob", PASSWORD).text
    with later(15, 1):
        response = sign_in(client, "bob", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    assert signed_in(client)


def test_a_successful_sign_in_resets_the_account_count(client, bob):
    for _ in range(4):
        sign_in(client, "bob")
    assert sign_in(client, "bob", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert WRONG in sign_in(client, "bob").text
    assert sign_in(client, "bob", PASSWORD).status_code == 302


def test_failures_older_than_the_window_are_forgotten(client, bob):
    for _ in range(4):
        sign_in(client, "bob")
    with later(15, 1):
        assert WRONG in sign_in(client, "bob").text
        assert sign_in(client, "bob", PASSWORD).status_code == 302


def test_twenty_failures_from_one_address_lock_that_address_only(client, bob, dana):
    for number in range(20):
        sign_in(client, f"guess{number}")

    response = sign_in(client, "bob", PASSWORD)
    assert "Too many failed sign-ins from your network address. Try again in 15 minutes." in response.text
    assert not signed_in(client)
    # Another address is not affected, and neither is the account.
    assert sign_in(client, "dana", PASSWORD, address="198.51.100.1").status_code == 302


def test_a_missing_password_is_not_counted(client, bob):
    for _ in range(6):
        response = client.post(reverse("login"), {"username": "bob", "password": ""})
        assert "This field is required." in response.text
    assert sign_in(client, "bob", PASSWORD).status_code == 302


def test_the_admin_login_is_throttled_too(client, alice):
    admin_login = reverse("admin:login")
    for _ in range(4):
        assert "correct username and password" in sign_in(client, "alice", path=admin_login).text
    assert ACCOUNT_LOCKED in sign_in(client, "alice", path=admin_login).text
    # One lock for both doors: the site's login refuses the account as well.
    assert ACCOUNT_LOCKED in sign_in(client, "alice", PASSWORD).text
    assert not signed_in(client)


def test_a_non_staff_user_with_the_right_password_is_not_counted_on_the_admin(client, bob):
    for _ in range(6):
        response = sign_in(client, "bob", PASSWORD, path=reverse("admin:login"))
        assert "staff account" in response.text
    assert sign_in(client, "bob", PASSWORD).status_code == 302


def address_of(settings, behind_proxy, **meta):
    settings.BEHIND_TLS_PROXY = behind_proxy
    return throttle.client_address(RequestFactory().get("/", **meta))


def test_the_forwarded_address_counts_only_behind_a_proxy(settings):
    meta = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9"}
    assert address_of(settings, False, **meta) == "10.0.0.2"
    # The left entry is whatever the client sent; the proxy appended the right one.
    assert address_of(settings, True, **meta) == "203.0.113.9"
    assert address_of(settings, True, REMOTE_ADDR="10.0.0.2") == "10.0.0.2"


def test_ipv6_addresses_count_per_64_block(settings):
    first = address_of(settings, False, REMOTE_ADDR="2001:db8:1:2::1")
    second = address_of(settings, False, REMOTE_ADDR="2001:db8:1:2:ffff::9")
    assert first == second == "2001:db8:1:2::/64"
    assert address_of(settings, False, REMOTE_ADDR="2001:db8:1:3::1") != first


def api_get(key, address="203.0.113.7"):
    return APIClient().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {key}", REMOTE_ADDR=address)


def test_ten_bad_keys_from_one_address_answer_429_with_retry_after(bob):
    _, good = ApiKey.issue(user=bob, name="script")
    for _ in range(9):
        assert api_get("tt_wrong").status_code == 401

    response = api_get("tt_wrong")
    assert response.status_code == 429
    assert response["Retry-After"] == "300"
    assert response.json() == {
        "error": {
            "status": 429,
            "code": "throttled",
            "message": "Too many requests with a bad API key from this address. Try again in 300 seconds.",
        }
    }
    # A good key from that address waits too (a guesser must not learn which guess was right) ...
    with later(2):
        locked = api_get(good)
    assert locked.status_code == 429 and locked["Retry-After"] == "180"
    # ... while other addresses are unaffected, and the lock ends after five minutes.
    assert api_get(good, address="198.51.100.1").status_code == 200
    with later(5, 1):
        assert api_get(good).status_code == 200
        assert api_get("tt_wrong").status_code == 401


def test_a_malformed_authorization_header_counts_as_a_bad_key():
    api = APIClient()
    for _ in range(9):
        assert api.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer").status_code == 401
    assert api.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer").status_code == 429


def test_requests_without_a_key_are_not_counted(bob):
    api = APIClient()
    for _ in range(15):
        assert api.get("/api/v1/me").status_code == 401
    _, good = ApiKey.issue(user=bob, name="script")
    assert api_get(good, address="127.0.0.1").status_code == 200
