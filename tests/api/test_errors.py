"""Every API answer that is an error, even one no API view produced, is the API's JSON error shape."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from timetracker.accounts.models import ApiKey
from timetracker.api.account import MeView
from timetracker.buckets.models import Bucket

pytestmark = pytest.mark.django_db
DEEP = "[" * 100_000


def error_of(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    error = json.loads(response.content)["error"]
    assert error["status"] == status and error["message"]
    return error


@pytest.fixture
def raw_client(bob):
    """Django's client as a script would use the API: a bearer key, and server errors answered, not raised."""
    _, raw = ApiKey.issue(user=bob, name="tests")
    return Client(raise_request_exception=False, headers={"Authorization": f"Bearer {raw}"})


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/nope", "/api/v1/clients/1/nope", "/api/v2/me"])
def test_an_unknown_api_path_is_a_json_404(raw_client, path):
    error = error_of(raw_client.get(path), 404)
    assert error["code"] == "not_found" and path in error["message"]


def test_an_unknown_api_path_is_a_json_404_without_a_key_too():
    assert error_of(Client().post("/api/v1/nope", {}), 404)["code"] == "not_found"


def test_an_unknown_page_is_still_the_sites_html_404(alice_client):
    response = alice_client.get("/nope/")
    assert response.status_code == 404 and "text/html" in response["Content-Type"]


def test_an_unhandled_error_in_an_api_view_is_a_json_500(raw_client, monkeypatch):
    def broken(self, request):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(MeView, "get", broken)
    error = error_of(raw_client.get("/api/v1/me"), 500)
    assert error["code"] == "server_error" and "bug" not in error["message"]


def test_an_unhandled_error_on_a_page_is_still_the_html_500(bob, monkeypatch):
    monkeypatch.setattr("timetracker.buckets.views.bucket_usage.usage_many", lambda buckets: 1 / 0)
    client = Client(raise_request_exception=False)
    client.force_login(bob)
    response = client.get(reverse("buckets:list"))
    assert response.status_code == 500 and "text/html" in response["Content-Type"]


@pytest.mark.parametrize("body", [DEEP, '{"title": ' + DEEP, "[" * 5000 + "]" * 5000])
def test_deeply_nested_json_is_a_400_in_the_error_shape(api_dana, body):
    response = api_dana.generic("POST", "/api/v1/buckets", body, content_type="application/json")
    error = error_of(response, 400)
    assert error["code"] == "bad_request" and "JSON parse error" in error["message"]
    assert not Bucket.objects.exists()
    assert api_dana.get("/api/v1/buckets").status_code == 200


def test_a_body_past_the_upload_limit_is_a_400_in_the_error_shape(api_dana, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"title": "' + "x" * 2000 + '"}'
    response = api_dana.generic("POST", "/api/v1/buckets", body, content_type="application/json")
    assert error_of(response, 400)["message"] == "The request body is too large."
    assert not Bucket.objects.exists()


def test_malformed_json_is_a_400_in_the_error_shape(api_dana):
    response = api_dana.generic("POST", "/api/v1/buckets", '{"title": ', content_type="application/json")
    assert error_of(response, 400)["code"] == "bad_request"


def test_a_deeply_nested_form_value_on_a_page_is_only_a_bad_value(client, dana):
    client.force_login(dana)
    response = client.post(reverse("buckets:create"), {"title": DEEP, "hours": DEEP, "clients": DEEP})
    assert response.status_code == 200 and not Bucket.objects.exists()
    assert set(response.context["form"].errors) >= {"title", "hours", "clients"}
    # A JSON body sent to a page is not read at all: the page shows the empty form again.
    response = client.generic("POST", reverse("buckets:create"), DEEP, content_type="application/json")
    assert response.status_code == 200 and not response.context["form"].is_bound
