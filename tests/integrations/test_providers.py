"""Each provider's module against a fake of its API: auth headers, paging, names, running and deleted entries."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from tests.integrations.conftest import WINDOW
from tests.integrations.fakes import ClickUp, Clockify, Harvest, Tempo, Toggl
from timetracker.integrations import sync
from timetracker.integrations.http import AuthFailed

pytestmark = pytest.mark.django_db
NOV = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)


def test_toggl_own_entries_skip_running_and_leave_out_deleted(connect, fake_sleep):
    fake = Toggl(
        entries=[
            Toggl.entry(1, NOV, 3700, description="Café ☕ planning"),
            Toggl.entry(2, NOV + timedelta(days=1), 1800, server_deleted_at="2026-11-05T01:38:02+00:00"),
            Toggl.entry(3, NOV + timedelta(days=2), None),  # running: stop null, negative duration
            Toggl.entry(4, datetime(2026, 10, 20, tzinfo=UTC), 600),  # before the window
            Toggl.entry(5, NOV, 60, description=None),  # Toggl sends null descriptions
        ]
    )
    connection = connect("toggl", fake)
    tally = SimpleNamespace(requests=0)
    rows = sync.fetch(connection, WINDOW, sleep=fake_sleep, tally=tally)
    assert tally.requests == 1
    assert [r.source_id for r in rows] == ["1", "3", "5"]
    first, running, untitled = rows
    assert (first.person, first.client, first.project) == ("Marco", "AGL", "AGL Social Media")
    assert first.description == "Café ☕ planning" and first.billable is True
    assert first.end - first.start == timedelta(seconds=3700)
    assert running.skip and running.end is None
    assert untitled.description == ""
    # The window is asked for as instants (Toggl would read dates as UTC days): Amsterdam's midnights.
    assert "start_date=2026-10-31T23%3A00%3A00Z" in fake.requests[0]
    assert "end_date=2026-11-30T23%3A00%3A00Z" in fake.requests[0]


def test_toggl_workspace_reads_every_page_of_the_detailed_report(connect, monkeypatch, fake_sleep):
    monkeypatch.setattr("timetracker.integrations.providers.toggl.PAGE", 2)
    fake = Toggl(entries=[Toggl.entry(n, NOV + timedelta(hours=n), 900) for n in range(1, 6)])
    connection = connect("toggl", fake, workspace=str(Toggl.workspace))
    tally = SimpleNamespace(requests=0)
    rows = sync.fetch(connection, WINDOW, sleep=fake_sleep, tally=tally)
    assert [r.source_id for r in rows] == ["1", "2", "3", "4", "5"]  # three pages
    assert tally.requests == 2 + 3  # projects, clients, then the pages
    assert rows[0].client == "AGL" and rows[0].rate == Decimal("75")


def test_toggl_wrong_token_is_named(connect, fake_sleep):
    connection = connect("toggl", Toggl())
    connection.set_credentials(token="not-the-token")
    with pytest.raises(AuthFailed, match="HTTP 403"):
        sync.fetch(connection, WINDOW, sleep=fake_sleep)


def test_clockify_reads_every_member_and_every_page(connect, monkeypatch, fake_sleep):
    monkeypatch.setattr("timetracker.integrations.providers.clockify.PAGE", 2)
    zoe, max_ = "b4de890ff78038db26859c0a", "c5ef901aa89149ec37960d1b"
    fake = Clockify(
        users=[
            {"id": zoe, "email": "zoe@example.com", "name": "Zoë Ødegård"},
            {"id": max_, "email": "max@example.com", "name": "Max Muster"},
        ],
        entries=[Clockify.entry(f"{n:024x}", zoe, NOV + timedelta(hours=n), 1800) for n in range(5)]
        + [
            Clockify.entry("b" * 24, max_, NOV, None),  # running
            Clockify.entry("c" * 24, max_, NOV + timedelta(hours=3), 900, type="BREAK"),
        ],
    )
    connection = connect("clockify", fake, workspace=Clockify.workspace)
    rows = sync.fetch(connection, WINDOW, sleep=fake_sleep)
    assert len(rows) == 7
    assert {r.email for r in rows} == {"zoe@example.com", "max@example.com"}
    done = [r for r in rows if not r.skip]
    assert len(done) == 5 and {r.person for r in done} == {"Zoë Ødegård"}
    assert done[0].client == "Café Münster" and done[0].task == "Wireframes" and done[0].rate == Decimal("45")
    assert sorted(r.skip.split(":")[0] for r in rows if r.skip) == ["A break, not work.", "Running upstream"]


def test_harvest_follows_next_links_and_marks_billed_time(connect, monkeypatch, fake_sleep):
    entries = [Harvest.entry(636709000 + n, date(2026, 11, 2 + n % 5), 1.5) for n in range(2001)]
    entries[0].update(started_time="3:00pm", ended_time="4:30pm")
    entries[1].update(is_billed=True, is_locked=True, invoice={"id": 13150403, "number": "1001"})
    entries[2].update(is_running=True, timer_started_at="2026-11-04T09:00:00Z")
    fake = Harvest(entries=entries)
    connection = connect("harvest", fake, account=Harvest.account, email="ops@agency.example")
    tally = SimpleNamespace(requests=0)
    rows = sync.fetch(connection, WINDOW, sleep=fake_sleep, tally=tally)
    assert tally.requests == 2 and len(rows) == 2001
    clocked, billed, running = rows[:3]
    assert clocked.start == datetime(2026, 11, 2, 15, 0) and clocked.seconds == 5400 and clocked.day is None
    assert rows[3].day == date(2026, 11, 5) and rows[3].start is None
    assert billed.invoiced == "Harvest invoice 1001"
    assert running.skip
    assert rows[0].rate == Decimal("100.0") and rows[0].task == "Graphic Design"


def test_harvest_without_the_account_header_is_refused(connect, fake_sleep):
    connection = connect("harvest", Harvest(), account="999")
    with pytest.raises(AuthFailed, match="HTTP 403"):
        sync.fetch(connection, WINDOW, sleep=fake_sleep)


def test_tempo_pages_by_offset_and_reads_naive_times_as_local(connect, monkeypatch, fake_sleep):
    monkeypatch.setattr("timetracker.integrations.providers.tempo.PAGE", 2)
    fake = Tempo(
        entries=[Tempo.entry(12345 + n, date(2026, 11, 10), f"{n + 8:02d}:00:00", 3600) for n in range(3)]
    )
    connection = connect("tempo", fake)
    tally = SimpleNamespace(requests=0)
    rows = sync.fetch(connection, WINDOW, sleep=fake_sleep, tally=tally)
    assert tally.requests == 2 and [r.source_id for r in rows] == ["12345", "12346", "12347"]
    assert rows[0].start == datetime(2026, 11, 10, 8, 0) and rows[0].start.tzinfo is None
    assert (rows[0].person, rows[0].task, rows[0].seconds) == ("abc123", "Issue 10001", 3600)
    # Dates in the account's zone: a day more on each side than the window.
    assert "from=2026-10-31" in fake.requests[0] and "to=2026-12-01" in fake.requests[0]


def test_clickup_reads_numbers_and_strings_and_asks_for_members(connect, fake_sleep):
    fake = ClickUp(
        entries=[
            ClickUp.entry(1963465985517105840, 1, NOV, 4339),
            ClickUp.entry(2, 1, NOV + timedelta(hours=2), 600, as_strings=True),
            ClickUp.entry(3, 7, NOV, 900),  # another member: listed only when asked for
            ClickUp.entry(4, 1, NOV + timedelta(hours=5), None),  # running
        ]
    )
    own = connect("clickup", fake, workspace=ClickUp.team)
    rows = sync.fetch(own, WINDOW, sleep=fake_sleep)
    assert [r.source_id for r in rows] == ["1963465985517105840", "2", "4"]
    assert rows[1].end - rows[1].start == timedelta(seconds=600) and rows[2].skip
    assert (rows[0].client, rows[0].project, rows[0].task) == ("Nordlicht GmbH", "Website", "Homepage copy")
    own.account = "1, 7"
    rows = sync.fetch(own, WINDOW, sleep=fake_sleep)
    assert len(rows) == 4 and "assignee=1%2C7" in fake.requests[-1]
    # The window's bounds in milliseconds, midnight to midnight in the connection's zone.
    amsterdam = datetime(2026, 11, 1, tzinfo=ZoneInfo("Europe/Amsterdam"))
    assert f"start_date={int(amsterdam.timestamp() * 1000)}" in fake.requests[0]
