from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.factories import BucketAlertFactory, BucketFactory, ClientFactory
from timetracker.buckets.models import Bucket

pytestmark = pytest.mark.django_db


def test_a_bucket_serves_several_clients():
    acme, bluebird, other = ClientFactory(), ClientFactory(), ClientFactory()
    bucket = BucketFactory(clients=[acme, bluebird])
    assert list(Bucket.objects.for_client(acme)) == [bucket]
    assert list(Bucket.objects.for_client(bluebird)) == [bucket]
    assert not Bucket.objects.for_client(other).exists()


def test_hours_and_price_cannot_be_negative():
    with pytest.raises(IntegrityError), transaction.atomic():
        BucketFactory(hours=Decimal("-1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        BucketFactory(hourly_price=Decimal("-0.01"))


def test_thresholds_default_to_50_80_100_and_are_cleaned():
    bucket = BucketFactory()
    assert bucket.thresholds == [50, 80, 100]
    bucket.thresholds = [100, 50, 50]
    bucket.full_clean()
    assert bucket.thresholds == [50, 100]


@pytest.mark.parametrize("bad", [[0], [-10], ["80"], [True], "80"])
def test_bad_thresholds_are_refused_with_a_message(bad):
    bucket = BucketFactory.build(thresholds=bad)
    with pytest.raises(ValidationError, match="whole percentages"):
        bucket.full_clean(exclude=["clients"])


def test_one_alert_per_threshold_and_period():
    alert = BucketAlertFactory(threshold=80)
    with pytest.raises(IntegrityError), transaction.atomic():
        BucketAlertFactory(bucket=alert.bucket, threshold=80, period_start=alert.period_start)
    BucketAlertFactory(bucket=alert.bucket, threshold=100, period_start=alert.period_start)


def test_bucket_changes_are_kept_in_history():
    bucket = BucketFactory(hours=Decimal("10"))
    bucket.hours = Decimal("20")
    bucket.save()
    assert [h.hours for h in bucket.history.order_by("history_date")] == [Decimal("10"), Decimal("20")]
