import pytest
from rest_framework.test import APIClient

from tests.api.conftest import client_for
from timetracker.accounts.models import ApiKey

pytestmark = pytest.mark.django_db


def test_the_schema_and_docs_are_served_without_a_cdn(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"openapi" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "cdn" not in docs.text.lower() and "/static/drf_spectacular_sidecar/" in docs.text


def test_no_key_is_a_401_in_the_error_shape():
    response = APIClient().get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_wrong_or_revoked_key_is_a_401(bob):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Bearer tt_not-a-real-key")
    assert api.get("/api/v1/me").status_code == 401
    key, raw = ApiKey.issue(user=bob, name="old")
    key.revoked_at = key.created_at
    key.save()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = api.get("/api/v1/me").json()
    assert body["error"]["status"] == 401 and "revoked" in body["error"]["message"]


def test_a_key_acts_as_its_user(api_bob, bob):
    assert api_bob.get("/api/v1/me").json() == {
        "id": bob.pk,
        "username": "bob",
        "name": str(bob),
        "role": "Staff",
        "time_zone": bob.time_zone,
    }


def test_an_outsiders_key_is_a_403(charlie):
    response = client_for(charlie).get("/api/v1/me")
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
