from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import BucketAlertFactory, BucketFactory, ClientFactory, TaskFactory, TimeEntryFactory

pytestmark = pytest.mark.django_db


def recent(hours_ago=2):
    return timezone.now().replace(microsecond=0) - timedelta(hours=hours_ago)


def test_managers_see_their_own_and_the_teams_hours(client, dana, bob):
    # Just after today's midnight, whatever the time now (an entry may end later today).
    start = timezone.localtime().replace(hour=0, minute=1, second=0, microsecond=0)
    TimeEntryFactory(user=dana, started_at=start, worked=timedelta(minutes=30))
    TimeEntryFactory(user=bob, started_at=start, worked=timedelta(minutes=60))
    client.force_login(dana)
    response = client.get(reverse("dashboard"))
    assert response.context["today"]["duration"] == 30 * 60
    assert response.context["team_today"]["duration"] == 90 * 60
    client.force_login(bob)
    response = client.get(reverse("dashboard"))
    assert response.context["today"]["duration"] == 60 * 60 and "team_today" not in response.context


def test_buckets_past_their_first_threshold_are_listed_fullest_first(alice_client, alice):
    acme = ClientFactory()
    quiet = BucketFactory(clients=[acme], title="Quiet", hours=Decimal("10"), billable_only=False)
    warm = BucketFactory(
        clients=[acme], title="Warm", hours=Decimal("2"), billable_only=False, thresholds=[50, 100]
    )
    over = BucketFactory(clients=[acme], title="Over", hours=Decimal("1"), billable_only=False)
    for bucket, minutes in [(quiet, 60), (warm, 70), (over, 90)]:
        TimeEntryFactory(
            task=TaskFactory(client=acme, bucket=bucket), user=alice, worked=timedelta(minutes=minutes)
        )
    response = alice_client.get(reverse("dashboard"))
    assert [bucket.title for bucket, _ in response.context["buckets_at_risk"]] == ["Over", "Warm"]
    assert "Quiet" not in response.text.split("Buckets near their limit")[1].split("Unbilled")[0]


def test_recent_alerts_are_shown(alice_client):
    BucketAlertFactory(bucket=BucketFactory(title="Acme care"), threshold=80)
    response = alice_client.get(reverse("dashboard"))
    assert "Recent alerts" in response.text and "80%" in response.text


def test_unbilled_amount_per_client(alice_client, alice):
    acme, bakery = ClientFactory(name="Acme"), ClientFactory(name="Bakery")
    TimeEntryFactory(
        task=TaskFactory(client=acme), user=alice, hourly_rate=Decimal("100"), worked=timedelta(hours=3)
    )
    TimeEntryFactory(
        task=TaskFactory(client=bakery), user=alice, hourly_rate=Decimal("50"), worked=timedelta(hours=1)
    )
    TimeEntryFactory(task=TaskFactory(client=bakery), user=alice, hourly_rate=Decimal("50"), billable=False)
    rows = alice_client.get(reverse("dashboard")).context["unbilled"]
    assert [(r["task__client__name"], r["amount"]) for r in rows] == [
        ("Acme", Decimal("300.00")),
        ("Bakery", Decimal("50.00")),
    ]


def test_staff_do_not_see_unbilled_amounts(bob_client, bob):
    TimeEntryFactory(user=bob, hourly_rate=Decimal("100"))
    response = bob_client.get(reverse("dashboard"))
    assert "unbilled" not in response.context and "Unbilled by client" not in response.text


def test_the_chart_has_a_bar_per_day_with_the_hours(bob_client, bob):
    TimeEntryFactory(user=bob, started_at=recent(24 * 3), worked=timedelta(hours=2))
    TimeEntryFactory(user=bob, started_at=recent(24 * 40), worked=timedelta(hours=5))  # before the window
    chart = bob_client.get(reverse("dashboard")).context["chart"]
    assert len(chart["bars"]) == 30
    assert chart["total"] == 2 * 3600
    assert max(item["bar"].height for item in chart["bars"]) == 140
    assert sum(1 for item in chart["bars"] if item["bar"].height) == 1


def test_dashboard_queries_do_not_grow_with_buckets_or_entries(
    alice_client, alice, django_assert_max_num_queries
):
    def add(count):
        for _ in range(count):
            client = ClientFactory()
            bucket = BucketFactory(clients=[client], hours=Decimal("1"), billable_only=False)
            TimeEntryFactory(
                task=TaskFactory(client=client, bucket=bucket), user=alice, worked=timedelta(hours=2)
            )

    add(2)
    alice_client.get(reverse("dashboard"))
    with django_assert_max_num_queries(40) as few:
        alice_client.get(reverse("dashboard"))
    add(20)
    with django_assert_max_num_queries(len(few)):
        alice_client.get(reverse("dashboard"))
