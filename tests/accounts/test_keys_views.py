import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import ApiKeyFactory
from timetracker.accounts.models import ApiKey

pytestmark = pytest.mark.django_db

PROFILE = "/profile/"


def test_the_profile_shows_who_you_are_and_needs_a_login(bob_client, bob):
    assert reverse("accounts:profile") == PROFILE
    assert Client().get(PROFILE).status_code == 302
    page = bob_client.get(PROFILE)
    assert page.status_code == 200
    text = page.text
    assert "Bob" in text and "Staff" in text and "You have no API keys yet." in text
    assert 'value="Europe/Amsterdam"' in text  # the zone list
    assert "Profile &amp; API keys" in bob_client.get("/").text  # in the user menu


def test_the_time_zone_is_saved_and_an_unknown_one_refused(bob_client, bob):
    response = bob_client.post("/profile/time-zone/", {"time_zone": "Europe/Amsterdam"})
    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.time_zone == "Europe/Amsterdam"
    refused = bob_client.post("/profile/time-zone/", {"time_zone": "Mars/Olympus_Mons"})
    assert refused.status_code == 422 and "is not a time zone we know" in refused.text
    bob.refresh_from_db()
    assert bob.time_zone == "Europe/Amsterdam"


def test_a_new_key_is_shown_once_and_only_its_hash_is_stored(bob_client, bob):
    response = bob_client.post("/profile/keys/", {"name": "Invoice script"}, follow=True)
    key = ApiKey.objects.get(user=bob)
    page = response.text
    raw = page.split('id="new-key-value" class="mono" type="text" value="', 1)[1].split('"', 1)[0]
    assert raw.startswith("tt_") and key.lookup == raw[:12] and key.name == "Invoice script"
    assert key.hashed_key == ApiKey.hash(raw) and raw not in (key.hashed_key, key.lookup)
    again = bob_client.get(PROFILE).text
    assert raw not in again and "Invoice script" in again and f"{key.lookup}…" in again


def test_the_created_key_authenticates_as_its_user(bob_client, bob):
    page = bob_client.post("/profile/keys/", {"name": "cli"}, follow=True).text
    raw = page.split('id="new-key-value" class="mono" type="text" value="', 1)[1].split('"', 1)[0]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = api.get("/api/v1/me")
    assert response.status_code == 200 and response.json()["username"] == "bob"
    assert ApiKey.objects.get(user=bob).last_used_at is not None
    assert "Never" not in bob_client.get(PROFILE).text


def test_a_key_needs_a_name(bob_client, bob):
    response = bob_client.post("/profile/keys/", {"name": "  "})
    assert response.status_code == 422 and "Give the key a name" in response.text
    assert not ApiKey.objects.exists()


def test_revoking_a_key_stops_it(bob_client, bob):
    bob_client.post("/profile/keys/", {"name": "old laptop"})
    key = ApiKey.objects.get(user=bob)
    assert bob_client.post(f"/profile/keys/{key.pk}/revoke/").status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert "Revoked" in bob_client.get(PROFILE).text
    assert bob_client.get(f"/profile/keys/{key.pk}/revoke/").status_code == 405


def test_another_users_key_is_a_404(bob_client, alice):
    theirs = ApiKeyFactory(user=alice)
    assert bob_client.post(f"/profile/keys/{theirs.pk}/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert theirs.name not in bob_client.get(PROFILE).text
