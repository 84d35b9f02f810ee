from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import BucketFactory, ClientFactory, TaskFactory, TimeEntryFactory, UserFactory
from timetracker.billing.models import Settings

pytestmark = pytest.mark.django_db


def at(day, hour=10):
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=UTC)


@pytest.fixture
def work(bob):
    """Acme: bob 1h in January and 2h in February at 100/h; Zeta: eve 30m billable and 1h non-billable."""
    acme, zeta = ClientFactory(name="Acme"), ClientFactory(name="Zeta")
    eve = UserFactory(username="eve", first_name="Eve", last_name="", role="Staff")
    site = TaskFactory(client=acme, title="Site", bucket=BucketFactory(title="Care plan"))
    TimeEntryFactory(task=site, user=bob, started_at=at("2026-01-10"), hourly_rate=Decimal("100"))
    TimeEntryFactory(
        task=site,
        user=bob,
        started_at=at("2026-02-03"),
        worked=timedelta(hours=2),
        hourly_rate=Decimal("100"),
    )
    logo = TaskFactory(client=zeta, title="Logo")
    TimeEntryFactory(task=logo, user=eve, started_at=at("2026-02-04"), worked=timedelta(minutes=30))
    TimeEntryFactory(task=logo, user=eve, started_at=at("2026-02-05"), billable=False)
    return {"acme": acme, "zeta": zeta, "eve": eve}


def summary(api, **params):
    response = api.get("/api/v1/reports/summary", params)
    assert response.status_code == 200, response.json()
    return response.json()


def test_totals_by_client_then_month(api_dana, work):
    body = summary(api_dana, group_by="client,month", from_date="2026-01-01", to_date="2026-02-28")
    assert body["group_by"] == ["client", "month"] and body["currency_code"] == "USD"
    assert body["totals"] == {
        "entries": 4,
        "duration_seconds": 4.5 * 3600,
        "rounded_seconds": 4.5 * 3600,
        "billable_seconds": 3.5 * 3600,
        "duration_hours": "4.50",
        "rounded_hours": "4.50",
        "billable_hours": "3.50",
        "amount": "300.00",
    }
    acme, zeta = body["groups"]
    assert (acme["key"], acme["label"]) == (work["acme"].pk, "Acme")
    assert [
        (g["key"], g["label"], g["totals"]["rounded_hours"], g["totals"]["amount"]) for g in acme["groups"]
    ] == [
        ("2026-01", "January 2026", "1.00", "100.00"),
        ("2026-02", "February 2026", "2.00", "200.00"),
    ]
    assert zeta["label"] == "Zeta" and zeta["totals"]["billable_hours"] == "0.50"
    assert zeta["totals"]["duration_hours"] == "1.50" and zeta["totals"]["amount"] == "0.00"


def test_every_single_grouping(api_alice, work, bob):
    def labels(group_by):
        return [
            (g["label"], g["totals"]["duration_seconds"])
            for g in summary(api_alice, group_by=group_by)["groups"]
        ]

    assert labels("user") == [(str(bob), 3 * 3600), ("Eve", 5400)]
    assert labels("task") == [("Logo", 5400), ("Site", 3 * 3600)]
    assert labels("project") == [("No project", 4.5 * 3600)]
    assert labels("bucket") == [("Care plan", 3 * 3600), ("No bucket", 5400)]
    assert labels("billable") == [("Billable", 3.5 * 3600), ("Non-billable", 3600)]
    assert [g["key"] for g in summary(api_alice, group_by="day")["groups"]] == [
        "2026-01-10",
        "2026-02-03",
        "2026-02-04",
        "2026-02-05",
    ]
    weeks = summary(api_alice, group_by="week")["groups"]
    assert [(g["key"], g["totals"]["entries"]) for g in weeks] == [("2026-01-05", 1), ("2026-02-02", 3)]
    assert weeks[0]["label"] == "Week of 05 Jan 2026"


def test_days_and_months_are_the_users_own(api_dana, dana, work):
    dana.time_zone = "America/New_York"
    dana.save()
    TimeEntryFactory(task=work["acme"].tasks.get(), started_at=at("2026-02-01", hour=3))  # 31 Jan in New York
    months = summary(api_dana, group_by="month", client_id=work["acme"].pk)["groups"]
    assert [(g["key"], g["totals"]["entries"]) for g in months] == [("2026-01", 2), ("2026-02", 1)]
    january = summary(api_dana, to_date="2026-01-31", group_by="client")["totals"]
    assert january["entries"] == 2


def test_staff_see_their_own_time_and_amounts_only_when_rates_show(api_bob, work):
    body = summary(api_bob, group_by="client")
    assert [g["label"] for g in body["groups"]] == ["Acme"]
    assert body["totals"]["amount"] is None and body["groups"][0]["totals"]["amount"] is None
    settings = Settings.load()
    settings.staff_can_see_rates = True
    settings.save()
    assert summary(api_bob)["totals"]["amount"] == "300.00"


def test_filters_narrow_the_entries(api_alice, work, bob):
    assert summary(api_alice, user_id=work["eve"].pk)["totals"]["entries"] == 2
    assert summary(api_alice, client_id=work["acme"].pk, from_date="2026-02-01")["totals"]["entries"] == 1
    assert summary(api_alice, from_date="2027-01-01")["groups"] == []


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"group_by": "client,colour"}, "colour"),
        ({"group_by": "client,month,user"}, "one or two"),
        ({"group_by": "month,month"}, "one or two"),
        ({"from_date": "yesterday"}, "from_date"),
        ({"to_date": "9999-12-31"}, "to_date"),
        ({"from_date": "2026-02-01", "to_date": "2026-01-01"}, "to_date"),
        ({"client_id": "999999"}, "client_id"),
        ({"user_id": "me"}, "user_id"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(api_alice, params, named):
    response = api_alice.get("/api/v1/reports/summary", params)
    assert response.status_code == 400
    assert named in response.json()["error"]["message"]


def test_an_outsider_gets_a_403(charlie):
    from tests.api.conftest import client_for

    assert client_for(charlie).get("/api/v1/reports/summary").status_code == 403


def test_the_summary_takes_a_fixed_number_of_queries(api_alice, work):
    Settings.load()  # the first use creates the settings row
    with CaptureQueriesContext(connection) as few:
        summary(api_alice, group_by="client,user")
    for n in range(20):
        TimeEntryFactory(task=TaskFactory(client=ClientFactory()), started_at=at(f"2026-03-{n + 1:02d}"))
    with CaptureQueriesContext(connection) as many:
        body = summary(api_alice, group_by="client,user")
    assert len(body["groups"]) == 22
    assert len(many) == len(few) <= 5


def test_a_named_range_resolves_in_the_users_zone_like_the_reports_page(api_dana, dana, work):
    """range= is the Reports page's range; the answer names the days it covered."""
    body = summary(api_dana, group_by="client", range="last_month")  # the clock stands in November 2026
    assert (body["from_date"], body["to_date"]) == ("2026-10-01", "2026-10-31")
    assert body["groups"] == []
    assert summary(api_dana, range="this_year")["totals"]["entries"] == 4
    response = api_dana.get("/api/v1/reports/summary", {"range": "this_year", "from_date": "2026-01-01"})
    assert response.status_code == 400 and "range" in response.json()["error"]["message"]
    assert api_dana.get("/api/v1/reports/summary", {"range": "someday"}).status_code == 400
