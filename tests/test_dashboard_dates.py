from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from tests.factories import TimeEntryFactory

pytestmark = pytest.mark.django_db

HAVANA = ZoneInfo("America/Havana")


def test_today_on_a_day_without_a_midnight_ends_at_the_next_midnight(client, bob):
    # Havana's clocks jump from 00:00 to 01:00 on 2026-03-08, so that day starts at 01:00: a day added to
    # that start would stretch "today" to 01:00 on the 9th.
    bob.time_zone = "America/Havana"
    bob.save()
    TimeEntryFactory(
        user=bob, started_at=datetime(2026, 3, 8, 1, 5, tzinfo=HAVANA), worked=timedelta(minutes=10)
    )
    TimeEntryFactory(
        user=bob, started_at=datetime(2026, 3, 9, 0, 30, tzinfo=HAVANA), worked=timedelta(minutes=20)
    )
    client.force_login(bob)
    with time_machine.travel(datetime(2026, 3, 8, 22, tzinfo=UTC), tick=False):
        response = client.get(reverse("dashboard"))
    assert response.context["today"]["duration"] == 10 * 60


def test_the_dashboard_week_starts_at_the_configured_midnight_across_the_autumn_switch(client, bob):
    # Amsterdam's 2026-10-25 has 25 hours; the week (Monday by default) still starts at Monday's midnight.
    bob.time_zone = "Europe/Amsterdam"
    bob.save()
    amsterdam = ZoneInfo("Europe/Amsterdam")
    TimeEntryFactory(user=bob, started_at=datetime(2026, 10, 18, 23, 30, tzinfo=amsterdam))
    TimeEntryFactory(user=bob, started_at=datetime(2026, 10, 19, 0, 30, tzinfo=amsterdam))
    # 01:30 to 03:30 on the wall that night is three real hours (the hour from 02:00 happens twice).
    TimeEntryFactory(
        user=bob, started_at=datetime(2026, 10, 24, 23, 30, tzinfo=UTC), worked=timedelta(hours=3)
    )
    client.force_login(bob)
    with time_machine.travel(datetime(2026, 10, 25, 20, tzinfo=UTC), tick=False):
        response = client.get(reverse("dashboard"))
    assert response.context["this_week"]["duration"] == 4 * 3600
    assert response.context["today"]["duration"] == 3 * 3600
