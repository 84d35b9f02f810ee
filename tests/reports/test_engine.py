from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import (
    BucketFactory,
    ClientFactory,
    ProjectFactory,
    SiteFactory,
    TaskFactory,
    TimeEntryFactory,
    UserFactory,
)
from timetracker.billing.models import Settings
from timetracker.lib.dates import agency_zone, elapsed_seconds, week_first_day
from timetracker.reports import engine, ranges
from timetracker.reports.display import timeline
from timetracker.reports.engine import ReportSpec
from timetracker.tasks.models import TimeEntry

pytestmark = pytest.mark.django_db
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# 2026's spring switch is Sunday 29 March, the autumn one Sunday 25 October (Europe/Amsterdam).
SPRING = datetime(2026, 3, 29, tzinfo=AMSTERDAM)


def local(text):
    return datetime.fromisoformat(text).replace(tzinfo=AMSTERDAM)


def by_label(rows):
    return {row.label: row for row in rows}


def set_week_start(day):
    settings_row = Settings.load()
    settings_row.week_start = day
    settings_row.save()


entry_st = st.fixed_dictionaries(
    {
        "client": st.integers(0, 2),
        "user": st.integers(0, 1),
        "billable": st.booleans(),
        # Across the spring switch and through the autumn one, at any hour (late-night entries matter most).
        "minute_of_period": st.integers(0, 230 * 24 * 60),
        "minutes": st.integers(1, 600),
        "rate": st.sampled_from([None, Decimal("0"), Decimal("95.50"), Decimal("120")]),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    entries=st.lists(entry_st, max_size=14),
    group=st.sampled_from(list(engine.DIMENSIONS)),
    sub_group=st.sampled_from(["", *engine.DIMENSIONS]),
    week_start=st.integers(0, 6),
)
def test_totals_are_the_sum_of_the_rows_for_any_grouping(alice, entries, group, sub_group, week_start):
    if sub_group == group:
        sub_group = ""
    alice.time_zone = "Europe/Amsterdam"
    with transaction.atomic():
        set_week_start(week_start)
        clients = [ClientFactory() for _ in range(3)]
        users = [UserFactory(role="Staff") for _ in range(2)]
        sites = [SiteFactory(client=client) for client in clients]
        buckets = [BucketFactory(), None, BucketFactory()]
        tasks = [
            TaskFactory(client=client, sites=[site], bucket=bucket)
            for client, site, bucket in zip(clients, sites, buckets, strict=True)
        ]
        base = datetime(2026, 3, 1, tzinfo=AMSTERDAM).astimezone(UTC)
        for spec in entries:
            TimeEntryFactory(
                task=tasks[spec["client"]],
                user=users[spec["user"]],
                billable=spec["billable"],
                hourly_rate=spec["rate"],
                started_at=base + timedelta(minutes=spec["minute_of_period"]),
                worked=timedelta(minutes=spec["minutes"]),
            )
        report = engine.run(
            ReportSpec(group=group, sub_group=sub_group, range="custom:2026-02-01..2026-12-31"), alice
        )
        expected = TimeEntry.objects.totals()
        transaction.set_rollback(True)

    total = engine.Figures()
    for row in report.rows:
        total.add(row.figures)
        if sub_group:
            below = engine.Figures()
            for child in row.children:
                below.add(child.figures)
                assert child.path == {group: row.key, sub_group: child.key}
            assert below == row.figures
    assert total == report.totals
    assert (report.totals.duration, report.totals.rounded, report.totals.billable) == (
        expected["duration"],
        expected["rounded"],
        expected["billable"],
    )
    assert report.totals.amount == expected["amount"]
    assert report.totals.entries == len(entries)
    if group == "week":
        for row in report.rows:
            assert row.key == week_first_day(row.key, week_start)


@pytest.mark.parametrize("week_start", [0, 6])
def test_weeks_across_the_dst_switch_keep_late_night_entries_in_their_local_week(alice, week_start):
    """Saturday 23:30 and Sunday 23:30 around the spring switch, in the viewer's zone."""
    set_week_start(week_start)
    alice.time_zone = "Europe/Amsterdam"
    for moment in ("2026-03-28T23:30", "2026-03-29T23:30", "2026-10-24T23:30", "2026-10-25T23:30"):
        TimeEntryFactory(started_at=local(moment))
    report = engine.run(ReportSpec(group="week", range="custom:2026-03-01..2026-11-30"), alice)
    weeks = [(row.key, row.figures.entries) for row in report.rows]
    if week_start == 0:  # Monday: each Saturday and Sunday share a week
        assert weeks == [(date(2026, 3, 23), 2), (date(2026, 10, 19), 2)]
    else:  # Sunday: the Sunday opens the next week
        assert weeks == [
            (date(2026, 3, 22), 1),
            (date(2026, 3, 29), 1),
            (date(2026, 10, 18), 1),
            (date(2026, 10, 25), 1),
        ]


def test_days_are_the_viewers_days(alice):
    TimeEntryFactory(started_at=datetime(2026, 2, 1, 3, tzinfo=UTC))  # 31 January in New York
    alice.time_zone = "America/New_York"
    report = engine.run(ReportSpec(group="day", range="custom:2026-01-31..2026-01-31"), alice)
    assert [row.label for row in report.rows] == ["Sat 31 Jan 2026"]
    alice.time_zone = "UTC"
    assert engine.run(ReportSpec(group="day", range="custom:2026-01-31..2026-01-31"), alice).rows == []


def test_client_then_month_with_subtotals_and_labels(alice):
    acme, zeta = ClientFactory(name="Acme"), ClientFactory(name="Zeta")
    site = TaskFactory(client=acme)
    TimeEntryFactory(task=site, started_at=local("2026-07-10T10:00"), hourly_rate=Decimal("100"))
    TimeEntryFactory(
        task=site, started_at=local("2026-08-03T10:00"), worked=timedelta(hours=2), hourly_rate=Decimal("100")
    )
    TimeEntryFactory(task=TaskFactory(client=zeta), started_at=local("2026-09-30T23:30"), billable=False)
    TimeEntryFactory(task=site, started_at=local("2026-10-01T09:00"))  # outside last quarter
    alice.time_zone = "Europe/Amsterdam"
    report = engine.run(ReportSpec(group="client", sub_group="month", range="last_quarter"), alice)
    assert str(report.period) == "1 Jul 2026 to 30 Sep 2026"
    rows = by_label(report.rows)
    assert list(rows) == ["Acme", "Zeta"]
    assert [(c.label, c.figures.rounded, c.figures.amount) for c in rows["Acme"].children] == [
        ("July 2026", 3600, Decimal("100.00")),
        ("August 2026", 7200, Decimal("200.00")),
    ]
    assert rows["Acme"].figures.amount == Decimal("300.00")
    assert rows["Zeta"].figures.billable == 0 and rows["Zeta"].figures.non_billable == 3600
    assert report.totals.rounded == 4 * 3600 and report.totals.entries == 3


def test_each_filter_narrows_the_rows(alice, bob):
    acme = ClientFactory(name="Acme")
    project = ProjectFactory(client=acme, name="Relaunch")
    site = SiteFactory(client=acme, name="acme.example")
    bucket = BucketFactory(title="Care plan")
    with_all = TaskFactory(client=acme, project=project, sites=[site], bucket=bucket, title="Homepage")
    bare = TaskFactory(client=ClientFactory(name="Zeta"), title="Logo")
    when = local("2026-11-10T10:00")
    TimeEntryFactory(task=with_all, user=bob, started_at=when, description="hero banner")
    TimeEntryFactory(task=bare, started_at=when, billable=False)

    def entries(**filters):
        spec = ReportSpec(range="this_month", filters={k: [str(v)] for k, v in filters.items()})
        return engine.run(spec, alice).totals.entries

    assert entries() == 2
    assert entries(client=acme.pk) == entries(project=project.pk) == entries(site=site.pk) == 1
    assert entries(bucket=bucket.pk) == entries(user=bob.pk) == entries(task=with_all.pk) == 1
    assert entries(billable="true") == 1 and entries(billable="false") == 1
    assert entries(invoiced="true") == 0 and entries(invoiced="false") == 2
    assert entries(q="banner") == entries(q="logo") == 1


def test_staff_see_only_their_own_time_and_no_money_unless_rates_show(bob):
    TimeEntryFactory(user=bob, started_at=local("2026-11-10T10:00"), hourly_rate=Decimal("80"))
    TimeEntryFactory(started_at=local("2026-11-10T10:00"), hourly_rate=Decimal("80"))
    report = engine.run(ReportSpec(group="user"), bob)
    assert [row.label for row in report.rows] == [str(bob)]
    assert report.totals.amount is None and report.rows[0].figures.amount is None
    settings_row = Settings.load()
    settings_row.staff_can_see_rates = True
    settings_row.save()
    assert engine.run(ReportSpec(group="user"), bob).totals.amount == Decimal("80.00")


def test_an_id_the_viewer_may_not_see_is_refused(bob):
    other = UserFactory(role="Staff")
    with pytest.raises(engine.InvalidSpec, match="user"):
        engine.run(ReportSpec(filters={"user": [str(other.pk)]}), bob)


@pytest.mark.parametrize(
    "spec",
    [
        ReportSpec(group="colour"),
        ReportSpec(group="client", sub_group="client"),
        ReportSpec(range="next_century"),
        ReportSpec(range="custom:2026-05-01..2026-04-01"),
        ReportSpec(range="custom:3026-01-01.."),
        ReportSpec(range="last_n_days:0"),
        ReportSpec(filters={"colour": ["red"]}),
    ],
)
def test_a_spec_that_cannot_run_says_why(alice, spec):
    with pytest.raises(engine.InvalidSpec):
        engine.run(spec, alice)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("today", date(2026, 11, 18), date(2026, 11, 18)),
        ("this_week", date(2026, 11, 16), date(2026, 11, 22)),
        ("last_week", date(2026, 11, 9), date(2026, 11, 15)),
        ("last_month", date(2026, 10, 1), date(2026, 10, 31)),
        ("this_quarter", date(2026, 10, 1), date(2026, 12, 31)),
        ("last_quarter", date(2026, 7, 1), date(2026, 9, 30)),
        ("year_to_date", date(2026, 1, 1), date(2026, 11, 18)),
        ("last_n_days:30", date(2026, 10, 20), date(2026, 11, 18)),
        ("custom:2026-01-01..2026-01-31", date(2026, 1, 1), date(2026, 1, 31)),
        ("custom:..2026-01-31", None, date(2026, 1, 31)),
    ],
)
def test_ranges_resolve_to_absolute_days_in_the_zone(text, first, last):
    period = ranges.resolve(text, tz="Europe/Amsterdam", week_start=0, today=date(2026, 11, 18))
    assert (period.first, period.last) == (first, last)
    if first:
        assert period.start == datetime.combine(first, datetime.min.time(), AMSTERDAM)


def test_a_range_ends_at_the_real_end_of_its_last_day_across_dst():
    period = ranges.resolve("custom:2026-10-25..2026-10-25", tz="Europe/Amsterdam")
    assert elapsed_seconds(period.start, period.end) == 25 * 3600


def test_the_spec_survives_json_and_the_page_url():
    spec = ReportSpec(
        group="client",
        sub_group="month",
        range="custom:2026-01-01..2026-03-31",
        filters={"client": ["3", "4"], "billable": ["true"]},
    )
    assert ReportSpec.from_json(spec.to_json()) == spec
    assert ReportSpec.from_query(spec.to_query()) == spec
    assert spec.to_query()["range"] == "custom"


def test_a_task_on_several_sites_counts_once_under_its_first_site(alice):
    acme = ClientFactory(name="Acme")
    first, second = SiteFactory(client=acme, name="b.example"), SiteFactory(client=acme, name="a.example")
    TimeEntryFactory(
        task=TaskFactory(client=acme, sites=[first, second]), started_at=local("2026-11-10T10:00")
    )
    report = engine.run(ReportSpec(group="site"), alice)
    assert [(row.label, row.figures.entries) for row in report.rows] == [("b.example", 1)]
    assert report.totals.entries == 1


def test_the_timeline_adds_up_to_the_totals_and_covers_every_step(alice):
    for moment in ("2026-07-01T00:30", "2026-08-15T12:00", "2026-09-30T23:30"):
        TimeEntryFactory(started_at=local(moment), billable=moment.startswith("2026-08"))
    alice.time_zone = "Europe/Amsterdam"
    report = engine.run(ReportSpec(range="last_quarter"), alice)
    unit, steps = timeline(report)
    assert unit == "week" and steps[0][0] == date(2026, 6, 29) and steps[-1][0] == date(2026, 9, 28)
    assert len(steps) == 14
    assert sum(b for _, b, _ in steps) == report.totals.billable == 3600
    assert sum(b + o for _, b, o in steps) == report.totals.rounded == 3 * 3600


def _shape(rows):
    return [(r.dimension, r.key, r.label, r.figures, _shape(r.children)) for r in rows]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    entries=st.lists(entry_st, max_size=12),
    group=st.sampled_from([d for d in engine.DIMENSIONS if d != "billable"]),
    sub_group=st.sampled_from(["", *[d for d in engine.DIMENSIONS if d != "billable"]]),
    week_start=st.integers(0, 6),
    narrow=st.sampled_from(["", "client", "user", "site", "bucket"]),
)
def test_the_kept_day_totals_give_the_same_report_as_the_entries(
    alice, entries, group, sub_group, week_start, narrow
):
    """A viewer whose days are the agency's (UTC here) reads the kept day totals; the figures are the same."""
    if sub_group == group:
        sub_group = ""
    alice.time_zone = "UTC"
    with transaction.atomic():
        set_week_start(week_start)
        clients = [ClientFactory() for _ in range(3)]
        users = [UserFactory(role="Staff") for _ in range(2)]
        sites = [SiteFactory(client=client) for client in clients]
        buckets = [BucketFactory(), None, BucketFactory()]
        tasks = [
            TaskFactory(client=client, sites=[site], bucket=bucket)
            for client, site, bucket in zip(clients, sites, buckets, strict=True)
        ]
        base = datetime(2026, 3, 1, tzinfo=UTC)
        for spec in entries:
            TimeEntryFactory(
                task=tasks[spec["client"]],
                user=users[spec["user"]],
                billable=spec["billable"],
                hourly_rate=spec["rate"],
                started_at=base + timedelta(minutes=spec["minute_of_period"]),
                worked=timedelta(minutes=spec["minutes"]),
            )
        TimeEntryFactory(task=tasks[0], user=users[0], started_at=base, ended_at=None)  # running: in neither
        chosen = {"client": clients[0], "user": users[1], "site": sites[2], "bucket": buckets[0]}.get(narrow)
        spec = ReportSpec(
            group=group,
            sub_group=sub_group,
            range="custom:2026-03-10..2026-09-30",
            filters={narrow: [str(chosen.pk)]} if narrow else {},
        )
        kept = engine.run(spec, alice)
        entries_only = engine.run(spec, alice, kept=False)
        kept_timeline, entries_timeline = timeline(kept), timeline(entries_only)
        transaction.set_rollback(True)
    assert kept.kept and not entries_only.kept
    assert _shape(kept.rows) == _shape(entries_only.rows)
    assert kept.totals == entries_only.totals
    assert kept_timeline == entries_timeline


def test_text_billable_invoiced_and_other_zones_read_the_entries(alice):
    alice.time_zone = "UTC"
    assert engine.run(ReportSpec(), alice).kept
    assert not engine.run(ReportSpec(group="billable"), alice).kept
    for name, value in (("q", "logo"), ("billable", "true"), ("invoiced", "false")):
        assert not engine.run(ReportSpec(filters={name: [value]}), alice).kept
    alice.time_zone = "Europe/Amsterdam"
    assert not engine.run(ReportSpec(), alice).kept


def test_amounts_add_up_to_whole_cents_on_every_database(alice, bob):
    """SQLite sums decimals as floats (0.10 + 0.20 = 0.30000000000000004); the engine's figures are cents,
    and the entries and the kept day totals give the same money (bench/reports.py found them apart at 1M)."""
    task = TaskFactory(title="Tiny")
    rate = Decimal("6")  # a minute is 0.10
    for minutes in (1, 2, 1, 2, 1, 2):
        TimeEntryFactory(
            task=task,
            user=bob,
            started_at=local("2026-11-02T09:00") + timedelta(hours=minutes * 3),
            worked=timedelta(minutes=minutes),
            hourly_rate=rate,
        )
    spec = ReportSpec(group="client", range="this_month")
    from_entries = engine.run(spec, alice, kept=False)
    assert str(from_entries.totals.amount) == "0.90" and str(from_entries.rows[0].figures.amount) == "0.90"
    from_kept = engine.run(spec, alice, tz=agency_zone())
    assert from_kept.kept and from_kept.totals.amount == from_entries.totals.amount
