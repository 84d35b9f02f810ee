"""The Moneybird-style `filter=period:...,state:...` of GET /api/v1/time-entries, against a frozen clock."""

from datetime import UTC, datetime

import pytest
import time_machine

from tests.api.conftest import client_for
from tests.factories import InvoiceLineFactory, TaskFactory, TimeEntryFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/time-entries"
TODAY = datetime(2026, 2, 15, 12, 0, tzinfo=UTC)  # the middle of Q1

DAYS = {
    "2024-06-01": datetime(2024, 6, 1, 10, tzinfo=UTC),
    "2025-10-15": datetime(2025, 10, 15, 10, tzinfo=UTC),
    "2025-12-31": datetime(2025, 12, 31, 23, 30, tzinfo=UTC),
    "2026-01-10": datetime(2026, 1, 10, 10, tzinfo=UTC),
    "2026-02-10": datetime(2026, 2, 10, 10, tzinfo=UTC),
    "2026-03-10": datetime(2026, 3, 10, 10, tzinfo=UTC),
    "2026-04-10": datetime(2026, 4, 10, 10, tzinfo=UTC),
    "2027-01-05": datetime(2027, 1, 5, 10, tzinfo=UTC),
}


@pytest.fixture
def entries(alice):
    task = TaskFactory()
    return {day: TimeEntryFactory(task=task, user=alice, started_at=moment) for day, moment in DAYS.items()}


def days(api, entries, value):
    with time_machine.travel(TODAY, tick=False):
        response = api.get(URL, {"filter": value, "per_page": 100})
    assert response.status_code == 200, response.json()
    by_id = {entry.pk: day for day, entry in entries.items()}
    return sorted(by_id[row["id"]] for row in response.json()["results"])


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("this_month", ["2026-02-10"]),
        ("prev_month", ["2026-01-10"]),
        ("next_month", ["2026-03-10"]),
        ("this_quarter", ["2026-01-10", "2026-02-10", "2026-03-10"]),
        ("prev_quarter", ["2025-10-15", "2025-12-31"]),
        ("next_quarter", ["2026-04-10"]),
        ("this_year", ["2026-01-10", "2026-02-10", "2026-03-10", "2026-04-10"]),
        ("prev_year", ["2025-10-15", "2025-12-31"]),
        ("next_year", ["2027-01-05"]),
        ("202510..202512", ["2025-10-15", "2025-12-31"]),
        ("202406..202406", ["2024-06-01"]),
        ("20251231..20260110", ["2025-12-31", "2026-01-10"]),
        ("20260110..20260110", ["2026-01-10"]),
        ("20260111..20260209", []),
    ],
)
def test_named_and_explicit_periods(api_alice, entries, period, expected):
    assert days(api_alice, entries, f"period:{period}") == expected


def test_prev_quarter_late_in_the_year(api_alice, entries):
    with time_machine.travel(datetime(2025, 12, 1, tzinfo=UTC), tick=False):
        response = api_alice.get(URL, {"filter": "period:prev_quarter"})
    assert response.status_code == 200 and response.json()["results"] == []


def test_periods_follow_the_users_time_zone(alice, entries):
    alice.time_zone = "Europe/Amsterdam"  # 23:30 UTC on Dec 31 is already New Year there
    alice.save()
    api = client_for(alice)
    assert "2025-12-31" not in days(api, entries, "period:prev_year")
    assert days(api, entries, "period:20260101..20260101") == ["2025-12-31"]


def test_states_alone_and_or_ed(api_alice, alice):
    task = TaskFactory()
    open_ = TimeEntryFactory(task=task, user=alice, started_at=DAYS["2026-02-10"])
    free = TimeEntryFactory(task=task, user=alice, started_at=DAYS["2026-02-10"], billable=False)
    ours = TimeEntryFactory(
        task=task, user=alice, started_at=DAYS["2026-01-10"], invoice_line=InvoiceLineFactory()
    )
    elsewhere = TimeEntryFactory(task=task, user=alice, started_at=DAYS["2026-01-10"], billed_elsewhere="X-9")

    def states(value):
        response = api_alice.get(URL, {"filter": value})
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert states("state:open") == {open_.pk}
    assert states("state:non_billable") == {free.pk}
    assert states("state:invoiced") == {ours.pk, elsewhere.pk}
    assert states("state:open|non_billable") == {open_.pk, free.pk}
    assert states("state:all") == {open_.pk, free.pk, ours.pk, elsewhere.pk}
    with time_machine.travel(TODAY, tick=False):
        assert states("period:this_month,state:open|invoiced") == {open_.pk}
        assert states("period:prev_month, state:invoiced") == {ours.pk, elsewhere.pk}


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("period:this_decade", "this_decade"),
        ("period:202601..20260131", "202601"),
        ("period:202603..202601", "reversed"),
        ("period:20260230..20260301", "20260230"),
        ("state:open|closed", "closed"),
        ("owner:me", "owner"),
        ("period:this_year,period:prev_year", "twice"),
        ("this_year", "this_year"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(api_alice, value, named):
    response = api_alice.get(URL, {"filter": value})
    assert response.status_code == 400
    assert named in response.json()["error"]["message"]
