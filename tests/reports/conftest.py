from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.factories import ClientFactory, TaskFactory, TimeEntryFactory, UserFactory
from timetracker.accounts.models import User
from timetracker.reports.engine import ReportSpec
from timetracker.reports.models import ReportSchedule, SavedReport

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def local(text):
    return datetime.fromisoformat(text).replace(tzinfo=AMSTERDAM)


@pytest.fixture
def work(alice, bob, dana):
    """Last quarter (Jul-Sep 2026, the clock being 18 Nov 2026): Acme 3h of bob's at 100/h over two months,
    Zeta 1h30 of eve's (30m billable at 80/h); one Acme entry in October, outside the quarter."""
    acme, zeta = ClientFactory(name="Acme"), ClientFactory(name="Zeta")
    eve = UserFactory(username="eve", first_name="Eve", last_name="", role="Staff")
    site = TaskFactory(client=acme, title="Site care")
    logo = TaskFactory(client=zeta, title="Logo")
    rate = Decimal("100")
    TimeEntryFactory(task=site, user=bob, started_at=local("2026-07-10T10:00"), hourly_rate=rate)
    TimeEntryFactory(
        task=site, user=bob, started_at=local("2026-08-03T10:00"), worked=timedelta(hours=2), hourly_rate=rate
    )
    TimeEntryFactory(
        task=logo,
        user=eve,
        started_at=local("2026-09-04T10:00"),
        worked=timedelta(minutes=30),
        hourly_rate=Decimal("80"),
        description="sketches",
    )
    TimeEntryFactory(task=logo, user=eve, started_at=local("2026-09-30T23:30"), billable=False)
    TimeEntryFactory(task=site, user=bob, started_at=local("2026-10-01T09:00"), hourly_rate=rate)
    # Everyone reads time in Amsterdam, so the late-evening entry tests the viewer's local day.
    User.objects.update(time_zone="Europe/Amsterdam")
    return {"acme": acme, "zeta": zeta, "eve": eve, "site": site, "logo": logo}


@pytest.fixture
def saved(dana, work):
    spec = ReportSpec(group="client", range="this_month")
    return SavedReport.objects.create(owner=dana, name="Weekly by client", spec=spec.to_json())


@pytest.fixture
def weekly(saved, dana):
    schedule = ReportSchedule(
        report=saved,
        created_by=dana,
        frequency="weekly",
        weekday=0,
        time_of_day=time(8, 0),
        time_zone="Europe/Amsterdam",
        period="week",
        emails="client@example.com\nboss@example.org",
        formats=["xlsx", "link"],
        next_run_at=local("2026-09-07T08:00"),  # a Monday: the week of 31 Aug to 6 Sep is complete
    )
    schedule.save()
    return schedule
