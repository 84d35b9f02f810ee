"""A bucket's dates and numbers stay inside what every page and API route can compute with."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from tests.api.conftest import client_for
from tests.buckets.test_views import form_data
from tests.factories import BucketFactory, ClientFactory, SiteFactory
from timetracker.buckets.models import Bucket

pytestmark = pytest.mark.django_db
CREATE = reverse("buckets:create")


@pytest.fixture
def acme():
    return ClientFactory(name="Acme")


def every_page_and_route_answers(client, api, acme):
    SiteFactory(client=acme)
    pages = [
        reverse("dashboard"),
        reverse("buckets:list"),
        reverse("clients:list"),
        reverse("clients:site_list"),
        reverse("clients:detail", args=[acme.pk]),
    ]
    for url in pages:
        assert client.get(url).status_code == 200, url
    for url in ["/api/v1/buckets", f"/api/v1/clients/{acme.pk}/buckets"]:
        assert api.get(url).status_code == 200, url


@pytest.mark.parametrize("start", ["9999-12-31", "1969-12-31", "0001-01-01", "3000-01-01"])
def test_a_start_date_outside_the_supported_range_is_refused_on_the_page(alice_client, alice, acme, start):
    response = alice_client.post(CREATE, form_data(acme, start_date=start))
    assert response.status_code == 200 and not Bucket.objects.exists()
    assert response.context["form"].errors["start_date"] == ["Choose a date between 1970 and 2999."]
    every_page_and_route_answers(alice_client, client_for(alice), acme)


@pytest.mark.parametrize("start", ["1970-01-01", "2999-12-31"])
def test_the_ends_of_the_supported_range_are_fine(alice_client, alice, acme, start):
    for recurrence in ["weekly", "monthly", "quarterly", "yearly", "none"]:
        response = alice_client.post(CREATE, form_data(acme, start_date=start, recurrence=recurrence))
        assert response.status_code == 302, response.context["form"].errors
    assert Bucket.objects.count() == 5
    every_page_and_route_answers(alice_client, client_for(alice), acme)


def test_editing_a_bucket_to_year_9999_is_refused(alice_client, acme):
    bucket = BucketFactory(clients=[acme])
    response = alice_client.post(
        reverse("buckets:edit", args=[bucket.pk]), form_data(acme, start_date="9999-12-31")
    )
    assert response.context["form"].errors["start_date"] == ["Choose a date between 1970 and 2999."]
    bucket.refresh_from_db()
    assert bucket.start_date == date(2020, 1, 1)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"hours": "100001"}, "hours", "Hours cannot be more than 100000."),
        ({"hours": "1e30"}, "hours", "Ensure that there are no more than 10 digits in total."),
        ({"hourly_price": "100001"}, "hourly_price", "The hourly price cannot be more than 100000."),
    ],
)
def test_numbers_past_their_bounds_are_refused_on_the_page(alice_client, acme, overrides, field, message):
    response = alice_client.post(CREATE, form_data(acme, **overrides))
    assert response.status_code == 200 and not Bucket.objects.exists()
    assert message in response.context["form"].errors[field]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"start_date": "9999-12-31"}, "start_date", "Choose a date between 1970 and 2999."),
        ({"start_date": "1969-12-31"}, "start_date", "Choose a date between 1970 and 2999."),
        ({"hours": "100001"}, "hours", "Hours cannot be more than 100000."),
        ({"hourly_price": "100001"}, "hourly_price", "The hourly price cannot be more than 100000."),
        ({"thresholds": [1001]}, "thresholds", '"1001" is out of range: thresholds run from 1 to 1000 %.'),
    ],
)
def test_the_api_refuses_the_same_bounds_naming_the_field(dana, alice_client, acme, change, field, message):
    api_dana = client_for(dana)
    body = {"title": "B", "client_ids": [acme.pk], "hours": "5", **change}
    response = api_dana.post("/api/v1/buckets", body, format="json")
    assert response.status_code == 422
    assert response.json()["error"]["fields"][field] == [message]
    assert not Bucket.objects.exists()
    assert api_dana.get("/api/v1/buckets").status_code == 200
    assert alice_client.get(reverse("buckets:list")).status_code == 200


def test_the_database_refuses_a_start_date_outside_the_range(acme):
    with pytest.raises(IntegrityError), transaction.atomic():
        BucketFactory(clients=[acme], start_date=date(9999, 12, 31))
    with pytest.raises(IntegrityError), transaction.atomic():
        BucketFactory(clients=[acme], hours=Decimal("100001"))
