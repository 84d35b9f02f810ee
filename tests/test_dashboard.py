import zoneinfo
from datetime import datetime, timedelta
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


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_the_dashboard_days_from_the_kept_day_totals_equal_the_entries(request, settings, who, dana):
    """Around the autumn clock change, entries near midnight: the kept figures (viewer in the agency's zone)
    equal the same figures taken from the entries."""
    import time_machine

    from timetracker.tasks import entries
    from timetracker.views import CHART_DAYS, PeriodFigures

    settings.TIME_ZONE = "Europe/Amsterdam"
    viewer = request.getfixturevalue(who)
    viewer.time_zone = "Europe/Amsterdam"
    viewer.save()
    task = TaskFactory(client=ClientFactory(hourly_rate=Decimal("90.00")))
    amsterdam = zoneinfo.ZoneInfo("Europe/Amsterdam")
    now = datetime(2026, 10, 28, 12, 0, tzinfo=amsterdam)
    for days_back in range(0, 40, 3):
        for person in (viewer, dana):
            late = (now - timedelta(days=days_back)).replace(hour=23, minute=40)
            entries.record(task=task, user=person, started_at=late, ended_at=late + timedelta(minutes=45))
            early = late.replace(hour=0, minute=10)
            entries.record(task=task, user=person, started_at=early, ended_at=early + timedelta(minutes=20))
    with time_machine.travel(now, tick=False), timezone.override(amsterdam):
        today = timezone.localdate()
        kept, scanned = PeriodFigures(viewer, today), PeriodFigures(viewer, today)
        scanned.kept = False
        assert kept.kept
        for first in (today, today - timedelta(days=2), today - timedelta(days=CHART_DAYS - 1)):
            for mine in (True, False):
                assert kept.totals(first, mine=mine) == scanned.totals(first, mine=mine), (first, mine)
            assert kept.tracked_per_day(first) == scanned.tracked_per_day(first)
        assert sum(kept.tracked_per_day(today - timedelta(days=CHART_DAYS - 1)).values()) > 0


def test_a_viewer_in_another_zone_gets_the_dashboard_days_from_the_entries(settings, bob):
    from timetracker.views import PeriodFigures

    settings.TIME_ZONE = "Europe/Amsterdam"
    with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        assert not PeriodFigures(bob, timezone.localdate()).kept


def test_the_dashboard_parts_reload_alone(client):
    from tests.factories import TaskFactory, UserFactory
    from timetracker.tasks import timer

    sam = UserFactory(role="Staff", username="sam")
    timer.start(user=sam, task=TaskFactory(title="Homepage", assignee=sam))
    client.force_login(sam)
    banner = client.get("/", {"part": "banner"}, headers={"HX-Request": "true"}).content.decode()
    assert banner.lstrip().startswith('<div id="running-banner"') and "Homepage" in banner
    recent = client.get("/", {"part": "recent"}, headers={"HX-Request": "true"}).content.decode()
    assert recent.lstrip().startswith('<section class="card" id="recent-time"') and "running" in recent
