"""The team's week: every person with a role, their tracked time per agency day from the kept totals, and
past workdays without time flagged."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from tests.conftest import STEADY_NOW
from tests.factories import TaskFactory, UserFactory
from timetracker.tasks import entries

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")


def work(user, task, day, hour, minutes):
    start = datetime(day.year, day.month, day.day, hour, tzinfo=AMS)
    entries.record(
        task=task, user=user, started_at=start, ended_at=start + timedelta(minutes=minutes), by=user
    )


@pytest.fixture
def team(settings):
    settings.TIME_ZONE = "Europe/Amsterdam"
    manager = UserFactory(role="Manager", username="mona", first_name="Mona")
    staff = UserFactory(role="Staff", username="sam", first_name="Sam")
    UserFactory(username="outsider", first_name="Otto")  # no role: not on the grid
    UserFactory(role="Staff", username="gone", first_name="Gina", is_active=False)
    return manager, staff


def test_the_grid_adds_up_each_day_and_flags_empty_workdays(client, team):
    manager, staff = team
    task = TaskFactory()
    monday = STEADY_NOW.astimezone(AMS).date() - timedelta(days=STEADY_NOW.astimezone(AMS).weekday())
    work(staff, task, monday, 9, 90)
    work(staff, task, monday, 23, 30)
    work(staff, task, monday + timedelta(days=1), 0, 15)  # 00:00 Tuesday in Amsterdam is 23:00 Monday in UTC
    work(manager, task, monday + timedelta(days=1), 10, 60)
    client.force_login(manager)
    response = client.get(reverse("tasks:team_week"), {"week": monday.isoformat()})
    people = {p.user.username: p for p in response.context["people"]}
    assert set(people) == {"mona", "sam"}
    assert people["sam"].cells[0][1] == 120 * 60 and people["sam"].cells[1][1] == 15 * 60
    assert people["sam"].total == 135 * 60
    assert people["mona"].cells[1][1] == 3600
    today = response.context["today"]
    # Past workdays without time are flagged; today, the future and weekends are not.
    for day, seconds, missing in people["sam"].cells:
        assert missing == (not seconds and day < today and day.weekday() < 5)
    assert (
        response.context["day_totals"][:2] == [120 * 60, 75 * 60]
        and response.context["week_total"] == 195 * 60
    )


def test_staff_cannot_see_it(client, team):
    client.force_login(team[1])
    assert client.get(reverse("tasks:team_week")).status_code == 403


def test_the_query_count_does_not_grow_with_people(client, team, django_assert_max_num_queries):
    client.force_login(team[0])
    client.get(reverse("tasks:team_week"))
    for n in range(15):
        UserFactory(role="Staff", username=f"extra{n}")
    with django_assert_max_num_queries(12):
        assert client.get(reverse("tasks:team_week")).status_code == 200
