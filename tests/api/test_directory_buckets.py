from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import BucketFactory, ClientFactory, TaskFactory, TimeEntryFactory
from timetracker.buckets.models import Bucket

pytestmark = pytest.mark.django_db


def bucket_with_time(hours="10", worked=timedelta(hours=2, minutes=30)):
    client = ClientFactory()
    bucket = BucketFactory(clients=[client], hours=Decimal(hours), start_date=timezone.localdate())
    TimeEntryFactory(task=TaskFactory(client=client, bucket=bucket), started_at=timezone.now(), worked=worked)
    return client, bucket


def test_bucket_balances_are_hours_with_two_decimals(api_dana):
    client, bucket = bucket_with_time()
    row = api_dana.get(f"/api/v1/buckets/{bucket.pk}").json()
    assert (row["hours"], row["used_hours"], row["remaining_hours"]) == ("10.00", "2.50", "7.50")
    assert row["percent_used"] == 25 and row["client_ids"] == [client.pk]
    assert row["period"]["start"] == bucket.start_date.isoformat() and row["period"]["end"] is None
    assert row["period"]["label"].startswith("Since")
    listed = api_dana.get(f"/api/v1/clients/{client.pk}/buckets").json()["results"]
    assert [b["remaining_hours"] for b in listed] == ["7.50"]


def test_an_overrun_bucket_shows_negative_remaining(api_bob):
    _, bucket = bucket_with_time(hours="2")
    row = api_bob.get(f"/api/v1/buckets/{bucket.pk}").json()
    assert row["remaining_hours"] == "-0.50" and row["hourly_price"] is None  # rates hidden from Staff


def test_managers_create_and_edit_buckets_through_the_bucket_rules(api_dana):
    client = ClientFactory()
    response = api_dana.post(
        "/api/v1/buckets",
        {
            "title": "Care plan",
            "client_ids": [client.pk],
            "hours": "5",
            "recurrence": "monthly",
            "thresholds": [100, 80],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    bucket = Bucket.objects.get(pk=response.json()["id"])
    assert (
        bucket.thresholds == [80, 100] and bucket.billable_only is True and response.json()["hours"] == "5.00"
    )
    assert response.json()["period"]["end"] is not None
    patched = api_dana.patch(f"/api/v1/buckets/{bucket.pk}", {"hours": "7.25"}, format="json")
    assert patched.status_code == 200 and patched.json()["hours"] == "7.25"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"hours": "-1"}, "hours"),
        ({"client_ids": []}, "client_ids"),
        ({"client_ids": [999]}, "client_ids"),
        ({"thresholds": [0]}, "thresholds"),
        ({"hours": "1e30"}, "hours"),
        ({"start_date": "9999-12-31"}, "start_date"),
        ({"recurrence": "daily"}, "recurrence"),
    ],
)
def test_bad_bucket_bodies_are_a_422(api_dana, change, field):
    body = {"title": "B", "client_ids": [ClientFactory().pk], "hours": "5", **change}
    response = api_dana.post("/api/v1/buckets", body, format="json")
    assert response.status_code == 422 and field in response.json()["error"]["fields"]


def test_deleting_a_bucket_archives_it_when_it_has_time(api_dana, api_bob):
    _, used = bucket_with_time()
    unused = BucketFactory(clients=[ClientFactory()])
    assert api_bob.delete(f"/api/v1/buckets/{unused.pk}").status_code == 403
    assert api_dana.delete(f"/api/v1/buckets/{used.pk}").status_code == 204
    assert api_dana.delete(f"/api/v1/buckets/{unused.pk}").status_code == 204
    assert Bucket.objects.get(pk=used.pk).is_archived and not Bucket.objects.filter(pk=unused.pk).exists()
    assert api_dana.get("/api/v1/buckets/999").status_code == 404


def test_bucket_filters(api_dana):
    client, bucket = bucket_with_time()
    BucketFactory(clients=[ClientFactory()])
    assert [b["id"] for b in api_dana.get(f"/api/v1/buckets?client_id={client.pk}").json()["results"]] == [
        bucket.pk
    ]
    assert api_dana.get("/api/v1/buckets?client_id=x").status_code == 400
    assert api_dana.get("/api/v1/buckets?title=x").status_code == 400


def test_the_bucket_list_takes_a_fixed_number_of_queries(api_dana):
    def count(rows):
        for _ in range(rows):
            bucket_with_time()
        with CaptureQueriesContext(connection) as queries:
            assert api_dana.get("/api/v1/buckets?per_page=100").status_code == 200
        return len(queries)

    count(1)
    assert count(3) == count(30)
